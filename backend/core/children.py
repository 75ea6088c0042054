"""A child process this one starts and keeps running: the embedded database, the sandbox's
stand-ins. Started again 1 s, 2, 4 … at most 8 s after it dies, until ``stop()``; never outliving
us (the subclasses start it with ``PR_SET_PDEATHSIG``, which follows the thread that started it:
so the supervising thread lives until ``stop()``)."""
from __future__ import annotations

import logging
import signal
import subprocess
import threading
from typing import Any

log = logging.getLogger("zjb.children")


def stop_process(proc: subprocess.Popen[bytes], timeout: float, *, label: str = "child process") -> None:
    """End ``proc`` if it still runs: SIGTERM, and SIGKILL if it has not exited after ``timeout``."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log.warning(f"{label} did not stop in time; killing it")
        proc.kill()
        proc.wait(5)


class SupervisedChild:
    label = "child process"              # in the log lines
    thread_name = "child-supervisor"

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    # -- what a kind of child does ---------------------------------------------------------------

    def _start(self, timeout: float) -> object:
        """Start the child (unless it runs) and return once it answers; raise if it does not."""
        raise NotImplementedError

    def _stop(self, timeout: float) -> None:
        """Stop the child if it runs, and forget it."""
        raise NotImplementedError

    def _restarted(self) -> dict[str, Any]:
        """What the log line of a restart tells besides the count."""
        return {"pid": self.proc.pid if self.proc else None}

    # -- the same for every child ----------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> object:
        """What ``_start`` returns (the embedded database: its URI)."""
        with self._lock:
            return self._start(timeout)

    def supervise(self, *, poll: float = 0.5, first_delay: float = 1.0, max_delay: float = 8.0) -> None:
        """Start the child again whenever it dies, until ``stop()``."""
        if self._watcher is not None:
            return
        self._stopping.clear()
        self._watcher = threading.Thread(target=self._watch, args=(poll, first_delay, max_delay),
                                         name=self.thread_name, daemon=True)
        self._watcher.start()

    def _watch(self, poll: float, first_delay: float, max_delay: float) -> None:
        delay = first_delay
        while not self._stopping.wait(poll):
            proc = self.proc
            if proc is not None and proc.poll() is None:
                continue
            log.error(f"{self.label} is not running; restarting",
                      extra={"code": proc.returncode if proc else None, "retry_in_s": delay, "restarts": self.restarts})
            if self._stopping.wait(delay):
                return
            try:
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self._start(60.0)
                self.restarts += 1
                delay = first_delay
                log.warning(f"{self.label} restarted", extra={**self._restarted(), "restarts": self.restarts})
            except Exception:  # noqa: BLE001 - keep trying, backing off
                log.exception(f"{self.label} did not restart")
                delay = min(delay * 2, max_delay)

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        watcher, self._watcher = self._watcher, None
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(timeout)
        with self._lock:
            self._stop(timeout)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
