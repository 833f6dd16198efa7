import ArgumentParser
import Baton
import Foundation

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
                    FileHandle.standardError.write(Data(Secrets.redact("baton: \(status.message)\n").utf8))
                }
                exit(status.code)
            }
            BatonCommand.exit(withError: error)
        }
    }
}
