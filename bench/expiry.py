"""What expiring documents costs everything else, with the embedded server as the product runs it
and, in the same run, as SecantusDB's own command line runs it.

    .venv/bin/python bench/expiry.py [-n 100000] [--seconds 65]

For each server: a fresh database, ``-n`` documents in a collection with a TTL index (none
expired: what a city keeps, such as its residents' sessions), and 100 expired ones; then, for
``--seconds`` (more than the 60 s of a TTL sweep), a brief read of another collection every 5 ms,
while the product's expiry job (``backend/db/expiry.py``) runs every 60 s as the workers run it.
It prints each server's p50, p99 and longest read, the reads over 100 ms, each as a ratio to the
p99 of the brief conditional update (bench/reference.py) sent one at a time to the same server
right after, and the ratios of the product's server to the reference. SecantusDB's own sweeper
reads the whole collection under its global lock, so the reference's longest read grows with
``-n``; the product's should not.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.core.clock import Clock  # noqa: E402
from backend.db.embedded import EmbeddedDatabase  # noqa: E402
from backend.db.expiry import Expiry, ExpiryRule  # noqa: E402
from backend.workers import Workers  # noqa: E402
from bench.common import machine  # noqa: E402
from bench.reference import brief_update, pct  # noqa: E402

BRIEF_ROUNDS = 200   # brief updates one at a time, after the reads, on each server


class SecantusCommandLine(EmbeddedDatabase):
    """The reference: the same server started by SecantusDB's own command line (its TTL sweeper on)."""

    def _command(self, port: int, *, auth: bool) -> list[str]:
        return [sys.executable, "-m", "secantus", *super()._command(port, auth=auth)[3:]]


async def reads_while_expiring(uri: str, n: int, seconds: float, with_job: bool) -> list[float]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        db = client["expiry_bench"]
        await db.sessions.create_index("purge_at", expireAfterSeconds=0)
        await db.other.insert_one({"_id": 1})
        now = dt.datetime.now(dt.UTC)
        kept, gone = now + dt.timedelta(days=30), now - dt.timedelta(minutes=1)
        for i in range(0, n, 1000):
            await db.sessions.insert_many([{"_id": f"s{j}", "subject": "u", "purge_at": kept, "pad": "x" * 200}
                                           for j in range(i, min(n, i + 1000))])
        await db.sessions.insert_many([{"_id": f"e{j}", "purge_at": gone} for j in range(100)])
        expiry = Expiry(db, [ExpiryRule("sessions", "purge_at", dt.timedelta(0))], Clock())
        workers = Workers()   # the job as the app's workers run it: at once, then every 60 s
        if with_job:
            workers.register("expire-documents", expiry.run, 60.0)
            workers.start()
        times: list[float] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t = time.perf_counter()
            await db.other.find_one({"_id": 1})
            times.append(time.perf_counter() - t)
            await asyncio.sleep(0.005)
        await workers.stop()
        left = await db.sessions.count_documents({"purge_at": gone})
        print(f"    expired documents left at the end: {left} of 100")
        return times
    finally:
        await client.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="documents kept in the TTL-indexed collection")
    ap.add_argument("--seconds", type=float, default=65.0, help="how long reads are timed (a sweep is every 60 s)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    results: dict[str, list[float]] = {}
    for label, server_class, with_job in (("product (expiry job, no sweeper)", EmbeddedDatabase, True),
                                          ("reference (SecantusDB's command line)", SecantusCommandLine, False)):
        with tempfile.TemporaryDirectory(prefix="expiry-") as tmp:
            db = server_class(Path(tmp))
            db.start()
            try:
                print(f"  {label}: {args.n:,} documents kept, 100 expired; reads for {args.seconds:.0f} s")
                times = results[label] = asyncio.run(reads_while_expiring(db.uri, args.n, args.seconds, with_job))
                print(f"    reads {len(times)}: p50 {pct(times, 50):.1f} ms, p99 {pct(times, 99):.1f} ms, longest "
                      f"{max(times) * 1000:.0f} ms, over 100 ms: {sum(1 for t in times if t > 0.1)}")
                brief = asyncio.run(brief_update(db.uri, 1, BRIEF_ROUNDS))
                print(f"    brief update, one at a time on the same server: p99 {brief.p99_ms:.1f} ms; reads' p99 "
                      f"{pct(times, 99) / brief.p99_ms:.2f}× it, the longest read "
                      f"{max(times) * 1000 / brief.p99_ms:.0f}× it")
            finally:
                db.stop()
    product, reference = results.values()
    print(f"  product ÷ reference: p99 {pct(product, 99) / pct(reference, 99):.2f}×, longest read "
          f"{max(product) / max(reference):.3f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
