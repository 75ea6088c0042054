"""一件事, 12345 and 帮办代办 on the embedded database: how a bundle's cases are best written, and
whether the periodic jobs' and hot look-ups' queries stay flat as finished work piles up.

    .venv/bin/python bench/serve_paths.py [--cases 4] [--finished 1000,20000]

1. A bundle of N cases written three ways, each case as cases writes it (serial counter, the case,
   its outbox message): one transaction for all; one transaction per case; no transaction, the
   cases written hidden and flipped visible at the end. Median and p90 of 30 runs each.
2. The stores' queries the jobs and the desks run (complaint lights and closings due, bundles due
   for a look, a clerk's grants from one resident, a complaint by serial), timed with 1k and 20k
   finished documents beside the few open ones. Flat means the 20k figure is about the 1k one.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bson import ObjectId  # noqa: E402
from pymongo.asynchronous.client_session import AsyncClientSession  # noqa: E402

from backend.authorizations.store import COLLECTIONS as GRANT_COLLECTIONS  # noqa: E402
from backend.authorizations.store import GrantStore  # noqa: E402
from backend.bundles.store import COLLECTIONS as BUNDLE_COLLECTIONS  # noqa: E402
from backend.bundles.store import BundleStore  # noqa: E402
from backend.complaints.store import COLLECTIONS as COMPLAINT_COLLECTIONS  # noqa: E402
from backend.complaints.store import ComplaintStore  # noqa: E402
from backend.db.embedded import EmbeddedDatabase  # noqa: E402
from backend.db.mongo import Client, connect, ensure_schema, in_transaction  # noqa: E402
from bench.common import machine  # noqa: E402


async def _runs(fn: Callable[[], Awaitable[object]], n: int = 30) -> tuple[float, float]:
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    return statistics.median(ts), ts[int(len(ts) * 0.9) - 1]


async def bundle_writes(client: Client, cases: int) -> None:
    db = client["bench_bundle"]
    for c in ("cases", "outbox", "counters", "bundles"):
        await db.create_collection(c, check_exists=False)

    async def one_case(s: AsyncClientSession | None, hidden: ObjectId | None = None) -> None:
        await db.counters.update_one({"_id": "day"}, {"$inc": {"seq": 1}}, upsert=True, session=s)
        counter = await db.counters.find_one({"_id": "day"}, session=s)
        assert counter is not None  # the upsert above made it
        seq = counter["seq"]
        doc: dict[str, Any] = {"serial": seq, "form": {"field": "x" * 50}, "timeline": [{"status": "submitted"}]}
        if hidden is not None:
            doc["hidden"] = hidden
        res = await db.cases.insert_one(doc, session=s)
        await db.outbox.insert_one({"kind": "case.status_changed", "ref": res.inserted_id,
                                    **({"hold": hidden} if hidden is not None else {})}, session=s)

    async def one_transaction() -> None:
        async def work(s: AsyncClientSession) -> None:
            for _ in range(cases):
                await one_case(s)
            await db.bundles.insert_one({"cases": cases}, session=s)
        await in_transaction(client, work)

    async def per_case() -> None:
        for _ in range(cases):
            await in_transaction(client, one_case)
        await db.bundles.insert_one({"cases": cases})

    async def hidden_then_flip() -> None:
        b = await db.bundles.insert_one({"cases": cases, "state": "pending"})
        for _ in range(cases):
            await one_case(None, hidden=b.inserted_id)
        await db.cases.update_many({"hidden": b.inserted_id}, {"$unset": {"hidden": ""}})
        await db.outbox.update_many({"hold": b.inserted_id}, {"$unset": {"hold": ""}})
        await db.bundles.update_one({"_id": b.inserted_id}, {"$set": {"state": "open"}})

    print(f"\nA bundle of {cases} cases (case + serial + message each), 30 runs:")
    print(f"  {'how':38s} {'median':>9s} {'p90':>9s}")
    for name, fn in (("one transaction for the bundle", one_transaction), ("one transaction per case", per_case),
                     ("no transaction: hidden, then flipped", hidden_then_flip)):
        med, p90 = await _runs(fn)
        print(f"  {name:38s} {med:7.1f}ms {p90:7.1f}ms")


async def flat_queries(client: Client, sizes: list[int]) -> None:
    db = client["bench_flat"]
    await ensure_schema(db, [*COMPLAINT_COLLECTIONS, *BUNDLE_COLLECTIONS, *GRANT_COLLECTIONS])
    complaints, bundles, grants = ComplaintStore(db), BundleStore(db), GrantStore(db)
    now = dt.datetime.now(dt.timezone.utc)
    soon = now - dt.timedelta(seconds=1)
    await db.complaints.insert_many([{"serial": f"GDOPEN{i}", "user_id": "u", "category": "complaint", "content": "x",
                                      "status": "assigned", "version": 1, "timeline": [], "created_at": now,
                                      "updated_at": now, "light_at": soon, "light": "green"} for i in range(5)])
    await db.bundles.insert_many([{"serial": f"YJSOPEN{i}", "user_id": "u", "life_event_id": "birth", "cases": [],
                                   "status": "open", "created_at": now, "check_at": soon} for i in range(5)])
    queries = [
        ("complaint lights due", lambda: complaints.lights_due(now)),
        ("complaint replies to close", lambda: complaints.closing_due(now)),
        ("bundles due for a look", lambda: bundles.checks_due(now)),
        ("a clerk's grants from one resident", lambda: grants.to_grantee("staff", "s7", grantor_id="g7")),
        ("a complaint by serial", lambda: complaints.by_serial("GDOPEN3")),
    ]
    done = 0
    table: dict[str, list[float]] = {name: [] for name, _ in queries}
    for size in sizes:
        batch = size - done
        for start in range(0, batch, 1000):
            n = min(1000, batch - start)
            base = done + start
            await db.complaints.insert_many([
                {"serial": f"GD{base + i:012d}", "user_id": "u", "category": "complaint", "content": "x" * 200,
                 "status": "closed", "version": 4, "timeline": [{"status": "closed"}] * 4, "created_at": now}
                for i in range(n)])
            await db.bundles.insert_many([
                {"serial": f"YJS{base + i:012d}", "user_id": "u", "life_event_id": "birth", "cases": [],
                 "status": "done", "created_at": now} for i in range(n)])
            await db.authorizations.insert_many([
                {"grantor_id": f"g{base + i}", "grantee": {"type": "staff", "id": f"s{(base + i) % 50}"},
                 "days": 30, "status": "revoked", "created_at": now, "expires_at": now} for i in range(n)])
        done = size
        for name, fn in queries:
            table[name].append((await _runs(fn, 20))[0])
    print("\nQueries beside finished documents (median of 20, ms):")
    print(f"  {'query':38s} " + " ".join(f"{s:>9,d}" for s in sizes))
    for name, figures in table.items():
        print(f"  {name:38s} " + " ".join(f"{f:9.2f}" for f in figures))


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = EmbeddedDatabase(tmp)
        db.start()
        try:
            client = connect(db.uri)
            print(machine())
            await bundle_writes(client, args.cases)
            await flat_queries(client, [int(x) for x in args.finished.split(",")])
            await client.close()
        finally:
            db.stop()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=4)
    p.add_argument("--finished", default="1000,20000")
    asyncio.run(main(p.parse_args()))
