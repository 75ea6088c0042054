"""The embedded database: SecantusDB (MongoDB wire protocol, WiredTiger storage) as a child
process with its files under ``DATA_DIR/db``.

It is a separate process so that a crash in either cannot corrupt the other, and so that tests
can stop and start it under a running app. It never outlives us: the child asks the kernel for
SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), and ``stop()`` terminates it cleanly. A
server whose owner died and that still holds the files at the next start is killed after a short
grace (``orphan_grace``), so a restart after a crash does not wait on its clean stop.
The URI always carries ``retryWrites=false`` (retryable writes slow SecantusDB down ~15x). The
server runs without SecantusDB's TTL sweeper (``secantus_server.py``); the app's workers expire
documents by their TTL index (``expiry.py``).

It is not open to every local process: the server runs with ``--auth`` (SCRAM-SHA-256), and its
one account's password is generated when the data folder is first used and kept in
``DATA_DIR/db-auth.json``, readable by its owner only. The account is created through a
short-lived start without authentication on a port of its own, before the real start.

``supervise()`` watches the child: if it dies, it is started again on the same port and files
(WiredTiger recovers from its journal), after 1 s, then 2, 4 … at most 8 s between tries. The app's
database client reconnects by itself; meanwhile ``/readyz`` answers 503 and requests that need
the database 503 ``service_unavailable``.
"""
from __future__ import annotations

import ctypes
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from pymongo import MongoClient

from backend.core.children import SupervisedChild, stop_process

log = logging.getLogger("zjb.db.embedded")
_USER = "zjb"
# The server's process: SecantusDB without its TTL sweeper (``secantus_server.py`` says why).
SERVER_MODULE = "backend.db.secantus_server"
# What names a database server in a process's arguments: this one, or SecantusDB's own command
# line that earlier versions ran.
SERVER_ARGS = {SERVER_MODULE.encode(), b"secantus"}


class EmbeddedDatabaseError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class EmbeddedDatabase(SupervisedChild):
    label = "embedded database"
    thread_name = "db-supervisor"

    def __init__(self, data_dir: str | os.PathLike[str], *, cache_size: str = "512M", port: int | None = None,
                 host: str = "127.0.0.1"):
        super().__init__()
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / "db"
        self.cache_size = cache_size
        self.host = host
        self.port = port or 0
        self._log_file: BinaryIO | None = None

    @property
    def uri(self) -> str:
        user, password = _USER, quote(self._password(), safe="")
        return (f"mongodb://{user}:{password}@{self.host}:{self.port}/"
                "?authSource=admin&retryWrites=false&directConnection=true")

    @property
    def auth_file(self) -> Path:
        return self.data_dir / "db-auth.json"

    def _password(self) -> str:
        return str(json.loads(self.auth_file.read_text())["password"])

    def _command(self, port: int, *, auth: bool) -> list[str]:
        return [sys.executable, "-m", SERVER_MODULE, "--host", self.host, "--port", str(port),
                "--storage-path", str(self.path), "--log-level", "WARNING", "--cache-size", self.cache_size,
                *(["--auth"] if auth else [])]

    def _provision(self, timeout: float) -> None:
        """Create (or reset) the database's account with a new password, then keep it in
        ``auth_file``: done once per data folder, before the first start with ``--auth``."""
        password = secrets.token_urlsafe(24)
        port = free_port(self.host)
        assert self._log_file is not None
        proc = subprocess.Popen(self._command(port, auth=False), stdout=self._log_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        try:
            client: MongoClient[dict[str, Any]] = MongoClient(
                f"mongodb://{self.host}:{port}/?directConnection=true", serverSelectionTimeoutMS=int(timeout * 1000))
            try:
                roles = [{"role": "root", "db": "admin"}]
                if client.admin.command("usersInfo", _USER)["users"]:
                    client.admin.command("updateUser", _USER, pwd=password, roles=roles)
                else:
                    client.admin.command("createUser", _USER, pwd=password, roles=roles)
            finally:
                client.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout)
        tmp = self.auth_file.with_suffix(".tmp")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            json.dump({"user": _USER, "password": password}, f)
        tmp.replace(self.auth_file)

    @property
    def run_file(self) -> Path:
        return self.data_dir / "run" / "db.json"

    # How long a server whose owner died may take to stop by itself before it is killed.
    orphan_grace = 5.0

    def _kill_orphan(self) -> None:
        """Kill the server a dead ``serve`` left on these files, if that is who holds them.

        Its parent's death sent it SIGTERM, and a clean stop (connections drained, a checkpoint)
        usually ends in a second or two; on a loaded machine it has been seen to hold the files
        for more than a minute. Its journal reaches the files within a fraction of a second of
        each write (at once for ``j: true``), and the next start recovers from it, so after the
        grace it is killed rather than waited for. A server whose owner still runs is never
        touched."""
        pid = _orphaned_server(self.run_file, self.path)
        if pid is None:
            return
        log.warning("killing an embedded database left running by a stopped process", extra={"pid": pid})
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            return
        deadline = time.monotonic() + 5.0
        while _process_running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def start(self, timeout: float = 60.0) -> str:
        with self._lock:
            return self._start(timeout)

    def _start(self, timeout: float) -> str:
        if self.proc and self.proc.poll() is None:
            return self.uri
        self._close_log()
        self.path.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port(self.host)
        self._log_file = open(self.data_dir / "logs" / "secantusdb.log", "ab")
        if not self.auth_file.exists():
            self._provision(timeout)
        log.info("starting embedded database", extra={"port": self.port, "path": str(self.path)})
        deadline = time.monotonic() + timeout
        log_path = self.data_dir / "logs" / "secantusdb.log"
        busy_since: float | None = None
        while True:
            seen = log_path.stat().st_size
            self.proc = subprocess.Popen(self._command(self.port, auth=True), stdout=self._log_file,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         preexec_fn=_die_with_parent)
            try:
                self._wait_ready(max(1.0, deadline - time.monotonic()))
                break
            except EmbeddedDatabaseError:
                # A server killed with its parent may still hold the files while it stops: wait for it.
                if not (_files_busy(log_path, seen) and time.monotonic() < deadline):
                    self._close_log()
                    raise
                busy_since = busy_since or time.monotonic()
                if time.monotonic() - busy_since >= self.orphan_grace:
                    self._kill_orphan()
                log.warning("embedded database files still held by a stopping server; trying again")
                time.sleep(0.5)
        self.run_file.parent.mkdir(parents=True, exist_ok=True)
        with open(os.open(self.run_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:  # holds the password
            json.dump({"uri": self.uri, "pid": self.proc.pid, "owner_pid": os.getpid()}, f)
        self.run_file.chmod(0o600)
        return self.uri

    def _close_log(self) -> None:
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                code, self.proc = self.proc.returncode, None
                raise EmbeddedDatabaseError(
                    f"the embedded database exited with code {code} at start-up; "
                    f"see {self.data_dir / 'logs' / 'secantusdb.log'} (is another server using {self.path}?)")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    pass
                client: MongoClient[dict[str, Any]] = MongoClient(self.uri, serverSelectionTimeoutMS=1000)
                try:
                    client.admin.command("ping")
                    return
                finally:
                    client.close()
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)
        self._stop(5.0)
        raise EmbeddedDatabaseError(f"the embedded database did not answer within {timeout:.0f}s")

    def _stop(self, timeout: float) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc, timeout, label=self.label)
        self._close_log()
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
        self._close_log()


def _files_busy(log_path: Path, since: int) -> bool:
    """Whether the server that just exited found its storage locked by another (WiredTiger's EBUSY)."""
    with open(log_path, "rb") as f:
        f.seek(since)
        return b"Device or resource busy" in f.read()


def _process_running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has, and holds no files)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _orphaned_server(run_file: Path, storage: Path) -> int | None:
    """The pid in ``run_file`` when it is a database server on ``storage`` whose owner has exited."""
    try:
        info = json.loads(run_file.read_text())
        pid, owner = int(info["pid"]), int(info["owner_pid"])
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if owner == os.getpid() or _process_running(owner) or not _process_running(pid):
        return None
    if not SERVER_ARGS & set(argv) or os.fsencode(str(storage)) not in argv:
        return None  # the pid was reused by something else
    return pid


def running_database_uri(data_dir: str | os.PathLike[str]) -> str | None:
    """The URI of the embedded database a running ``serve`` started for this data folder."""
    try:
        info = json.loads((Path(data_dir) / "run" / "db.json").read_text())
        os.kill(int(info["pid"]), 0)
        return str(info["uri"])
    except (OSError, ValueError, KeyError):
        return None
