import CBatonSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A running child of a stream `exec` stage and the parent's ends of its pipes.
///
/// Not Sendable: owned by one ``Coprocess`` thread, which spawned it (the child's
/// `PR_SET_PDEATHSIG` is tied to that thread) and is the only one to touch it.
final class ChildProcess {
    /// Why a child could not be started.
    struct SpawnError: Error {
        var message: String
        /// The program cannot run at all (not found, not executable): retrying will not help.
        var isPermanent: Bool
    }

    /// How a child ended.
    enum Ending: CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let status): return "exited with status \(status)"
            case .signalled(let signal): return "was killed by signal \(signal)"
            }
        }
    }

    let pid: pid_t
    /// Parent's ends, non-blocking; -1 once closed.
    private(set) var stdin: Int32
    private(set) var stdout: Int32
    private(set) var stderr: Int32
    private(set) var ending: Ending?

    private init(pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32) {
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Starts `command` (program looked up in the environment's `PATH` unless it has a `/`)
    /// in its own process group. Blocks briefly (fork and exec).
    static func spawn(command: [String], environment: [String: String], workingDirectory: String?) throws(SpawnError) -> ChildProcess {
        guard let program = command.first else { throw SpawnError(message: "the command is empty", isPermanent: true) }
        guard let path = resolve(program, searchPath: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
            throw SpawnError(message: "command not found: \(program)", isPermanent: true)
        }
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        guard baton_pipe(&input, 0) == 0, baton_pipe(&output, 0) == 0, baton_pipe(&errors, 0) == 0 else {
            let message = String(cString: strerror(errno))
            for fd in input + output + errors where fd >= 0 { close(fd) }
            throw SpawnError(message: "cannot create pipes: \(message)", isPermanent: false)
        }
        let arguments = [path] + command.dropFirst()
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var failure: Int32 = 0
        let pid = path.withCString { cPath in
            if let workingDirectory {
                return workingDirectory.withCString { cwd in
                    baton_spawn(cPath, argv, envp, cwd, input[0], output[1], errors[1], &failure)
                }
            }
            return baton_spawn(cPath, argv, envp, nil, input[0], output[1], errors[1], &failure)
        }
        close(input[0])
        close(output[1])
        close(errors[1])
        guard pid > 0 else {
            close(input[1])
            close(output[0])
            close(errors[0])
            let reason = String(cString: strerror(failure))
            let permanent = [ENOENT, EACCES, ENOEXEC, ENOTDIR, ELOOP, ENAMETOOLONG].contains(failure)
            throw SpawnError(message: "cannot start \(program): \(reason)", isPermanent: permanent)
        }
        for fd in [input[1], output[0], errors[0]] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return ChildProcess(pid: pid, stdin: input[1], stdout: output[0], stderr: errors[0])
    }

    /// The program's path: as given when it has a `/` (relative to the working directory),
    /// else the first executable of that name on `searchPath`.
    static func resolve(_ program: String, searchPath: String) -> String? {
        if program.contains("/") { return program }
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// Closes our end of the child's stdin: the child reads end of file.
    func closeStdin() {
        if stdin >= 0 { close(stdin) }
        stdin = -1
    }

    func closeStdout() {
        if stdout >= 0 { close(stdout) }
        stdout = -1
    }

    func closeStderr() {
        if stderr >= 0 { close(stderr) }
        stderr = -1
    }

    /// Whether the child has exited (it is not reaped yet: its pid, and so its process group
    /// id, cannot be reused before ``killGroupAndReap()``).
    var hasExited: Bool {
        ending != nil || baton_has_exited(pid) != 0
    }

    /// Kills the child's whole process group (whatever it started too) and reaps the child.
    /// Blocks until the child is gone, which SIGKILL makes quick.
    @discardableResult
    func killGroupAndReap() -> Ending {
        if let ending { return ending }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR {
                ending = .signalled(SIGKILL)
                return ending!
            }
        }
        let result: Ending = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
        ending = result
        return result
    }

    /// Sends `signal` to the child's process group.
    func signalGroup(_ signal: Int32) {
        if ending == nil { kill(-pid, signal) }
    }

    deinit {
        closeStdin()
        closeStdout()
        closeStderr()
        killGroupAndReap()
    }
}

extension ChildProcess {
    /// Waits (briefly, sleeping) for the child to exit by itself, so its real exit status is
    /// reported rather than the SIGKILL that follows.
    func waitForExit(upTo limit: Duration) {
        let deadline = ContinuousClock.now + limit
        while !hasExited && ContinuousClock.now < deadline { usleep(1_000) }
    }
}

extension ChildProcess {
    /// Writes to a child that exited give EPIPE on this thread instead of killing the process.
    static func blockSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Takes the SIGPIPE an EPIPE left pending on this thread.
    static func consumeSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var none = timespec(tv_sec: 0, tv_nsec: 0)
        _ = sigtimedwait(&set, nil, &none)
    }
}
