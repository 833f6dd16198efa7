import ArgumentParser
import Baton
import Foundation
import Logging

enum BatonMain {
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try BatonCommand.parseAsRoot()
        } catch {
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
}
