"""Start-up time and login latency.

    .venv/bin/python bench/login.py [--url http://host:port] [-n 400] [-c 8]

Without --url it starts the whole system (``python -m backend serve``: embedded SecantusDB,
stand-ins, demo data) in a temporary folder and reports how long it took to be ready. Then it
logs in ``n`` new residents (WeChat code → our tokens, through wechatpy to the WeChat
stand-in), binds real names for a tenth of them, refreshes tokens, reads ``/me`` (every
authenticated request checks its session, through a per-process cache of at most 1 s) and logs
out, ``c`` at a time.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fmt_ms, machine, percentiles, system  # noqa: E402
from tests.support import make_id_number  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url")
    ap.add_argument("-n", type=int, default=400)
    ap.add_argument("-c", type=int, default=8)
    args = ap.parse_args()
    with system(args.url) as (base, startup):
        session = requests.Session()
        # Whole halls share one address: benches come from many "clients".
        def login(i: int) -> tuple[float, dict[str, Any]]:
            t = time.perf_counter()
            code = f"test-bench-{uuid.uuid4().hex[:10]}"
            r = session.post(base + "/api/v1/auth/wechat-login", json={"code": code},
                             headers={"X-Forwarded-For": f"10.0.{i // 250}.{i % 250}"}, timeout=30)
            r.raise_for_status()
            return (time.perf_counter() - t) * 1000, {**r.json(), "openid": "o-" + code}

        for i in range(10):  # warm up connections and caches
            login(i)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.c) as pool:
            results = list(pool.map(login, range(args.n)))
        wall = time.perf_counter() - t0
        logins = [ms for ms, _ in results]

        def refresh(item: tuple[float, dict[str, Any]]) -> float:
            t = time.perf_counter()
            r = session.post(base + "/api/v1/auth/refresh", json={"refresh_token": item[1]["refresh_token"]},
                             timeout=30)
            r.raise_for_status()
            return (time.perf_counter() - t) * 1000

        def realname(item: tuple[float, dict[str, Any]]) -> float:
            name, number = random.choice(["张伟", "王芳", "李娜"]), make_id_number()
            # The resident's face verification (the WeChat stand-in's hook), outside the timing.
            vr = session.post(base + "/sandbox/wechat/face-verify", json={
                "openid": item[1]["openid"], "name": name, "id_number": number, "pass": True}, timeout=30)
            vr.raise_for_status()
            t = time.perf_counter()
            r = session.post(base + "/api/v1/me/realname", json={"name": name, "id_number": number,
                                                                  "verify_result": vr.json()["verify_result"]},
                             headers={"Authorization": "Bearer " + item[1]["access_token"]}, timeout=30)
            r.raise_for_status()
            return (time.perf_counter() - t) * 1000

        def me(item: tuple[float, dict[str, Any]]) -> float:
            t = time.perf_counter()
            r = session.get(base + "/api/v1/me", headers={"Authorization": "Bearer " + item[1]["access_token"]},
                            timeout=30)
            r.raise_for_status()
            return (time.perf_counter() - t) * 1000

        def logout(item: tuple[float, dict[str, Any]]) -> float:
            t = time.perf_counter()
            r = session.post(base + "/api/v1/auth/logout", json={},
                             headers={"Authorization": "Bearer " + item[1]["access_token"]}, timeout=30)
            r.raise_for_status()
            return (time.perf_counter() - t) * 1000

        with ThreadPoolExecutor(args.c) as pool:
            refreshes = list(pool.map(refresh, results))
            binds = list(pool.map(realname, results[: max(1, args.n // 10)]))
            t0 = time.perf_counter()
            reads = list(pool.map(me, results * 3))
            read_wall = time.perf_counter() - t0
            logouts = list(pool.map(logout, results))

    print(f"machine: {machine()}")
    if startup is not None:
        print(f"start-up (spawn → /readyz 200, fresh data folder): {startup:.2f} s")
    print(f"wechat-login  n={args.n} c={args.c}: {args.n / wall:.0f}/s  {fmt_ms(percentiles(logins))}")
    print(f"refresh       n={len(refreshes)}: {fmt_ms(percentiles(refreshes))}")
    print(f"realname bind n={len(binds)}: {fmt_ms(percentiles(binds))}")
    print(f"GET /me       n={len(reads)}: {len(reads) / read_wall:.0f}/s  {fmt_ms(percentiles(reads))}")
    print(f"logout        n={len(logouts)}: {fmt_ms(percentiles(logouts))}")


if __name__ == "__main__":
    main()
