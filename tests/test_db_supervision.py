"""The embedded database is supervised: killed under a running ``serve``, it is started again and
the server serves again by itself within 30 s; meanwhile /readyz is 503 and /healthz stays 200."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from backend.db.embedded import free_port
from tests.conftest import ROOT
from tests.support import wait_answering

pytestmark = pytest.mark.slow


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}
    data = tmp_path / "d"
    with open(tmp_path / "serve.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port), "--data-dir",
                                 str(data)], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    wait_answering(base, "/readyz", proc, tmp_path / "serve.log", timeout=90)
    yield base, data, proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


def _db_pid(data: Path) -> int:
    return int(json.loads((data / "run" / "db.json").read_text())["pid"])


def _login(base: str) -> int:
    return requests.post(base + "/api/v1/auth/wechat-login", json={"code": f"test-{uuid.uuid4().hex[:8]}"},
                         timeout=10).status_code


def test_a_killed_database_is_restarted_and_the_server_recovers(serving) -> None:  # noqa: ANN001
    base, data, proc = serving
    assert _login(base) == 200
    first = _db_pid(data)
    os.kill(first, signal.SIGKILL)
    killed = time.monotonic()

    readiness: list[int] = []
    while True:
        ready = requests.get(base + "/readyz", timeout=10)
        readiness.append(ready.status_code)
        assert requests.get(base + "/healthz", timeout=10).status_code == 200
        if ready.status_code == 200 and _login(base) == 200:
            break
        assert time.monotonic() - killed < 30, readiness
        time.sleep(0.1)
    assert readiness[0] == 503 and ready.json()["database"] == "up"
    assert proc.poll() is None  # the same server, not restarted
    assert _db_pid(data) != first
