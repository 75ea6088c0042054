"""Documents past their TTL index's expiry, deleted by the app's workers through that index.

A TTL index (``expireAfterSeconds``) says a document may go once its date field is that old:
sessions, refresh tokens and face verifications past their purge date, rate-limit counters past
their window, the record of a session's end after an hour. MongoDB's TTL monitor deletes them by
the index. The embedded SecantusDB's own sweeper instead reads every document of every such
collection once a minute under its global lock, stalling everything else, and longer the more is
kept; so it runs without it (``secantus_server.py``), and this job does the monitor's work:
each rule's expired documents are found by a range on its index, a batch at a time, and deleted
by id with the expiry asked again (a document whose date moved on meanwhile stays). A run deletes
at most ``batches`` batches per collection, so its cost follows what expires, not what is kept,
and the next run goes on.

A document goes once its date is past on both the app's clock and the wall clock, the earlier of
the two. Dates are written on one or the other (the sandbox clock can be moved; the session-end
records and the monitor of a real MongoDB stay on the wall clock), and every check in the product
reads a document's date itself rather than trusting it to be gone, so going late only keeps it a
while longer; going early would take a count, a session or a reservation away in the middle of a
request that just wrote it. In production both clocks are one.

Several workers may run it at once: a document deleted twice is deleted once. On MongoDB it only
repeats the server's monitor, and ``database.expiry_seconds = 0`` leaves expiry to the server.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backend.core.clock import Clock, wall_now
from backend.db.mongo import CollectionSpec, Database

log = logging.getLogger("zjb.db.expiry")


@dataclass(frozen=True)
class ExpiryRule:
    """One TTL index: the documents of ``collection`` whose ``field`` holds a date older than
    ``after`` (and that the index's partial filter covers, when it has one)."""
    collection: str
    field: str
    after: dt.timedelta
    partial: Mapping[str, Any] | None = None

    def expired(self, now: dt.datetime) -> dict[str, Any]:
        """The filter of the documents expired at ``now``. A range on a date matches dates only:
        a document without the field, or with something else in it, never expires (as on MongoDB).
        The filter is one flat document where it can be: SecantusDB reads the whole collection
        for an ``$and`` (docs/secantusdb-slow-paths.md §13)."""
        due: dict[str, Any] = {self.field: {"$lt": now - self.after}}
        if not self.partial:
            return due
        if due.keys() & self.partial.keys():
            return {"$and": [due, dict(self.partial)]}
        return {**due, **self.partial}

    def expired_among(self, ids: list[Any], now: dt.datetime) -> dict[str, Any]:
        """``expired``, among the documents ``ids`` names (a delete by id, the expiry asked again)."""
        expired = self.expired(now)
        if "_id" in expired or "$and" in expired:
            return {"$and": [{"_id": {"$in": ids}}, expired]}
        return {"_id": {"$in": ids}, **expired}


def expiry_rules(specs: Iterable[CollectionSpec]) -> list[ExpiryRule]:
    """The rules of the TTL indexes ``specs`` declare: single-field indexes with
    ``expireAfterSeconds``, never on ``_id`` (MongoDB expires by no other kind)."""
    rules: list[ExpiryRule] = []
    for spec in specs:
        for index in spec.indexes:
            doc = index.document
            seconds = doc.get("expireAfterSeconds")
            keys = list(doc["key"])
            if seconds is None or len(keys) != 1 or keys[0] == "_id":
                continue
            rules.append(ExpiryRule(spec.name, keys[0], dt.timedelta(seconds=float(seconds)),
                                    doc.get("partialFilterExpression")))
    return rules


class Expiry:
    def __init__(self, db: Database, rules: list[ExpiryRule], clock: Clock, *, batch: int = 100,
                 batches: int = 20):
        self._db = db
        self._rules = rules
        self._clock = clock
        self._batch = batch
        self._batches = batches

    @property
    def rules(self) -> list[ExpiryRule]:
        return list(self._rules)

    async def run(self) -> int:
        """Delete what has expired (up to ``batches`` batches per collection); how many went."""
        now = min(self._clock.now(), wall_now())
        deleted = 0
        for rule in self._rules:
            n = await self._expire(rule, now)
            if n:
                log.info("expired documents deleted", extra={"collection": rule.collection, "deleted": n})
            deleted += n
        return deleted

    async def _expire(self, rule: ExpiryRule, now: dt.datetime) -> int:
        col = self._db[rule.collection]
        expired = rule.expired(now)
        deleted = 0
        for _ in range(self._batches):
            ids = [d["_id"] async for d in col.find(expired, {"_id": 1}, limit=self._batch)]
            if not ids:
                break
            # A batch by id keeps each delete short (the embedded server holds a lock while it
            # deletes); the expiry is asked again, so a document whose date moved on stays.
            result = await col.delete_many(rule.expired_among(ids, now))
            deleted += result.deleted_count
            if len(ids) < self._batch:
                break
        return deleted
