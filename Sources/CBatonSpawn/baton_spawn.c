#define _GNU_SOURCE
#include "baton_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// The signal the kernel sends the guardian when Baton's spawning thread dies.
#define PARENT_DIED SIGUSR1

static void report_and_exit(int pipe_fd, int code) {
    int value = code;
    while (write(pipe_fd, &value, sizeof value) < 0 && errno == EINTR) {}
    _exit(127);
}

/// Closes (or marks close-on-exec) every descriptor from `first` up.
static void close_from(int first, int on_exec) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)first, ~0U, on_exec ? CLOSE_RANGE_CLOEXEC : 0U) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = first; fd < max; fd++) {
        if (on_exec) {
            int flags = fcntl(fd, F_GETFD);
            if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        } else {
            close(fd);
        }
    }
}

static void reset_signals(void) {
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/// The guardian, run by /bin/sh: starts the command (its stdin the guardian's, kept on fd 3
/// because an asynchronous list's stdin is /dev/null otherwise), keeps none of the pipes
/// itself, waits, and ends as the command did (re-raising its signal). PARENT_DIED (sent by
/// the kernel when Baton's thread dies: PR_SET_PDEATHSIG survives exec) kills the whole
/// process group, the guardian included. Were the signal to come before the trap is set, its
/// default action ends the guardian before it has started anything.
static const char guardian_script[] =
    "trap 'kill -KILL 0' USR1\n"
    "exec 3<&0\n"
    "\"$@\" <&3 3<&- &\n"
    "exec 0</dev/null 1>/dev/null 2>/dev/null 3<&-\n"
    "wait \"$!\"\n"
    "status=$?\n"
    "if [ \"$status\" -gt 128 ]; then trap - USR1; kill -s \"$(kill -l \"$status\")\" $$; fi\n"
    "exit \"$status\"\n";

/// The forked child: a new process group, PR_SET_PDEATHSIG, the pipes on 0-2, then exec of
/// the guardian (so nothing of Baton's memory stays around).
static void exec_guardian(pid_t baton, const char *path, char *const argv[], char *const envp[], const char *cwd,
                          int stdin_fd, int stdout_fd, int stderr_fd, int report) {
    reset_signals();
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, PARENT_DIED) != 0) report_and_exit(report, errno);
    // Baton may have died before prctl took effect.
    if (getppid() != baton) _exit(1);
    if (dup2(stdin_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(stderr_fd, 2) < 0) report_and_exit(report, errno);
    close_from(3, 1);
    if (cwd != NULL && chdir(cwd) != 0) report_and_exit(report, errno);

    // sh -c SCRIPT baton-guardian PATH ARGS…: argv[0] of the command is replaced by its path.
    const char *guardian[4 + 256];
    int count = 0;
    guardian[count++] = "sh";
    guardian[count++] = "-c";
    guardian[count++] = guardian_script;
    guardian[count++] = "baton-guardian";
    guardian[count++] = path;
    for (int i = 1; argv[i] != NULL; i++) {
        if (count >= (int)(sizeof guardian / sizeof guardian[0]) - 1) report_and_exit(report, E2BIG);
        guardian[count++] = argv[i];
    }
    guardian[count] = NULL;
    execve("/bin/sh", (char *const *)guardian, envp);
    report_and_exit(report, errno);
}

int baton_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                int stdin_fd, int stdout_fd, int stderr_fd, int *error) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *error = errno;
        return -1;
    }
    pid_t baton = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        *error = errno;
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (pid == 0) exec_guardian(baton, path, argv, envp, cwd, stdin_fd, stdout_fd, stderr_fd, report[1]);

    close(report[1]);
    // Also here, so the group exists before anyone signals it.
    setpgid(pid, pid);
    int code = 0;
    ssize_t got;
    do {
        got = read(report[0], &code, sizeof code);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof code) {
        kill(-pid, SIGKILL);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *error = code;
        return -1;
    }
    return pid;
}

int baton_pipe(int fds[2], int nonblocking) {
    return pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0));
}

int baton_has_exited(int pid) {
    siginfo_t info;
    info.si_pid = 0;
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return 0;
    return info.si_pid == pid;
}
