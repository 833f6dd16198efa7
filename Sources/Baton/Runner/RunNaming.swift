public import Foundation

/// Names of runs started without `--run`: `PIPELINE-YYYYMMDD-HHMMSS-xxxx` (UTC, and 4 random
/// base32 characters), e.g. `orders-20261201-101947-k3fq`. The store refuses a name that is
/// taken and asks for another, so two runs started at the same moment are two runs (the
/// random part makes that rare; the refusal makes it certain).
public enum RunNaming {
    /// A fresh default name for a run of `pipeline` started at `date`.
    public static func defaultName(pipeline: String, at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        let suffix = String((0..<4).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
        return "\(pipeline)-\(formatter.string(from: date))-\(suffix)"
    }
}
