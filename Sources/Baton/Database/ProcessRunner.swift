import Dispatch
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
        // Output to a file, not a pipe: `pg_ctl start` leaves a server running that inherits
        // the descriptor, so a pipe would never reach end-of-file.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("baton-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let handle = try FileHandle(forWritingTo: file)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        // Waited for through the termination handler: `waitUntilExit()` spins a run loop that
        // is not serviced when called from a task, and can miss the exit.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        exited.wait()
        try? handle.close()
        let data = (try? Data(contentsOf: file)) ?? Data()
        return Output(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
