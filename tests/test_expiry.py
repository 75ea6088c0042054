"""Documents past their TTL index's expiry are deleted by the workers through the index, in
bounded batches, and nothing else is; the embedded server runs without its own sweeper, which
read whole collections under its global lock (backend/db/expiry.py)."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient, IndexModel

from backend.app import make_app
from backend.core.clock import Clock, ShiftedClock
from backend.db.embedded import SERVER_MODULE, EmbeddedDatabase
from backend.db.expiry import Expiry, ExpiryRule, expiry_rules
from backend.db.mongo import CollectionSpec
from tests.conftest import test_config
from tests.support import AppServer, run_apart

UTC = dt.UTC


def _on_db(database: EmbeddedDatabase, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``work(db)`` against a database of its own on the session's server (on a loop of its
    own: a test before may have left this thread's event loop running)."""
    async def main() -> Any:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(database.uri, tz_aware=True)
        try:
            return await work(client[f"expiry_{uuid.uuid4().hex[:8]}"])
        finally:
            await client.close()
    return run_apart(main())


def test_the_rules_are_the_single_field_ttl_indexes() -> None:
    specs = [
        CollectionSpec("a", indexes=(IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0),
                                     IndexModel([("owner", ASCENDING)]))),
        CollectionSpec("b", indexes=(IndexModel([("at", ASCENDING)], expireAfterSeconds=3600,
                                                partialFilterExpression={"kind": "visit"}),)),
        CollectionSpec("c", indexes=(IndexModel([("x", ASCENDING), ("at", ASCENDING)], expireAfterSeconds=5),
                                     IndexModel([("_id", ASCENDING)], expireAfterSeconds=5))),
    ]
    assert expiry_rules(specs) == [
        ExpiryRule("a", "purge_at", dt.timedelta(0)),
        ExpiryRule("b", "at", dt.timedelta(hours=1), {"kind": "visit"}),
    ]


def test_a_delete_by_id_asks_the_expiry_in_one_flat_filter() -> None:
    """SecantusDB reads the whole collection for a top-level ``$and``: the delete of a batch names
    its ids and the expiry side by side, and only a filter that cannot be flat is an ``$and``."""
    now = dt.datetime(2027, 1, 1, tzinfo=UTC)
    assert ExpiryRule("a", "purge_at", dt.timedelta(0)).expired_among(["x", "y"], now) == {
        "_id": {"$in": ["x", "y"]}, "purge_at": {"$lt": now}}
    assert ExpiryRule("b", "at", dt.timedelta(hours=1), {"kind": "visit"}).expired_among(["x"], now) == {
        "_id": {"$in": ["x"]}, "at": {"$lt": now - dt.timedelta(hours=1)}, "kind": "visit"}
    crossed = ExpiryRule("c", "at", dt.timedelta(0), {"at": {"$exists": True}})
    assert crossed.expired_among(["x"], now) == {
        "$and": [{"_id": {"$in": ["x"]}}, {"$and": [{"at": {"$lt": now}}, {"at": {"$exists": True}}]}]}


def test_what_has_expired_goes_and_nothing_else(database: EmbeddedDatabase) -> None:
    now = dt.datetime.now(UTC)
    hour = dt.timedelta(hours=1)

    async def work(db: Any) -> tuple[set[str], set[str]]:
        await db.purged.create_index("purge_at", expireAfterSeconds=0)
        await db.visits.create_index("at", expireAfterSeconds=3600, partialFilterExpression={"kind": "visit"})
        await db.purged.insert_many([
            {"_id": "past", "purge_at": now - hour},
            {"_id": "future", "purge_at": now + hour},
            {"_id": "no-date", "purge_at": "2000-01-01"},
            {"_id": "no-field"},
            {"_id": "one-past-in-array", "purge_at": [now + hour, now - hour]},
        ])
        await db.visits.insert_many([
            {"_id": "two-hours-ago", "kind": "visit", "at": now - 2 * hour},
            {"_id": "half-an-hour-ago", "kind": "visit", "at": now - hour / 2},
            {"_id": "not-covered", "kind": "other", "at": now - 2 * hour},
        ])
        rules = [ExpiryRule("purged", "purge_at", dt.timedelta(0)),
                 ExpiryRule("visits", "at", hour, {"kind": "visit"})]
        assert await Expiry(db, rules, Clock()).run() == 3
        assert await Expiry(db, rules, Clock()).run() == 0
        return ({d["_id"] async for d in db.purged.find()}, {d["_id"] async for d in db.visits.find()})

    purged, visits = _on_db(database, work)
    assert purged == {"future", "no-date", "no-field"}
    assert visits == {"half-an-hour-ago", "not-covered"}


def test_a_run_deletes_a_bounded_number_of_batches_and_the_next_goes_on(database: EmbeddedDatabase) -> None:
    past = dt.datetime.now(UTC) - dt.timedelta(minutes=1)

    async def work(db: Any) -> list[int]:
        await db.counters.create_index("expires_at", expireAfterSeconds=0)
        await db.counters.insert_many([{"_id": i, "expires_at": past} for i in range(25)]
                                      + [{"_id": 100, "expires_at": past + dt.timedelta(days=1)}])
        expiry = Expiry(db, [ExpiryRule("counters", "expires_at", dt.timedelta(0))], Clock(), batch=4, batches=3)
        runs = [await expiry.run() for _ in range(4)]
        assert [d["_id"] async for d in db.counters.find()] == [100]
        return runs

    assert _on_db(database, work) == [12, 12, 1, 0]


def test_a_document_goes_once_past_on_the_apps_clock_and_the_walls(database: EmbeddedDatabase) -> None:
    """Dates are written on the app's clock (which the sandbox moves) or on the wall clock: a
    document goes only once both say it is past, never in the middle of a request that just wrote it
    on a clock moved back, nor ahead of the wall on a clock moved forward."""
    wall = dt.datetime.now(UTC)
    behind, ahead = ShiftedClock(), ShiftedClock()
    behind.advance(days=-22)
    ahead.advance(days=40)

    async def work(db: Any) -> list[tuple[int, list[str]]]:
        await db.throttles.create_index("purge_at", expireAfterSeconds=0)
        await db.throttles.insert_many([
            {"_id": "written-22-days-back", "purge_at": behind.now() + dt.timedelta(minutes=30)},
            {"_id": "past-on-both", "purge_at": behind.now() - dt.timedelta(minutes=1)},
            {"_id": "due-in-a-month", "purge_at": wall + dt.timedelta(days=30)},
        ])
        rules = [ExpiryRule("throttles", "purge_at", dt.timedelta(0))]
        out = []
        for clock in (behind, ahead, Clock()):
            n = await Expiry(db, rules, clock).run()
            out.append((n, sorted([d["_id"] async for d in db.throttles.find()])))
        return out

    assert _on_db(database, work) == [
        (1, ["due-in-a-month", "written-22-days-back"]),   # the clock moved back: only what is past on it
        (1, ["due-in-a-month"]),                           # moved forward: what the wall says is past
        (0, ["due-in-a-month"]),
    ]


def test_the_app_expires_by_every_domains_ttl_indexes(server: AppServer) -> None:
    ctx = server.ctx
    assert ctx is not None
    job = ctx.workers.jobs["expire-documents"]
    assert job.interval == server.config.database.expiry_seconds == 60
    rules = {(r.collection, r.field) for r in job.fn.__self__.rules}  # type: ignore[attr-defined]
    declared = {(spec.name, next(iter(index.document["key"])))
                for d in ctx.domains.values() for spec in d.collections for index in spec.indexes
                if "expireAfterSeconds" in index.document}
    assert rules == declared
    assert {("sessions", "purge_at"), ("rate_limits", "expires_at"), ("face_verifications", "purge_at"),
            ("session_ends", "at")} <= rules

    now = server.clock.now()
    counters = ctx.db["rate_limits"]
    server.run(counters.insert_many([
        {"_id": "test-expiry:gone", "n": 1, "expires_at": now - dt.timedelta(seconds=1)},
        {"_id": "test-expiry:kept", "n": 1, "expires_at": now + dt.timedelta(minutes=1)},
    ]))

    async def run_once() -> object:
        return await job.fn()

    server.run(run_once())
    left = server.run(counters.distinct("_id", {"_id": {"$regex": "^test-expiry:"}}))
    assert left == ["test-expiry:kept"]


def test_expiry_can_be_left_to_the_database(database: EmbeddedDatabase, tmp_path: Path) -> None:
    app = make_app(test_config(database, tmp_path, database={"uri": database.uri, "name": "expiry_off",
                                                              "expiry_seconds": 0}))
    assert "expire-documents" not in app.settings["runtime"].workers.jobs


def test_the_embedded_server_runs_without_its_own_sweeper(database: EmbeddedDatabase) -> None:
    """SecantusDB's command line always runs its TTL sweeper; the product's server module starts
    the same server without it."""
    assert database.proc is not None
    argv = Path(f"/proc/{database.proc.pid}/cmdline").read_bytes().split(b"\0")
    assert SERVER_MODULE.encode() in argv and b"secantus" not in argv
