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

    @Flag(help: "Show every column of the summary, however wide (default: fit the terminal, else 80 columns).")
    var wide = false
}

enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto, tty, plain, none
}
