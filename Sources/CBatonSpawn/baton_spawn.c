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

/// Baton is gone: take the whole group down, the guardian included.
static void kill_group(int sig) {
    (void)sig;
    kill(0, SIGKILL);
}

/// The command, in the guardian's process group.
static void run_command(const char *path, char *const argv[], char *const envp[], const char *cwd,
                        int stdin_fd, int stdout_fd, int stderr_fd, int report) {
    reset_signals();
    // Dies with the guardian, should anything kill it alone.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (dup2(stdin_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(stderr_fd, 2) < 0) report_and_exit(report, errno);
    close_from(3, 1);
    if (cwd != NULL && chdir(cwd) != 0) report_and_exit(report, errno);
    execve(path, argv, envp);
    report_and_exit(report, errno);
}

/// The guardian: forks the command, keeps none of Baton's descriptors, and mirrors the
/// command's end.
static void guard(pid_t baton, const char *path, char *const argv[], char *const envp[], const char *cwd,
                  int stdin_fd, int stdout_fd, int stderr_fd, int report) {
    reset_signals();
    setpgid(0, 0);
    prctl(PR_SET_NAME, "baton-guardian", 0, 0, 0);
    struct sigaction action;
    action.sa_handler = kill_group;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(PARENT_DIED, &action, NULL);
    if (prctl(PR_SET_PDEATHSIG, PARENT_DIED) != 0) report_and_exit(report, errno);
    // Baton may have died before prctl took effect.
    if (getppid() != baton) kill_group(0);

    pid_t command = fork();
    if (command < 0) report_and_exit(report, errno);
    if (command == 0) run_command(path, argv, envp, cwd, stdin_fd, stdout_fd, stderr_fd, report);

    // None of Baton's descriptors stay open here (the command's pipes must close when it
    // exits, the report pipe when it execs); the standard ones point at /dev/null.
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    close_from(3, 0);

    int status;
    while (waitpid(command, &status, 0) < 0) {
        if (errno != EINTR) _exit(127);
    }
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    kill(getpid(), sig);
    _exit(128 + sig);
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
    if (pid == 0) guard(baton, path, argv, envp, cwd, stdin_fd, stdout_fd, stderr_fd, report[1]);

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
