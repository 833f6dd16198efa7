"""Real `baton` processes under the harness's control.

Every process runs in a session of its own (so a Ctrl-C at the harness's terminal reaches
only the harness, which then kills them), writes stdout/stderr to files, and has a
wall-clock limit: a watchdog thread SIGKILLs its whole process group once the limit has
passed (also when it is SIGSTOPped) and marks it `hung`. Every process also carries the
environment variable CHAOS_MARK, so processes it left behind (exec children) can be found
and killed after it is gone.
"""

import os
import signal
import subprocess
import threading
import time

MARK_VAR = "CHAOS_MARK"


class BatonProc:
    def __init__(self, registry, binary, args, cwd, log_dir, label, limit, env=None, tag="0"):
        self.label = label
        self.args = args
        self.limit = limit
        self.hung = False
        self.signals = []  # (seconds since start, signal name)
        self.out_path = os.path.join(log_dir, f"{label}.stdout")
        self.err_path = os.path.join(log_dir, f"{label}.stderr")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.mark = f"{registry.mark}/{tag}"
        full_env[MARK_VAR] = self.mark
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen([binary] + args, cwd=cwd, env=full_env, stdout=out, stderr=err,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.popen.pid
        self.started = time.monotonic()
        self.ended = None
        registry.add(self)

    # -- state ------------------------------------------------------------------------------

    def alive(self):
        if self.popen.poll() is None:
            return True
        if self.ended is None:
            self.ended = time.monotonic()
        return False

    @property
    def returncode(self):
        return self.popen.poll()

    def exit_text(self):
        rc = self.popen.poll()
        if rc is None:
            return "running"
        if self.hung:
            return f"SIGKILLed at its {self.limit:.0f}s limit (hung)"
        if rc < 0:
            return f"killed by {signal.Signals(-rc).name}"
        return f"exit {rc}"

    @property
    def deadline(self):
        return self.started + self.limit

    def past_limit(self):
        return time.monotonic() > self.deadline

    def extend(self, seconds):
        """A fresh limit: `seconds` from now (e.g. once a paused process is continued)."""
        self.limit = time.monotonic() - self.started + seconds

    # -- control ----------------------------------------------------------------------------

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.pid, sig)
                self.signals.append((round(time.monotonic() - self.started, 2), signal.Signals(sig).name))
            except ProcessLookupError:
                pass

    def kill_group(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.alive()

    def wait(self, timeout=None):
        """Waits until the process ends, its limit passes (then it is killed), or `timeout`
        seconds pass. Returns the return code, or None when still running."""
        end = self.deadline
        if timeout is not None:
            end = min(end, time.monotonic() + timeout)
        while True:
            if not self.alive():
                return self.popen.returncode
            now = time.monotonic()
            if self.past_limit():
                self.hung = True
                self.kill_group()
                return self.popen.returncode
            if now >= end:
                return None
            time.sleep(min(0.02, max(0.0, end - now)))

    # -- output -----------------------------------------------------------------------------

    def stderr_tail(self, lines=8):
        """The last lines of stderr (progress lines left out); for a crash, the crash line
        and the top frames of the crashed thread instead of the full backtrace."""
        try:
            with open(self.err_path, "rb") as f:
                data = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        text = [l for l in data.replace("\r", "\n").splitlines() if l.strip() and not l.startswith("progress ")]
        crash = [i for i, l in enumerate(text) if l.startswith("*** Program crashed")]
        if crash:
            out = text[max(0, crash[0] - 3):crash[0] + 1]
            thread = [i for i, l in enumerate(text) if l.startswith("Thread ") and l.rstrip().endswith("crashed:")]
            if thread:
                out += [text[thread[0]]] + [l.strip()[:200] for l in text[thread[0] + 1:thread[0] + 5]]
            return "\n".join(out)
        return "\n".join(l[:300] for l in text[-lines:])

    def describe(self):
        sig = "".join(f" {name}@{t}s" for t, name in self.signals)
        return f"{self.label} [{' '.join(self.args[:1] + self.args[2:4])}]: {self.exit_text()}{(' signals:' + sig) if sig else ''}"


class Registry:
    """All processes of the harness; a watchdog enforces their limits; `cleanup` kills
    whatever is left, including leftovers that carry the mark."""

    def __init__(self, mark):
        self.mark = mark
        self.procs = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="watchdog", daemon=True)
        self.thread.start()

    def add(self, proc):
        with self.lock:
            self.procs.append(proc)

    def _watch(self):
        while not self.stop.wait(0.25):
            with self.lock:
                procs = [p for p in self.procs if p.ended is None]
            for p in procs:
                if p.alive() and p.past_limit():
                    p.hung = True
                    p.kill_group()

    def kill_all(self):
        with self.lock:
            procs = list(self.procs)
        for p in procs:
            if p.alive():
                p.kill_group()
        return kill_marked(self.mark + "/", prefix=True)

    def close(self):
        self.stop.set()
        self.kill_all()


def marked(mark, prefix=False):
    """Pids of the processes (other than this one) whose environment holds CHAOS_MARK=mark
    (or a value starting with `mark`)."""
    needle = f"{MARK_VAR}={mark}".encode()
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if any(e == needle or (prefix and e.startswith(needle)) for e in env):
            found.append(int(entry))
    return found


def kill_marked(mark, prefix=False):
    """SIGKILLs the marked processes; returns how many there were."""
    found = marked(mark, prefix)
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(found)
