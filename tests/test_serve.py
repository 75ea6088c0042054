"""`python -m backend serve`: starts everything, stops cleanly, never leaves the database behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from backend.db.embedded import free_port
from tests.conftest import ROOT
from tests.support import wait_answering

pytestmark = pytest.mark.slow


def _start(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}
    with open(data_dir.parent / f"{port}.log", "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port),
                                 "--data-dir", str(data_dir)],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_answering(base, "/readyz", proc, data_dir.parent / f"{port}.log")
    except AssertionError:
        proc.kill()
        raise
    return proc, base


def _db_pid(data_dir: Path) -> int:
    return int(json.loads((data_dir / "run" / "db.json").read_text())["pid"])


def _gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # reap it if it is our zombie grandchild's parent's
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    return False


def test_serve_starts_everything_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, base = _start(data)
    db_pid = _db_pid(data)
    try:
        assert requests.get(base + "/healthz").json() == {"status": "ok"}
        login = requests.post(base + "/api/v1/auth/wechat-login", json={"code": "test-serve"}).json()
        assert login["user"]["id"]
        assert requests.get(base + "/sandbox/staff").status_code == 200
        assert (data / "db").is_dir() and (data / "sandbox" / "wechat.sqlite").is_file()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert _gone(db_pid), "the embedded database outlived serve"
    assert not (data / "run" / "db.json").exists()

    # Data survives a restart, as do the stand-ins' records.
    proc, base = _start(data)
    try:
        again = requests.post(base + "/api/v1/auth/wechat-login", json={"code": "test-serve"}).json()
        assert again["user"]["id"] == login["user"]["id"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def test_a_killed_serve_does_not_leave_the_database_orphaned(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, _ = _start(data)
    db_pid = _db_pid(data)
    proc.kill()
    proc.wait(10)
    assert _gone(db_pid), "the embedded database was orphaned"


def test_a_serve_that_cannot_reach_its_database_stops_when_told(tmp_path: Path) -> None:
    """Still trying to reach the database at start-up, it answers /healthz, not /readyz, and a
    SIGTERM ends it after the attempt under way, not never."""
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZJB_")},
           "ZJB_DATABASE_URI": "mongodb://127.0.0.1:9/?retryWrites=false&directConnection=true",
           "ZJB_DATABASE_SERVER_SELECTION_TIMEOUT_MS": "500", "ZJB_SANDBOX_STANDINS_MODE": "inline"}
    with open(tmp_path / "serve.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port),
                                 "--data-dir", str(tmp_path / "data")],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_answering(base, "/healthz", proc, tmp_path / "serve.log")
        assert requests.get(base + "/readyz", timeout=5).status_code == 503
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0, (tmp_path / "serve.log").read_text()
        assert "stopping before the start finished" in (tmp_path / "serve.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
