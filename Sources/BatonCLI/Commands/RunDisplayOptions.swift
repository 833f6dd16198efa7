import ArgumentParser
import Foundation

/// Options of the commands that work a run (run, resume, replay, work).
struct RunDisplayOptions: ParsableArguments {
    @Option(help: "Worker loops in this process (each with its own database connection).")
    var workers: Int = 4

    @Flag(help: "Print the summary as one JSON document on stdout.")
    var json = false

    @Option(help: "Live progress on stderr: auto (tty when stderr is a terminal, else plain), tty, plain or none.")
    var progress: ProgressMode = .auto

    static func defaultRunName(for pipeline: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(pipeline)-\(formatter.string(from: Date()))"
    }
}

enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto, tty, plain, none
}
