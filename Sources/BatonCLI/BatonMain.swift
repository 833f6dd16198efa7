import ArgumentParser
import Baton
import Foundation
import Logging

enum BatonMain {
    static func main() async {
        acceptStopSignals()
        let arguments = Array(CommandLine.arguments.dropFirst())
        let json = zip(arguments, arguments.dropFirst()).contains { $0 == ("--log-format", "json") }
            || arguments.contains("--log-format=json")
        if let message = unknownCommand(arguments) {
            usageError(message, json: json)
        }
        let command: any ParsableCommand
        do {
            command = try BatonCommand.parseAsRoot(arguments)
        } catch {
            if json, BatonCommand.exitCode(for: error) != .success {
                usageError(BatonCommand.fullMessage(for: error), json: true)
            }
            BatonCommand.exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            exit(0)
        } catch {
            if let status = ExitStatus(error) {
                if !status.message.isEmpty {
                    LogSetup.message(status.message, level: .error)
                }
                exit(status.code)
            }
            BatonCommand.exit(withError: error)
        }
    }

    /// SIGINT and SIGTERM unblocked for this thread (and so for every thread started from it):
    /// a process may inherit a signal mask that blocks them (a parent spawning it from a
    /// thread that blocks them), and a blocked Ctrl-C would never reach the handlers.
    static func acceptStopSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// `baton runn …`: the first word is not a command (ArgumentParser would only say
    /// "unexpected arguments"); with the closest command.
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        let names = BatonCommand.configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
        guard !names.contains(first) else { return nil }
        let suggestion = KeySuggester.suggestion(for: first, among: names).map { " (did you mean `\($0)`?)" } ?? ""
        return "unknown command `\(first)`\(suggestion); commands: \(names.dropLast().joined(separator: ", ")) (see `baton --help`)"
    }

    /// Exit 64 with `message` on stderr: `baton: …`, or one JSON object with `--log-format json`.
    static func usageError(_ message: String, json: Bool) -> Never {
        if json {
            let line = StderrLogHandler.jsonLine(level: .error, label: "baton", message: message, metadata: [:])
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            FileHandle.standardError.write(Data("baton: \(message)\n".utf8))
        }
        exit(BatonExit.usage.rawValue)
    }
}
