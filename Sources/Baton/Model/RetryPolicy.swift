/// How often and how late a failed item is tried again.
public struct RetryPolicy: Sendable, Hashable {
    /// How the delay grows from one attempt to the next.
    public enum Backoff: String, Sendable, Hashable, CaseIterable {
        /// initial·2ⁿ⁻¹ after attempt n.
        case exponential
        /// initial·n after attempt n.
        case linear
        /// initial after every attempt.
        case fixed
    }

    /// Attempts in all, the first included (1 = never retry).
    public var maxAttempts: Int
    /// How the delay grows.
    public var backoff: Backoff
    /// Delay before the second attempt.
    public var initial: Duration
    /// Upper bound of any delay.
    public var max: Duration
    /// Fraction of the delay randomised (0…1), so retries of many items spread out.
    public var jitter: Double

    /// A policy; out-of-range values are clamped (at least one attempt, jitter within 0…1).
    public init(maxAttempts: Int = 3, backoff: Backoff = .exponential, initial: Duration = .seconds(1),
                max: Duration = .seconds(300), jitter: Double = 0.2) {
        self.maxAttempts = Swift.max(1, maxAttempts)
        self.backoff = backoff
        self.initial = initial
        self.max = max
        self.jitter = Swift.min(1, Swift.max(0, jitter))
    }

    /// Delay after a failed `attempt` (1-based), before jitter: initial·2^(n−1), initial·n or
    /// initial, capped at `max`.
    package func baseDelay(afterAttempt attempt: Int) -> Duration {
        let n = Swift.max(1, attempt)
        let seconds = initial.seconds
        let raw: Double
        switch backoff {
        case .exponential: raw = seconds * pow2(n - 1)
        case .linear: raw = seconds * Double(n)
        case .fixed: raw = seconds
        }
        return .seconds(Swift.min(raw, max.seconds))
    }

    /// Delay after a failed `attempt` with jitter: a value in [base·(1−jitter), base], so the
    /// cap is never exceeded. `random` is in [0, 1).
    package func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        let base = baseDelay(afterAttempt: attempt).seconds
        return .seconds(base * (1 - jitter * random))
    }

    /// The delay before the next attempt when the remote side asked for `requested`
    /// (`Retry-After`): the longer of the two, but never past `max`, the bound of any delay.
    /// A server asking for an hour (or a day) must not hold an item, and so its run, that
    /// long: after `max` the item is tried again, and fails once its attempts are used up.
    package func honouring(_ requested: Duration, over delay: Duration) -> Duration {
        Swift.min(Swift.max(requested, delay), Swift.max(max, delay))
    }

    private func pow2(_ exponent: Int) -> Double {
        exponent >= 1000 ? .infinity : Double(sign: .plus, exponent: exponent, significand: 1)
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    package var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }

    /// Whole milliseconds, rounded up (saturating instead of overflowing).
    package var milliseconds: Int64 {
        let (s, attoseconds) = components
        let (scaled, overflow) = s.multipliedReportingOverflow(by: 1000)
        if overflow { return s < 0 ? .min : .max }
        return scaled + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
