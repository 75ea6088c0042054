"""Start-up and restart: spawn → /readyz 200, measured from outside, as a resident waits for it.

    .venv/bin/python bench/startup.py [--runs 3]

Each run spawns ``python -m backend serve`` (embedded SecantusDB, stand-ins, demo data, workers)
on a fresh data folder and times spawn → first /healthz 200 → first /readyz 200. It then kills
the whole process group with SIGKILL (a crash) and starts it again on the same folder, timing
the restart the same way. Then it starts the app in this process on a fresh database and times
each step of ``Runtime.start`` (schema, each domain's start-up hook, workers), to show where the
time goes. Nothing else should run on the machine meanwhile.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.db.embedded import free_port, running_database_uri  # noqa: E402
from bench.common import machine  # noqa: E402


def _spawn(data: Path, port: int, log: Path) -> tuple[subprocess.Popen[bytes], float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}
    env["ZJB_LOGGING_LEVEL"] = "WARNING"
    t0 = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port), "--data-dir",
                                 str(data)], cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    healthy = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("serve exited:\n" + log.read_text()[-3000:])
        try:
            if healthy is None and requests.get(base + "/healthz", timeout=1).status_code == 200:
                healthy = time.perf_counter() - t0
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, healthy or time.perf_counter() - t0, time.perf_counter() - t0
        except requests.RequestException:
            pass
        time.sleep(0.02)
    raise SystemExit("serve did not become ready in 120 s")


def _kill(proc: subprocess.Popen[bytes], data: Path) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    deadline = time.monotonic() + 20
    while running_database_uri(data) is not None and time.monotonic() < deadline:
        time.sleep(0.05)  # the database child follows its parent (PR_SET_PDEATHSIG)


def spawned(runs: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    fresh, restart = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="zjb-start-") as tmp:
            data, log, port = Path(tmp) / "data", Path(tmp) / "serve.log", free_port()
            proc, h, r = _spawn(data, port, log)
            fresh.append((h, r))
            _kill(proc, data)
            proc, h, r = _spawn(data, port, log)
            restart.append((h, r))
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    return fresh, restart


async def _steps() -> list[tuple[str, float]]:
    """``Runtime.start`` step by step, in this process, on a fresh database."""
    from backend.app import make_app
    from backend.config import load_config
    from backend.db.embedded import EmbeddedDatabase
    from backend.db.mongo import ensure_schema

    out: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="zjb-steps-") as tmp:
        t = time.perf_counter()
        db = EmbeddedDatabase(Path(tmp) / "db")
        db.start()
        out.append(("embedded database up", time.perf_counter() - t))
        try:
            for attempt in ("first start (fresh database)", "second start (same database)"):
                config = load_config(None, env={}, overrides={
                    "data_dir": str(Path(tmp) / "data"), "database": {"uri": db.uri, "name": "startup_bench"},
                    "server": {"port": free_port()}, "sandbox": {"standins_mode": "inline"}})
                t = time.perf_counter()
                app = make_app(config)
                runtime = app.settings["runtime"]
                out.append((f"{attempt}: make_app", time.perf_counter() - t))
                t = time.perf_counter()
                await ensure_schema(runtime.db, [s for d in runtime.domains.values() for s in d.collections])
                out.append((f"{attempt}: schema", time.perf_counter() - t))
                for d in runtime.domains.values():
                    for hook in d.on_start:
                        t = time.perf_counter()
                        await hook()
                        out.append((f"{attempt}: on_start {d.name}", time.perf_counter() - t))
                for d in runtime.domains.values():
                    for job in d.jobs:
                        t = time.perf_counter()
                        await job.fn()
                        out.append((f"{attempt}: first run of {job.name}", time.perf_counter() - t))
                await runtime.client.close()
        finally:
            db.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-steps", action="store_true", help="skip the in-process breakdown")
    args = ap.parse_args()
    fresh, restart = spawned(args.runs)
    print(f"machine: {machine()}")
    for name, rows in (("fresh data folder", fresh), ("restart after SIGKILL", restart)):
        h = [x[0] for x in rows]
        r = [x[1] for x in rows]
        print(f"{name:24s} spawn → /healthz {statistics.median(h):.2f} s, spawn → /readyz {statistics.median(r):.2f} s "
              f"(median of {len(rows)}: {', '.join(f'{x:.2f}' for x in r)})")
    if not args.no_steps:
        print("\nwhere start-up goes (in-process, fresh database; steps over 20 ms):")
        for name, s in asyncio.run(_steps()):
            if s >= 0.02:
                print(f"  {name:60s} {s * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
