#ifndef BATON_SPAWN_H
#define BATON_SPAWN_H

/// Starts a child process for a stream `exec` stage, so that nothing it starts can outlive
/// Baton.
///
/// The returned pid is a guardian: a small `/bin/sh` script, the leader of a new process
/// group, with PR_SET_PDEATHSIG set (it survives exec). It starts the command (`path`, no
/// PATH search, with `argv[1…]` and `envp`, NULL-terminated, at most 250 arguments) in its
/// group with `stdin_fd`, `stdout_fd` and `stderr_fd` as the command's standard descriptors
/// and every other descriptor closed, in `cwd` (NULL: the current directory); it holds none of
/// those descriptors itself, waits for the command and ends as it did (its exit status, or
/// its signal). When the thread that called this function ends — also when the whole
/// process is killed with SIGKILL — the kernel signals the guardian, which kills its whole
/// process group: the command and whatever it started. Signalling the group
/// (`kill(-pid, …)`) reaches the guardian, the command and its descendants.
///
/// Between fork and exec only async-signal-safe functions are called; the guardian is an
/// exec'd program, so no copy of Baton's memory stays alive with it.
///
/// Returns the guardian's pid, or -1 with `*error` set to the errno of the failed step (fork,
/// chdir or the guardian's execve, reported back through a close-on-exec pipe).
int baton_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                int stdin_fd, int stdout_fd, int stderr_fd, int *error);

/// pipe2(fds, O_CLOEXEC), plus O_NONBLOCK on both ends when `nonblocking`; 0 or -1/errno.
int baton_pipe(int fds[2], int nonblocking);

/// 1 if the child `pid` has exited (it is not reaped: waitid with WNOWAIT), else 0.
int baton_has_exited(int pid);

#endif
