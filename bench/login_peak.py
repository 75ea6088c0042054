"""The morning login peak: N residents open the mini-program at once, each logging in with WeChat
and loading the home page, as ratios to the references of bench/reference.py in the same run.

    python bench/login_peak.py                 # 500 residents, starts everything itself
    python bench/login_peak.py -n 300 --rounds 5

Each resident, on its own warm keep-alive connection, sends ``POST /api/v1/auth/wechat-login``
(a fresh code: the app calls ``code2session`` at the WeChat stand-in through wechatpy) and then,
as the home page does, ``GET /api/v1/me``, ``/api/v1/services?frequent=true``,
``/api/v1/departments`` and ``/api/v1/life-events`` together. It prints p50/p99 of the login, of
the home page and of both (what the resident waits), how many took over the seed's 3 s,
failures by status, and the p99 and the rate against the brief conditional update and
``/healthz`` at the same concurrency.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.db.embedded import EmbeddedDatabase  # noqa: E402
from bench.booking_storm import start_system  # noqa: E402
from bench.common import machine  # noqa: E402
from bench.reference import Http, against, brief_update, connections, healthz, pct  # noqa: E402

SEED_LIMIT_S = 3.0   # 认证时间不超过3秒
HOME = ("/api/v1/me", "/api/v1/services?frequent=true", "/api/v1/departments", "/api/v1/life-events")


async def peak(base: str, n: int) -> tuple[list[float], list[float], list[float], dict[int, int], float]:
    """Every resident's login and home page at once. Returns the latencies (seconds) of the
    logins, the home pages and both, failures by status, and the wall time."""
    conns = await connections(base, n)
    homes = [[await Http(base).open() for _ in HOME[1:]] for _ in range(n)]  # the page's parallel calls
    login_s, home_s, both_s = [0.0] * n, [0.0] * n, [0.0] * n
    failures: dict[int, int] = {}

    def failed(status: int) -> None:
        failures[status] = failures.get(status, 0) + 1

    async def one(i: int) -> None:
        t0 = time.perf_counter()
        r = await conns[i].request("POST", "/api/v1/auth/wechat-login", {"code": f"test-peak-{uuid.uuid4().hex[:12]}"})
        t1 = time.perf_counter()
        if r.status != 200:
            failed(r.status)
            return
        token = r.json()["access_token"]
        calls = [conns[i].request("GET", HOME[0], token=token)]
        calls += [c.request("GET", path, token=token) for c, path in zip(homes[i], HOME[1:], strict=True)]
        answers = await asyncio.gather(*calls)
        t2 = time.perf_counter()
        for a in answers:
            if a.status != 200:
                failed(a.status)
        login_s[i], home_s[i], both_s[i] = t1 - t0, t2 - t1, t2 - t0
    t = time.perf_counter()
    await asyncio.gather(*[one(i) for i in range(n)])
    wall = time.perf_counter() - t
    await asyncio.gather(*[c.close() for c in conns], *[c.close() for cs in homes for c in cs])
    done = [i for i in range(n) if both_s[i]]
    return [login_s[i] for i in done], [home_s[i] for i in done], [both_s[i] for i in done], failures, wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--residents", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5, help="bursts of the references")
    ap.add_argument("--no-workers", action="store_true", help="no background workers")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="login-peak-") as tmp:
        db = EmbeddedDatabase(Path(tmp) / "db")
        db.start()
        proc = None
        try:
            proc, base = start_system(db.uri, f"peak_{uuid.uuid4().hex[:6]}", Path(tmp) / "data",
                                      workers=not args.no_workers)
            print(f"machine: {machine()}")
            login, home, both, failures, wall = asyncio.run(peak(base, args.residents))
            brief = asyncio.run(brief_update(db.uri, args.residents, args.rounds))
            health = asyncio.run(healthz(base, args.residents, args.rounds))
            over = sum(1 for s in both if s > SEED_LIMIT_S)
            print(f"  peak: {args.residents} residents at once, {len(both)} logged in and loaded the home page "
                  f"in {wall:.2f} s; failures by status: {failures or 'none'}")
            for name, values in (("login", login), ("home page", home), ("login + home page", both)):
                print(f"  {name:<18} p50 {pct(values, 50):6.0f} ms   p99 {pct(values, 99):6.0f} ms   "
                      f"max {pct(values, 100):6.0f} ms")
            print(f"  over the seed's 3 s: {over} of {args.residents}; "
                  f"p99 ÷ 3 s = {pct(both, 99) / 1000 / SEED_LIMIT_S:.2f}")
            print(f"  brief update, {args.residents} at once: {brief.rate:.0f}/s, p99 {brief.p99_ms:.0f} ms;  "
                  f"/healthz: {health.rate:.0f}/s, p99 {health.p99_ms:.0f} ms")
            rate = len(both) / wall
            print("  " + against("residents", rate, pct(both, 99), brief, "brief update"))
            print("  " + against("residents", rate, pct(both, 99), health, "/healthz"))
            return 1 if failures else 0
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(30)
            db.stop()


if __name__ == "__main__":
    raise SystemExit(main())
