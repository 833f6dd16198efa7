import Baton
import Testing

@Suite("Item state machine")
struct ItemStateTests {
    @Test func theHappyPath() {
        #expect(ItemState.pending.applying(.claim) == .running)
        #expect(ItemState.running.applying(.complete(produced: true)) == .done)
        #expect(ItemState.running.applying(.complete(produced: false)) == .skipped)
    }

    @Test(arguments: [(1, 3, ItemState.pending), (2, 3, .pending), (3, 3, .failed), (4, 3, .failed)])
    func transientFailuresRetryUntilAttemptsRunOut(attempt: Int, max: Int, expected: ItemState) {
        #expect(ItemState.running.applying(.fail(permanent: false, attempt: attempt, maxAttempts: max)) == expected)
        #expect(ItemState.running.applying(.leaseExpired(attempt: attempt, maxAttempts: max)) == expected)
    }

    @Test func permanentFailuresNeverRetry() {
        #expect(ItemState.running.applying(.fail(permanent: true, attempt: 1, maxAttempts: 10)) == .failed)
    }

    @Test func onlyFinishedItemsCanBeReplayedAndOnlyPendingOnesCancelled() {
        for state in ItemState.allCases {
            #expect((state.applying(.replay) != nil) == state.isFinal)
            #expect((state.applying(.cancel) != nil) == (state == .pending))
        }
    }

    @Test func illegalTransitionsAreRefused() {
        #expect(ItemState.done.applying(.claim) == nil)
        #expect(ItemState.pending.applying(.complete(produced: true)) == nil)
        #expect(ItemState.failed.applying(.fail(permanent: true, attempt: 1, maxAttempts: 1)) == nil)
    }
}

@Suite("Retry backoff")
struct RetryPolicyTests {
    @Test func exponentialDoublesUpToTheCap() {
        let policy = RetryPolicy(maxAttempts: 10, backoff: .exponential, initial: .seconds(1), max: .seconds(30), jitter: 0)
        #expect((1...7).map { policy.baseDelay(afterAttempt: $0) } == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
        #expect(policy.baseDelay(afterAttempt: 5000) == .seconds(30))
    }

    @Test func linearAndFixed() {
        let linear = RetryPolicy(backoff: .linear, initial: .milliseconds(500), max: .seconds(2), jitter: 0)
        #expect((1...5).map { linear.baseDelay(afterAttempt: $0) } == [.milliseconds(500), .seconds(1), .milliseconds(1500), .seconds(2), .seconds(2)])
        let fixed = RetryPolicy(backoff: .fixed, initial: .seconds(3), jitter: 0)
        #expect(fixed.baseDelay(afterAttempt: 9) == .seconds(3))
    }

    @Test(arguments: [0.0, 0.25, 0.5, 0.999])
    func jitterStaysWithinItsFractionAndNeverExceedsTheCap(random: Double) {
        let policy = RetryPolicy(backoff: .exponential, initial: .seconds(10), max: .seconds(60), jitter: 0.2)
        let delay = policy.delay(afterAttempt: 4, random: random).seconds
        #expect(delay <= 60)
        #expect(delay >= 48)
    }

    @Test func maxAttemptsIsAtLeastOne() {
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }
}

@Suite("SQL named parameters")
struct SQLTemplateTests {
    @Test func namedParametersBecomePositional() {
        let t = SQLTemplate("insert into repos(id, stars, owner) values (:id, :stars, :payload.owner) on conflict (id) do update set stars = :stars")
        #expect(t.sql == "insert into repos(id, stars, owner) values ($1, $2, $3) on conflict (id) do update set stars = $2")
        #expect(t.parameters == ["id", "stars", "payload.owner"])
    }

    @Test func castsLiteralsCommentsAndDollarQuotesAreLeftAlone() {
        let t = SQLTemplate("""
            select :a::int, ':not', E'it\\'s :no', "col:x", $$ :nope $$, $tag$ :neither $tag$ -- :comment
            /* :block */ , arr[1:2], :b
            """)
        #expect(t.parameters == ["a", "b"])
        #expect(t.sql.contains("$1::int"))
        #expect(t.sql.contains("':not'"))
        #expect(t.sql.contains("$$ :nope $$"))
        #expect(t.sql.contains("arr[1:2]"))
        #expect(t.sql.hasSuffix("$2"))
    }
}
