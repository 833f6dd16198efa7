import BatonTestSupport
import Foundation
import Testing

/// Every command explains itself with an example, and shells can complete them.
@Suite("Help and completion (end to end)")
struct HelpOperationsTests {
    static let commands: [[String]] = [
        [], ["run"], ["validate"], ["test"], ["status"], ["failures"], ["explain"], ["replay"], ["resume"], ["cancel"],
        ["results"], ["prune"], ["work"], ["migrate"], ["postgres"], ["postgres", "stop"], ["postgres", "start"],
        ["postgres", "status"],
    ]

    @Test(arguments: commands)
    func helpExitsZeroAndShowsAnExample(_ command: [String]) async throws {
        let output = try await BatonProcess.run(command + ["--help"], database: nil)
        #expect(output.status == 0, "\(output)")
        #expect(output.stdout.contains("USAGE: baton \((command).joined(separator: " "))"), "\(output)")
        let example = output.stdout.split(separator: "\n").first { $0.hasPrefix("Example") }
        #expect(example != nil, "no Example section in `baton \(command.joined(separator: " ")) --help`:\n\(output.stdout)")
        // The examples are commands one can type.
        #expect(output.stdout.contains("\n  baton \(command.first ?? "")"), "\(output)")
    }

    @Test func topLevelHelpListsEveryCommandAndTheExitCodes() async throws {
        let output = try await BatonProcess.run(["--help"], database: nil)
        for command in Self.commands.compactMap(\.first) {
            #expect(output.stdout.contains("\n  \(command) "), "\(command) missing from:\n\(output.stdout)")
        }
        #expect(output.stdout.contains("78 pipeline configuration error"), "\(output)")
    }

    @Test func bashCompletionScriptCompletesTheSubcommands() async throws {
        let output = try await BatonProcess.run(["--generate-completion-script", "bash"], database: nil)
        #expect(output.status == 0, "\(output)")
        #expect(output.stdout.hasPrefix("#!/bin/bash"), "\(output.stdout.prefix(200))")
        #expect(output.stdout.contains("complete ") && output.stdout.contains("baton"), "\(output.stdout.suffix(300))")
        for command in ["replay", "failures", "explain", "prune"] {
            #expect(output.stdout.contains(command), "\(command) is not completed")
        }
    }
}
