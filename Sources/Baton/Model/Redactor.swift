import Foundation

/// Replaces secret values (from `${VAR}` interpolation) with `***` in any text about to be
/// printed, logged or stored.
package struct Redactor: Sendable, Hashable {
    package var secrets: [String]

    /// Secrets shorter than 4 characters are not redacted (they would mangle ordinary text);
    /// longer ones first, so a secret containing another is redacted whole.
    package init(secrets: [String]) {
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    package func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "***")
        }
        return out
    }
}
