"""Notification delivery: messages delivered per second with 1, 2 and 4 worker processes, p99
from event to delivery, and duplicates (must be 0).

    .venv/bin/python bench/notify.py [-n 600] [--users 50]

For each worker count it starts a fresh system: ``serve`` with its own workers off (it hosts the
WeChat stand-in), then N ``python -m backend worker`` processes on the same database. It logs in
--users residents, gives each WeChat consent for every message, writes n events into the outbox
at once, and waits until all are delivered. Each message goes to the inbox and, through wechatpy,
to the WeChat stand-in, which counts what it received.

In the same run it measures the database's raw write rate: journaled conditional updates of one
outbox-sized document by id, one after another from one connection (what a worker's writes
are). msg/s ÷ raw is the figure that compares across machines: how many raw writes' worth of
time a delivered message costs.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.db.embedded import EmbeddedDatabase, free_port
from backend.db.mongo import connect
from bench.common import machine, percentiles


def _wait(base: str) -> None:
    for _ in range(600):
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not start")


async def raw_write_rate(uri: str, ops: int) -> float:
    """Journaled conditional ``update_one`` by id, sequential, on a scratch collection."""
    from bson import ObjectId
    c = connect(uri)
    col = c["notify_raw"]["rows"]
    await col.drop()
    ids = [ObjectId() for _ in range(ops)]
    await col.insert_many([{"_id": i, "status": "pending", "payload": {"serial": "ZJB00000000", "text": "x" * 80}}
                           for i in ids])
    t = time.perf_counter()
    for i in ids:
        await col.update_one({"_id": i, "status": "pending"}, {"$set": {"status": "delivered"}})
    rate = ops / (time.perf_counter() - t)
    await c.drop_database("notify_raw")
    await c.close()
    return rate


def run(db: EmbeddedDatabase, workers: int, n: int, users: int, tmp: Path) -> dict:
    name = f"bench_notify_{uuid.uuid4().hex[:6]}"
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}, "ZJB_DATABASE_URI": db.uri,
           "ZJB_DATABASE_NAME": name, "ZJB_LOGGING_LEVEL": "WARNING", "ZJB_NOTIFY_TICK_SECONDS": "0.05",
           "ZJB_RATELIMIT_LOGIN_PER_IP_PER_MINUTE": "1000000"}
    data = tmp / f"w{workers}"
    procs = [subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port), "--data-dir", str(data)],
                              cwd=ROOT, env={**env, "ZJB_WORKERS_ENABLED": "false"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        s = requests.Session()
        people = []
        for i in range(users):
            code = f"test-bn-{uuid.uuid4().hex[:8]}"
            login = s.post(base + "/api/v1/auth/wechat-login", json={"code": code}).json()
            token = login["access_token"]
            tpl = next(t for t in s.get(base + "/api/v1/me/subscriptions", headers={"Authorization": f"Bearer {token}"})
                       .json()["templates"] if t["key"] == "case_progress")
            per = n // users + 1
            s.post(base + "/sandbox/wechat/subscriptions", json={"openid": "o-" + code, "template_ids": [tpl["template_id"]],
                                                                 "count": per})
            asyncio.run(_grant(db.uri, name, login["user"]["id"], per))
            people.append((login["user"]["id"], "o-" + code))
        for _ in range(workers):
            procs.append(subprocess.Popen([sys.executable, "-m", "backend", "worker", "--port", str(port),
                                           "--data-dir", str(data)], cwd=ROOT, env={**env, "ZJB_WORKERS_ENABLED": "true"},
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(4)  # workers up
        t0 = time.perf_counter()
        asyncio.run(_emit(db.uri, name, people, n))
        latencies, wall = asyncio.run(_wait_delivered(db.uri, name, n, t0))
        sent = sum(len(s.get(base + "/sandbox/wechat/messages", params={"openid": o}).json()["items"]) for _, o in people)
        inbox = asyncio.run(_count(db.uri, name, "inbox"))
        return {"workers": workers, "n": n, "rate": n / wall, **percentiles(latencies), "wechat": sent,
                "inbox": inbox, "duplicates": max(0, sent - n) + max(0, inbox - n)}
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


async def _grant(uri: str, name: str, user_id: str, n: int) -> None:
    c = connect(uri)
    await c[name]["subscriptions"].update_one({"user_id": user_id, "key": "case_progress"},
                                             {"$inc": {"remaining": n}}, upsert=True)
    await c.close()


async def _emit(uri: str, name: str, people: list, n: int) -> None:
    from backend.core.clock import Clock
    from notify.outbox import Outbox
    from notify.store import OutboxStore, StaffAlertStore
    c = connect(uri)
    ob = Outbox(OutboxStore(c[name]), StaffAlertStore(c[name]), Clock())
    for i in range(n):
        uid, _ = people[i % len(people)]
        await ob.emit("case.status_changed", user_id=uid, payload={"serial": f"ZJB{i:08d}", "service_name": "压测",
                                                                   "status": "accepted"})
    await c.close()


async def _wait_delivered(uri: str, name: str, n: int, t0: float) -> tuple[list[float], float]:
    c = connect(uri)
    col = c[name]["outbox"]
    while await col.count_documents({"status": "delivered"}) < n:
        if time.perf_counter() - t0 > 600:
            raise SystemExit("not delivered within 10 minutes")
        await asyncio.sleep(0.1)
    wall = time.perf_counter() - t0
    lat = [(d["delivered_at"] - d["created_at"]).total_seconds() * 1000 async for d in col.find({}, {"created_at": 1,
                                                                                                   "delivered_at": 1})]
    await c.close()
    return lat, wall


async def _count(uri: str, name: str, coll: str) -> int:
    c = connect(uri)
    n = await c[name][coll].count_documents({})
    await c.close()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=600)
    ap.add_argument("--users", type=int, default=30)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--raw-ops", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="zjb-notify-") as tmp:
        db = EmbeddedDatabase(Path(tmp) / "db")
        db.start()
        try:
            raw = asyncio.run(raw_write_rate(db.uri, args.raw_ops))
            rows = [run(db, int(w), args.n, args.users, Path(tmp)) for w in args.workers.split(",")]
        finally:
            db.stop()
    print(f"machine: {machine()}")
    print(f"raw write rate (journaled conditional update_one by id, sequential): {raw:.0f} writes/s")
    print(f"{'workers':>7} {'messages':>8} {'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'wechat':>7} {'inbox':>6} {'dups':>5}"
          f" {'raw w/s':>8} {'msg/raw':>8}")
    for r in rows:
        print(f"{r['workers']:>7} {r['n']:>8} {r['rate']:>7.0f} {r['p50']:>8.0f} {r['p99']:>8.0f} {r['wechat']:>7} "
              f"{r['inbox']:>6} {r['duplicates']:>5} {raw:>8.0f} {r['rate'] / raw:>8.3f}")


if __name__ == "__main__":
    main()
