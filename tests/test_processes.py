"""Several processes on one database: ``serve --processes 3 --worker-processes 3``. Bookings
racing through different app processes are each counted once and never exceed capacity."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
import requests

from backend.core.clock import TZ
from backend.db.embedded import free_port
from tests.conftest import ROOT
from tests.support import Api, new_resident
from tests.support_appointments import make_bookable, open_day, slots

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[str]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append((d / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (OSError, IndexError, ValueError):
                pass
    return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen]]:
    data = tmp_path_factory.mktemp("cluster")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}
    with open(data / "serve.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port), "--data-dir",
                                 str(data / "d"), "--processes", "3", "--worker-processes", "3"],
                                cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    ready = 0
    while ready < 6 and time.monotonic() < deadline:  # several answers: every app process is up
        assert proc.poll() is None, (data / "serve.log").read_text()[-3000:]
        try:
            ready = ready + 1 if requests.get(base + "/readyz", timeout=2).status_code == 200 else 0
        except requests.RequestException:
            ready = 0
        time.sleep(0.3)
    assert ready >= 6, "cluster did not become ready"
    log_file = data / "serve.log"
    while log_file.read_text().count("指尖办 ready") < 3:  # every app process has started
        assert time.monotonic() < deadline, log_file.read_text()[-3000:]
        time.sleep(0.2)
    yield base, proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


def test_three_apps_and_three_workers_count_each_booking_once(cluster: tuple[str, subprocess.Popen]) -> None:
    base, proc = cluster
    kids = _children(proc.pid)
    assert sum("backend serve" in k and "--reuse-port" in k for k in kids) == 3, kids
    assert sum("backend worker" in k for k in kids) == 3, kids

    api = Api(base)
    b = make_bookable(api, capacity=5, services=1)
    day = dt.datetime.now(TZ).date() + dt.timedelta(days=2)
    open_day(api, b, day)
    slot = slots(api, b, day)[0]
    residents = [new_resident(Api(base), verified=True) for _ in range(30)]

    def book(token: str) -> int:
        return requests.post(base + "/api/v1/appointments", json={"slot_id": slot["id"]},
                             headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code

    with ThreadPoolExecutor(30) as pool:  # a new connection each: spread over the processes
        codes = list(pool.map(book, [r.access_token for r in residents]))
    assert codes.count(201) == 5 and codes.count(409) == 25, codes
    after = next(s for s in slots(api, b, day) if s["id"] == slot["id"])
    assert after["remaining"] == 0
    booked = [r for r in residents
              if api.get("/api/v1/appointments", token=r.access_token).json()["items"]]
    assert len(booked) == 5

    # Each booking's message is delivered once by the three worker processes: one inbox entry
    # per booked resident, none for the refused.
    def inbox(r) -> list:  # noqa: ANN001
        return [m for m in api.get("/api/v1/me/inbox", token=r.access_token).json()["items"]
                if m["kind"] == "appointment.booked"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and sum(len(inbox(r)) for r in booked) < 5:
        time.sleep(0.3)
    time.sleep(2)  # anything more would be a duplicate
    assert [len(inbox(r)) for r in booked] == [1] * 5
    assert all(inbox(r) == [] for r in residents if r not in booked)

    # One resident racing themselves through different processes wins once.
    day2 = day + dt.timedelta(days=1)
    open_day(api, b, day2)
    slot2 = slots(api, b, day2)[0]
    me = new_resident(api, verified=True)
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: requests.post(
            base + "/api/v1/appointments", json={"slot_id": slot2["id"]},
            headers={"Authorization": f"Bearer {me.access_token}"}, timeout=60).status_code, range(8)))
    assert codes.count(201) == 1, codes
    assert len(api.get("/api/v1/appointments", token=me.access_token).json()["items"]) == 1
