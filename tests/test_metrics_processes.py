"""``/metrics`` under ``serve --processes 3``: whichever app process answers a scrape, the request
counts are the sum over all of them, including a process that has died since."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector

from backend.db.embedded import free_port
from backend.server import metrics_dir
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

ROUTE = "/api/v1/services/{id}"
MISSING = "/api/v1/services/000000000000000000000000"
COUNT = f'zjb_http_requests_total{{method="GET",route="{ROUTE}",status="404"}}'
LATENCY = f'zjb_http_request_duration_seconds_count{{method="GET",route="{ROUTE}"}}'


def _app_pids(supervisor: int) -> set[int]:
    pids = set()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            parent = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if parent == supervisor and "backend serve" in cmd and "--reuse-port" in cmd:
            pids.add(int(d.name))
    return pids


def _ready(log: Path) -> set[int]:
    """Process ids that have logged "ready" (started, demo data seeded)."""
    pids = set()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{") and '"msg": "指尖办 ready"' in line:
            pids.add(int(json.loads(line)["pid"]))
    return pids


def _answered_by(directory: Path) -> Counter:
    """Requests to ROUTE counted in each process's own file, by process id."""
    out: Counter = Counter()
    for f in directory.glob("counter_*.db"):
        pid = int(f.stem.split("_")[1])
        for metric in MultiProcessCollector.merge([str(f)], accumulate=False):
            for s in metric.samples:
                if s.name == "zjb_http_requests_total" and s.labels.get("route") == ROUTE:
                    out[pid] += int(s.value)
    return out


def _scrape(base: str) -> dict[str, float]:
    r = requests.get(base + "/metrics", timeout=30)  # a new connection: any process may answer
    assert r.status_code == 200
    text = r.text
    assert text.count("# TYPE zjb_outbox_messages gauge") == 1  # gauges once per scrape, not per process
    values = {}
    for line in text.splitlines():
        if line.startswith((COUNT + " ", LATENCY + " ")):
            key, value = line.rsplit(" ", 1)
            values[key] = float(value)
    return values


def _wait(condition, what: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen, Path, Path]]:
    data = tmp_path_factory.mktemp("metrics-cluster")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    log = data / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port), "--data-dir",
                                 str(data / "d"), "--processes", "3", "--worker-processes", "0"],
                                cwd=ROOT, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    directory = metrics_dir(str(data / "d"))
    try:
        yield base, proc, directory, log
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def test_request_totals_are_summed_over_every_app_process(cluster) -> None:  # noqa: ANN001
    base, proc, directory, log = cluster

    def all_ready() -> bool:
        """Three app processes, each of which has logged that it is ready."""
        pids = _app_pids(proc.pid)
        return len(pids) == 3 and pids <= _ready(log)
    _wait(all_ready, "three ready app processes", proc, log)

    n = 60
    for _ in range(n):  # each on a new connection, spread over the processes by the kernel
        assert requests.get(base + MISSING, timeout=30).status_code == 404
    # A request is counted just after its answer is sent: wait for the last one.
    _wait(lambda: sum(_answered_by(directory).values()) >= n, "the last request to be counted", proc, log)
    by_process = _answered_by(directory)
    assert sum(by_process.values()) == n
    assert len([pid for pid, c in by_process.items() if c]) >= 2, by_process  # not all from one process
    for _ in range(6):
        assert _scrape(base) == {COUNT: n, LATENCY: n}

    # A process that dies keeps its counts in the total; its replacement adds to them.
    victim = max(by_process, key=by_process.get)
    os.kill(victim, signal.SIGKILL)
    _wait(lambda: victim not in _app_pids(proc.pid) and all_ready(), "a ready replacement", proc, log)
    for _ in range(10):
        assert requests.get(base + MISSING, timeout=30).status_code == 404
    _wait(lambda: sum(_answered_by(directory).values()) >= n + 10, "the last request to be counted", proc, log)
    for _ in range(6):
        assert _scrape(base) == {COUNT: n + 10, LATENCY: n + 10}
