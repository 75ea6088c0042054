"""The database: one ``AsyncMongoClient``, and each domain's collections declared as specs.

Start-up applies every spec idempotently: missing collections are created with their
validator, existing ones get the validator by ``collMod``, indexes are created (a no-op when
they already exist). Domains own their specs; nothing here knows about bookings or payments.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pymongo
from bson import ObjectId
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from backend.core.batch import Batch
from backend.core.clock import UTC

log = logging.getLogger("zjb.db")

T = TypeVar("T")
Doc = dict[str, Any]                    # a stored document as the driver hands it over
Client = AsyncMongoClient[Doc]
Database = AsyncDatabase[Doc]
Collection = AsyncCollection[Doc]


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    indexes: tuple[IndexModel, ...] = ()
    validator: dict[str, Any] | None = None
    doc: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def connect(uri: str, *, server_selection_timeout_ms: int = 3000, journal: bool = True,
            connect_timeout_ms: int | None = None, min_pool_size: int = 0, max_connecting: int = 2) -> Client:
    return AsyncMongoClient(
        uri,
        journal=journal,
        tz_aware=True,
        tzinfo=UTC,
        serverSelectionTimeoutMS=server_selection_timeout_ms,
        connectTimeoutMS=connect_timeout_ms or server_selection_timeout_ms,
        minPoolSize=min_pool_size,
        maxConnecting=max_connecting,
        uuidRepresentation="standard",
        appname="zhijianban",
    )


def find_in(col: Collection, field: str, keys: Sequence[Any],
            projection: dict[str, Any] | None = None) -> AsyncCursor[Doc]:
    """The documents whose ``field`` is one of ``keys``, in one batch: asked for one more than
    there can be, so the first batch holds them all and the server closes the cursor. A batch
    exactly full leaves it open, and past the default (101) the rest come in more round trips
    (``getMore``)."""
    return col.find({field: {"$in": list(keys)}}, projection, batch_size=len(keys) + 1)


async def ensure_schema(db: Database, specs: Iterable[CollectionSpec]) -> None:
    existing = set(await db.list_collection_names())
    for spec in specs:
        if spec.name not in existing:
            opts: dict[str, Any] = dict(spec.extra)
            if spec.validator:
                opts["validator"] = spec.validator
                opts["validationLevel"] = "strict"
            try:
                await db.create_collection(spec.name, check_exists=False, **opts)
            except OperationFailure as e:
                if e.code != 48:  # NamespaceExists: another process created it first
                    raise
                await db.command({"collMod": spec.name, "validator": spec.validator or {},
                                  "validationLevel": "strict"})
        elif spec.validator:
            await db.command({"collMod": spec.name, "validator": spec.validator, "validationLevel": "strict"})
        if spec.indexes:
            await db[spec.name].create_indexes(list(spec.indexes))
    log.info("schema ensured", extra={"collections": len(list(specs)) if isinstance(specs, (list, tuple)) else None})


def duplicate_key_errors(e: BulkWriteError) -> list[dict[str, Any]]:
    """The write errors of an unordered bulk write when every one is a duplicate key (11000), by
    the index of the operation refused; any other error is raised again."""
    errs: list[dict[str, Any]] = e.details.get("writeErrors", [])
    if any(w.get("code") != 11000 for w in errs):
        raise e
    return errs


async def insert_new(col: Collection, docs: list[dict[str, Any]],
                     session: Any = None) -> dict[int, dict[str, Any]]:
    """Insert ``docs`` in one unordered write (``insert_one`` for one); returns the ones a unique
    index refused, by position, each with what refused it (``keyPattern``, ``keyValue``). Every
    other one is in; any other error is raised."""
    if not docs:
        return {}
    if len(docs) == 1:
        try:
            await col.insert_one(docs[0], session=session)
        except DuplicateKeyError as e:
            return {0: dict(e.details or {})}
        return {}
    try:
        await col.insert_many(docs, ordered=False, session=session)
    except BulkWriteError as e:
        return {int(w["index"]): w for w in duplicate_key_errors(e)}
    return {}


class InsertBatch:
    """``insert_new`` for callers that insert at the same time: the documents asked for in one
    turn of the event loop go to the database as one unordered insert (one command, so they never
    conflict with each other there), and each caller gets its own refusals back by position."""

    def __init__(self, col: Collection, *, max_batch: int = 500):
        self._col = col
        self._batch: Batch[list[dict[str, Any]], dict[int, dict[str, Any]]] = Batch(self._run, max_batch=max_batch)

    async def insert(self, docs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
        if not docs:
            return {}
        return await self._batch.submit(docs)

    async def _run(self, parts: list[list[dict[str, Any]]]) -> list[dict[int, dict[str, Any]]]:
        refused = await insert_new(self._col, [d for part in parts for d in part])
        out: list[dict[int, dict[str, Any]]] = []
        offset = 0
        for part in parts:
            out.append({i - offset: w for i, w in refused.items() if offset <= i < offset + len(part)})
            offset += len(part)
        return out


async def names_by_id(col: Collection, ids: Iterable[str], fields: list[str],
                      render: Callable[[dict[str, Any]], str]) -> dict[str, str]:
    """What people call the documents of ``ids`` (a serial, a number, a name): ``render`` of each
    found, read with one ``$in`` query of ``fields``; ids that are not ObjectIds match nothing."""
    oids = list({ObjectId(i) for i in ids if ObjectId.is_valid(i)})
    if not oids:
        return {}
    docs = await find_in(col, "_id", oids, {f: 1 for f in fields}).to_list(None)
    return {str(d["_id"]): render(d) for d in docs}


async def insert_once(col: Collection, doc: dict[str, Any], session: Any = None) -> bool:
    """Insert ``doc``; False when a unique index (a dedupe key) already holds its like."""
    return not await insert_new(col, [doc], session)


async def drop_indexes(col: Collection, names: Iterable[str]) -> list[str]:
    """Drop those of ``names`` the collection still has; the names dropped."""
    present = set((await col.index_information()).keys())
    dropped = []
    for name in names:
        if name in present:
            try:
                await col.drop_index(name)
            except OperationFailure as e:
                if e.code != 27:  # IndexNotFound: another process dropped it first
                    raise
            dropped.append(name)
    return dropped


async def in_transaction(client: Client, fn: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
    """Run ``fn(session)`` in one multi-document transaction, retried by the driver on transient
    errors (write conflicts) and unknown commit results."""
    async with client.start_session() as s:
        return await s.with_transaction(fn)


async def ping(client: Client, timeout: float = 1.0) -> bool:
    """Whether the database answers within ``timeout`` seconds (readiness must answer quickly).

    The driver's own timeout bounds the call. A database call is never cancelled from outside:
    cancelling one while it waits for a server can leave the client's topology lock held (the
    driver's condition wait under Python 3.11's ``asyncio.wait_for``), and every later call hangs."""
    try:
        with pymongo.timeout(timeout):
            await client.admin.command("ping")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False


async def count_by(collection: Any, field: str, match: dict[str, Any] | None = None) -> list[tuple[str, int]]:
    """``(value, count)`` of ``field`` over a collection (for gauges read at scrape time)."""
    pipeline: list[dict[str, Any]] = [{"$match": match}] if match else []
    pipeline.append({"$group": {"_id": f"${field}", "n": {"$sum": 1}}})
    rows = await (await collection.aggregate(pipeline)).to_list(None)
    return [(str(r["_id"]), int(r["n"])) for r in rows]


async def waiting_by_status(col: Collection, statuses: Iterable[str]) -> list[tuple[str, int, Any]]:
    """A worklist's counts: per status, how many documents stand there and the ``created_at`` of
    the oldest (the lowest ``_id``). Each count and read is on a filter that is exactly the leading
    field of a ``status`` index."""
    out: list[tuple[str, int, Any]] = []
    for status in statuses:
        n = await col.count_documents({"status": status})
        first = None if n == 0 else await col.find_one({"status": status}, {"created_at": 1},
                                                       sort=[("_id", pymongo.ASCENDING)])
        out.append((status, n, None if first is None else first.get("created_at")))
    return out
