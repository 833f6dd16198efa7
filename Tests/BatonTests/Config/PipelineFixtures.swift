import Foundation

/// Paths of the pipeline files under `Tests/BatonTests/Pipelines` (copied into the test
/// bundle), and the environment the config tests load them with (never the real one).
enum PipelineFixtures {
    /// A secret that must never show up in an error message.
    static let secret = "sk-live-SECRET123"

    /// The environment injected into every load in these tests.
    static let environment: [String: String] = [
        "HOME": "/home/test",
        "TOKEN": secret,
        "API_TOKEN": secret,
        "ITEM_NAME": "widget",
        "EVENTS_DB": "postgres://archiver:hunter22@db.internal/events",
        "WORKERS": "3",
        "EMPTY": "",
    ]

    static var root: String {
        guard let url = Bundle.module.url(forResource: "Pipelines", withExtension: nil) else {
            fatalError("the Pipelines folder is missing from the test bundle")
        }
        return url.path
    }

    static var brokenDirectory: String { root + "/broken" }
    static var goodDirectory: String { root + "/good" }

    static func good(_ name: String) -> String { goodDirectory + "/" + name }
    static func broken(_ name: String) -> String { brokenDirectory + "/" + name }

    /// Error descriptions with machine-specific paths replaced: the broken folder (and the
    /// `/` after it) by nothing, the current directory by `$CWD`.
    static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: brokenDirectory + "/", with: "")
            .replacingOccurrences(of: brokenDirectory, with: "$DIR")
            .replacingOccurrences(of: FileManager.default.currentDirectoryPath, with: "$CWD")
    }
}
