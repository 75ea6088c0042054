"""Notification delivery: messages delivered per second with 1, 2 and 4 worker processes, p99
from event to delivery, and duplicates (must be 0).

    .venv/bin/python bench/notify.py [-n 600] [--users 50]

For each worker count it starts a fresh system: ``serve`` with its own workers off (it hosts the
WeChat stand-in), then N ``python -m backend worker`` processes on the same database. It logs in
--users residents, gives each WeChat consent for every message, writes n events into the outbox
at once, and waits until all are delivered. Each message goes to the inbox and, through wechatpy,
to the WeChat stand-in, which counts what it received.

In the same run, just before and just after each delivery, it measures the reference every hot
path is measured against (bench/reference.py): the brief conditional update, as many at once as
there are workers; the mean of the two rates is the run's reference. msg/s ÷ brief update is the
figure that compares across machines and across loads.

    .venv/bin/python bench/notify.py --jobs 1000,100000

instead times, at each size of history (delivered messages and finished cases seeded through
the driver), what the periodic jobs of notify and cases do on every tick: find due messages,
claim and record a batch, the overdue gauge, find cases whose light or rating
reminder is due. Each should cost the same at 100k as at 1k.
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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.db.embedded import EmbeddedDatabase, free_port  # noqa: E402 - after the sys.path change
from backend.db.mongo import connect  # noqa: E402 - after the sys.path change
from bench.common import machine, percentiles  # noqa: E402 - after the sys.path change
from bench.reference import both, brief_update  # noqa: E402 - after the sys.path change


def _wait(base: str) -> None:
    for _ in range(600):
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not start")


def run(db: EmbeddedDatabase, workers: int, n: int, users: int, tmp: Path, rounds: int) -> dict[str, Any]:
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
        for _ in range(users):
            code = f"test-bn-{uuid.uuid4().hex[:8]}"
            login = s.post(base + "/api/v1/auth/wechat-login", json={"code": code}).json()
            token = login["access_token"]
            tpl = next(t for t in s.get(base + "/api/v1/me/subscriptions", headers={"Authorization": f"Bearer {token}"})
                       .json()["templates"] if t["key"] == "case_progress")
            per = n // users + 1
            s.post(base + "/sandbox/wechat/subscriptions",
                   json={"openid": "o-" + code, "template_ids": [tpl["template_id"]],
                                                                 "count": per})
            asyncio.run(_grant(db.uri, name, login["user"]["id"], per))
            people.append((login["user"]["id"], "o-" + code))
        for _ in range(workers):
            procs.append(subprocess.Popen([sys.executable, "-m", "backend", "worker", "--port", str(port),
                                           "--data-dir", str(data)], cwd=ROOT,
                                          env={**env, "ZJB_WORKERS_ENABLED": "true"},
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(4)  # workers up
        before = asyncio.run(brief_update(db.uri, workers, rounds))
        t0 = time.perf_counter()
        asyncio.run(_emit(db.uri, name, people, n))
        latencies, wall = asyncio.run(_wait_delivered(db.uri, name, n, t0))
        brief = both(before, asyncio.run(brief_update(db.uri, workers, rounds)))
        sent = sum(len(s.get(base + "/sandbox/wechat/messages", params={"openid": o}).json()["items"])
                   for _, o in people)
        inbox = asyncio.run(_count(db.uri, name, "inbox"))
        return {"workers": workers, "n": n, "rate": n / wall, **percentiles(latencies), "wechat": sent,
                "inbox": inbox, "duplicates": max(0, sent - n) + max(0, inbox - n),
                "brief": brief.rate}
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


async def _emit(uri: str, name: str, people: list[tuple[str, str]], n: int) -> None:
    from backend.core.clock import Clock
    from backend.lexicon import lexicon
    from notify.messages import Messages
    from notify.outbox import Outbox
    from notify.store import OutboxStore, StaffAlertStore
    c = connect(uri)
    ob = Outbox(OutboxStore(c[name]), StaffAlertStore(c[name]), Clock(), Messages(lexicon()))
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


async def job_costs(uri: str, size: int) -> dict[str, float]:
    """Seed ``size`` delivered messages and ``size`` finished cases (plus a little due work), then
    time each periodic query; milliseconds per call."""
    import datetime as dt

    from bson import ObjectId

    from backend.cases.store import COLLECTIONS as CASE_COLLECTIONS
    from backend.cases.store import CaseStore
    from backend.db.mongo import ensure_schema
    from notify.store import COLLECTIONS as NOTIFY_COLLECTIONS
    from notify.store import OutboxStore
    from notify.values import OutboxStatus, Settlement

    c = connect(uri)
    db = c[f"bench_jobs_{size}"]
    await c.drop_database(db.name)
    await ensure_schema(db, [*NOTIFY_COLLECTIONS, *CASE_COLLECTIONS])
    now = dt.datetime.now(dt.UTC)
    old = now - dt.timedelta(days=30)
    chunk = 5000
    for start in range(0, size, chunk):
        k = min(chunk, size - start)
        await db["outbox"].insert_many([
            {"kind": "case.status_changed", "user_id": f"u{i % 997}", "payload": {"serial": f"ZJB{i:014d}"},
             "status": "delivered", "attempts": 1, "created_at": old, "deliver_after": old, "delivered_at": old,
             "dedupe_key": f"bench:{i}"} for i in range(start, start + k)])
        await db["cases"].insert_many([
            {"serial": f"ZJB{i:014d}", "service_id": "s", "service_name": "压测", "department_id": "d",
             "applicant_id": f"u{i % 997}", "status": "completed", "version": 5, "timeline": [], "light": "green",
             "light_due_at": None, "deadline": old, "created_at": old, "updated_at": old}
            for i in range(start, start + k)])
    later = now + dt.timedelta(days=3)
    await db["cases"].insert_many([
        {"serial": f"ZJBOPEN{i:08d}", "service_id": "s", "service_name": "压测", "department_id": "d",
         "applicant_id": "u", "status": "in_review", "version": 3, "timeline": [], "light": "green",
         "light_due_at": later, "rating_remind_at": None, "deadline": later, "created_at": now, "updated_at": now}
        for i in range(200)])
    outbox, cases = OutboxStore(db), CaseStore(db)

    async def timed(fn: Callable[[], Awaitable[object]], reps: int = 20) -> float:
        t = time.perf_counter()
        for _ in range(reps):
            await fn()
        return (time.perf_counter() - t) / reps * 1000

    async def pending_batch() -> list[ObjectId]:
        docs: list[dict[str, Any]] = [
            {"_id": ObjectId(), "kind": "case.status_changed", "user_id": "u", "payload": {}, "status": "pending",
             "attempts": 0, "created_at": now, "deliver_after": now} for _ in range(50)]
        await db["outbox"].insert_many(docs)
        return [d["_id"] for d in docs]

    async def claim_and_record() -> None:
        await pending_batch()
        ids = await outbox.due_ids(now, 50)
        rows = await outbox.claim(ids, now=now, lease_until=now + dt.timedelta(seconds=30), claim="c", worker="w")
        await outbox.settle_many([(r, Settlement(OutboxStatus.DELIVERED, now)) for r in rows])

    async def idle_due() -> None:
        await outbox.due_ids(now, 50)

    async def due_lights() -> None:
        [d async for d in cases.cases_due_for_light(now)]

    async def due_reminders() -> None:
        [d async for d in cases.due_rating_reminders(now)]

    out = {
        "outbox: find due (idle tick)": await timed(idle_due),
        "outbox: claim + record a batch of 50": await timed(claim_and_record, reps=5) / 50,
        "outbox: oldest-overdue gauge": await timed(lambda: outbox.most_overdue(now)),
        "cases: find lights due (idle tick)": await timed(due_lights),
        "cases: find rating reminders due": await timed(due_reminders),
        "cases: one case by id": await timed(lambda: cases.case(str(ObjectId()))),
    }
    out = {("outbox: claim + record, per message" if k.startswith("outbox: claim") else k): v for k, v in out.items()}
    await c.drop_database(db.name)
    await c.close()
    return out


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
    ap.add_argument("--rounds", type=int, default=200, help="bursts of the brief update before and after each delivery")
    ap.add_argument("--jobs", help="time the periodic jobs' queries at these history sizes (e.g. 1000,100000)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="zjb-notify-") as tmp:
        db = EmbeddedDatabase(Path(tmp) / "db")
        db.start()
        try:
            if args.jobs:
                sizes = [int(x) for x in args.jobs.split(",")]
                costs = {size: asyncio.run(job_costs(db.uri, size)) for size in sizes}
            else:
                rows = [run(db, int(w), args.n, args.users, Path(tmp), args.rounds) for w in args.workers.split(",")]
        finally:
            db.stop()
    print(f"machine: {machine()}")
    if args.jobs:
        print(f"{'operation (ms each)':<44}" + "".join(f"{s:>10}" for s in sizes) + f"{'ratio':>8}")
        for op in costs[sizes[0]]:
            values = [costs[s][op] for s in sizes]
            print(f"{op:<44}" + "".join(f"{v:>10.1f}" for v in values) + f"{values[-1] / values[0]:>8.2f}")
        return
    print("brief update: {_id, free >= 1} -> $inc free -1 (bench/reference.py), as many at once as there are "
          "workers, measured before and after each delivery")
    print(f"{'workers':>7} {'messages':>8} {'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8}"
          f" {'wechat':>7} {'inbox':>6} {'dups':>5} {'brief/s':>8} {'msg/brief':>10}")
    for r in rows:
        print(f"{r['workers']:>7} {r['n']:>8} {r['rate']:>7.0f} {r['p50']:>8.0f} {r['p99']:>8.0f} {r['wechat']:>7} "
              f"{r['inbox']:>6} {r['duplicates']:>5} {r['brief']:>8.0f} {r['rate'] / r['brief']:>10.3f}")


if __name__ == "__main__":
    main()
