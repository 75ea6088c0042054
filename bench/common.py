"""Shared by the benches: start the whole system in a fresh data folder (or use a URL), time
requests, print percentiles."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import requests

from backend.core.children import stop_process

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpus = os.cpu_count()
    return (f"{platform.machine()}, {cpus} CPUs, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


@dataclasses.dataclass(frozen=True)
class Served:
    base: str
    startup: float | None       # spawn → /readyz 200 (None for a given URL)
    pid: int | None             # the app process (None for a given URL)
    data_dir: Path | None


@contextlib.contextmanager
def system(url: str | None = None, *, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, float | None]]:
    """Yield (base URL, start-up seconds). Without ``url`` start ``python -m backend serve`` in a
    temporary data folder and stop it afterwards."""
    with served(url, extra_env=extra_env) as s:
        yield s.base, s.startup


@contextlib.contextmanager
def served(url: str | None = None, *, extra_env: dict[str, str] | None = None) -> Iterator[Served]:
    """As ``system``, with the app process's pid and data folder (to measure its memory)."""
    if url:
        yield Served(url.rstrip("/"), None, None, None)
        return
    from backend.db.embedded import free_port

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="zjb-bench-") as tmp:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}, **(extra_env or {})}
        log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115 - closed below
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port), "--data-dir",
                                 str(Path(tmp) / "data")], cwd=ROOT, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            startup = _wait_ready(base, proc, Path(tmp) / "serve.log", t0)
            yield Served(base, startup, proc.pid, Path(tmp) / "data")
        finally:
            stop_process(proc, 30, label="serve")
            log.close()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, t0: float) -> float:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("serve exited:\n" + log.read_text()[-3000:])
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return time.perf_counter() - t0
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise SystemExit("serve did not become ready in 120 s")


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    s = sorted(samples_ms)
    if not s:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}

    def p(q: float) -> float:
        return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]

    return {"p50": p(0.50), "p95": p(0.95), "p99": p(0.99), "max": s[-1], "mean": statistics.fmean(s)}


def fmt_ms(stats: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.1f}ms" for k, v in stats.items())
