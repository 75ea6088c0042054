"""The embedded database: SecantusDB (MongoDB wire protocol, WiredTiger storage) as a child
process with its files under ``DATA_DIR/db``.

It is a separate process so that a crash in either cannot corrupt the other, and so that tests
can stop and start it under a running app. It never outlives us: the child asks the kernel for
SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), and ``stop()`` terminates it cleanly.
The URI always carries ``retryWrites=false`` (retryable writes slow SecantusDB down ~15x).
"""
from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient

log = logging.getLogger("zjb.db.embedded")


class EmbeddedDatabaseError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class EmbeddedDatabase:
    def __init__(self, data_dir: str | os.PathLike, *, cache_size: str = "512M", port: int | None = None,
                 host: str = "127.0.0.1"):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / "db"
        self.cache_size = cache_size
        self.host = host
        self.port = port or 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?retryWrites=false&directConnection=true"

    @property
    def run_file(self) -> Path:
        return self.data_dir / "run" / "db.json"

    def start(self, timeout: float = 60.0) -> str:
        if self.proc and self.proc.poll() is None:
            return self.uri
        self.path.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port(self.host)
        self._log_file = open(self.data_dir / "logs" / "secantusdb.log", "ab")
        cmd = [sys.executable, "-m", "secantus", "--host", self.host, "--port", str(self.port),
               "--storage-path", str(self.path), "--log-level", "WARNING", "--cache-size", self.cache_size]
        log.info("starting embedded database", extra={"port": self.port, "path": str(self.path)})
        self.proc = subprocess.Popen(cmd, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self._wait_ready(timeout)
        self.run_file.parent.mkdir(parents=True, exist_ok=True)
        self.run_file.write_text(json.dumps({"uri": self.uri, "pid": self.proc.pid, "owner_pid": os.getpid()}))
        return self.uri

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise EmbeddedDatabaseError(
                    f"the embedded database exited with code {self.proc.returncode} at start-up; "
                    f"see {self.data_dir / 'logs' / 'secantusdb.log'} (is another server using {self.path}?)")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    pass
                client: MongoClient = MongoClient(self.uri, serverSelectionTimeoutMS=1000)
                try:
                    client.admin.command("ping")
                    return
                finally:
                    client.close()
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)
        self.stop()
        raise EmbeddedDatabaseError(f"the embedded database did not answer within {timeout:.0f}s")

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded database did not stop in time; killing it")
                proc.kill()
                proc.wait(5)
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        try:
            info = json.loads(self.run_file.read_text())
            if proc is not None and info.get("pid") == proc.pid:
                self.run_file.unlink()
        except (OSError, ValueError):
            pass

    def kill(self) -> None:
        """Kill the server abruptly (fault tests): no clean shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def running_database_uri(data_dir: str | os.PathLike) -> str | None:
    """The URI of the embedded database a running ``serve`` started for this data folder."""
    try:
        info = json.loads((Path(data_dir) / "run" / "db.json").read_text())
        os.kill(int(info["pid"]), 0)
        return str(info["uri"])
    except (OSError, ValueError, KeyError):
        return None
