import Foundation

/// Runs a helper program (initdb, pg_ctl) to completion, capturing its output.
enum ProcessRunner {
    struct Output {
        var status: Int32
        var output: String
    }

    /// Runs `executable` with `arguments`; as root, as `user` through `runuser`. Blocks the
    /// calling thread (used only during set-up, before any worker runs).
    static func run(_ executable: String, _ arguments: [String], asUser user: String? = nil) throws -> Output {
        let process = Process()
        if let user, getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
