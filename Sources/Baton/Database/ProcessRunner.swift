import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a helper program (initdb, pg_ctl) to completion, capturing its output.
///
/// `posix_spawn` and `waitpid`, not Foundation's `Process`: `pg_ctl start` leaves a server
/// running that inherits the child's descriptors, and `Process` notices a child's exit
/// through a descriptor closing, so it would wait forever.
package enum ProcessRunner {
    package struct Output {
        package var status: Int32
        package var output: String
    }

    /// Runs `executable` with `arguments`; as root, as `user` through `runuser`. Blocks the
    /// calling thread until the program exits (used only during set-up, before any worker
    /// runs).
    package static func run(_ executable: String, _ arguments: [String], asUser user: String? = nil) throws -> Output {
        var argv = [executable] + arguments
        var path = executable
        if let user, getuid() == 0 {
            path = "/usr/sbin/runuser"
            // From `/`: `user` may not be allowed into the current folder (pg_ctl would print
            // "could not change directory to …: Permission denied").
            argv = [path, "-u", user, "--", "/bin/sh", "-c", "cd / && exec \"$0\" \"$@\""] + argv
        }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("baton-\(UUID().uuidString).log").path
        defer { unlink(log) }

        closeOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else {
            throw BatonError(.unavailable, "cannot run \(path): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw BatonError(.unavailable, "waiting for \(path) failed: \(String(cString: strerror(errno)))") }
        }
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Output(status: exitStatus, output: output)
    }

    /// Marks every descriptor above stderr close-on-exec, so a server started through the
    /// helper inherits none of ours (a parent waiting for our exit through one of them would
    /// otherwise wait for the server's).
    private static func closeOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
