"""Storage shared by every domain: rate-limit counters, the WeChat access token, the per-day jobs' ledger
and the upgrade steps' ledger.

Both are shared by all app and worker processes through the database, so a limit counts every
process's requests and one access token serves them all.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from backend.core.batch import Batch
from backend.db.mongo import CollectionSpec, Database, find_in, insert_new, insert_once

COLLECTIONS = [
    CollectionSpec("rate_limits", indexes=(IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),),
                   doc="Fixed-window request counters shared by all processes."),
    CollectionSpec("wechat_tokens", indexes=(IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0),),
                   doc="WeChat access tokens by key, shared by all processes, and the lease of whoever "
                       "is fetching a new one."),
    CollectionSpec("job_days",
                   indexes=(IndexModel([("job", ASCENDING), ("state", ASCENDING), ("day", ASCENDING)],
                                       name="job_state_day"),),
                   doc="Per-day jobs' ledger: each job's watermark (every day up to it is done) and one "
                       "document per job and day worked on (claim, lease, retry, done or skipped)."),
    CollectionSpec("migrations", doc="Upgrade steps of the stored data each database has had: running under a "
                                     "lease, then done (backend.core.migrations)."),
]


class RateLimitStore:
    def __init__(self, db: Database):
        self._col = db["rate_limits"]
        self._hits: Batch[tuple[str, dt.datetime], int] = Batch(self._count_hits)

    async def count_hit(self, counter_id: str, expires_at: dt.datetime) -> int:
        """Add one to a counter (created on first hit) and return its new value. Hits arriving
        together (a storm's requests) are counted with one insert of the counters they start,
        and one update and one read for the counters that exist already."""
        return await self._hits.submit((counter_id, expires_at))

    async def add_hits(self, adds: dict[str, tuple[int, dt.datetime]]) -> dict[str, int]:
        """Add to several counters at once (each created on its first hit, expiring when given);
        their totals now. Most hits of a burst are a counter's first of its window: inserting
        those costs this database half of what an upsert does (docs/secantusdb-slow-paths.md).
        The counters refused as duplicates exist: add to them, then read what they came to."""
        counters = list(adds)
        values = {c: adds[c][0] for c in counters}
        if not counters:
            return values
        refused = await insert_new(self._col, [{"_id": c, "n": n, "expires_at": expires_at}
                                               for c, (n, expires_at) in adds.items()])
        existing = [counters[i] for i in refused]
        if existing:
            by_add: dict[int, list[str]] = {}
            for c in existing:
                by_add.setdefault(adds[c][0], []).append(c)
            for k, same in by_add.items():
                await self._col.update_many({"_id": {"$in": same}}, {"$inc": {"n": k}})
            async for d in find_in(self._col, "_id", existing, {"n": 1}):
                values[d["_id"]] = int(d["n"])
        return values

    async def _count_hits(self, hits: list[tuple[str, dt.datetime]]) -> list[int]:
        adds: dict[str, tuple[int, dt.datetime]] = {}
        for counter_id, expires_at in hits:
            n, first_expiry = adds.get(counter_id, (0, expires_at))
            adds[counter_id] = (n + 1, first_expiry)
        values = await self.add_hits(adds)
        # The hits on one counter in this batch take its last values in turn, so each is judged
        # as if it had been counted alone.
        left = {c: n for c, (n, _) in adds.items()}
        out: list[int] = []
        for counter_id, _ in hits:
            out.append(values[counter_id] - left[counter_id] + 1)
            left[counter_id] -= 1
        return out


class WeChatTokenStore:
    """One document per key: the token, when it stops being usable, and a refresh lease."""

    def __init__(self, db: Database):
        self._col = db["wechat_tokens"]

    async def usable_token(self, key: str, now: dt.datetime) -> str | None:
        doc = await self._col.find_one({"_id": key}, {"value": 1, "usable_until": 1})
        if doc is None or doc.get("value") is None or doc["usable_until"] <= now:
            return None
        return str(doc["value"])

    async def save_token(self, key: str, value: str, usable_until: dt.datetime, purge_at: dt.datetime) -> None:
        await self._col.update_one({"_id": key}, {"$set": {"value": value, "usable_until": usable_until,
                                                           "purge_at": purge_at}}, upsert=True)

    async def forget_token(self, key: str, value: str | None = None) -> None:
        """Drop the token (only if it is still ``value``, when given: a newer one is kept)."""
        query: dict[str, Any] = {"_id": key}
        if value is not None:
            query["value"] = value
        await self._col.update_one(query, {"$set": {"value": None}})

    async def take_refresh_lease(self, key: str, holder: str, now: dt.datetime, until: dt.datetime) -> bool:
        """Become the one fetching a new token, unless someone else holds an unexpired lease."""
        try:
            res = await self._col.update_one(
                {"_id": key, "lease_until": {"$not": {"$gt": now}}},
                {"$set": {"lease_holder": holder, "lease_until": until},
                 "$setOnInsert": {"value": None, "usable_until": now, "purge_at": until + dt.timedelta(days=1)}},
                upsert=True)
        except DuplicateKeyError:  # the document exists with a live lease: the filter did not match
            return False
        return res.modified_count == 1 or res.upserted_id is not None

    async def end_refresh_lease(self, key: str, holder: str) -> None:
        await self._col.update_one({"_id": key, "lease_holder": holder},
                                   {"$unset": {"lease_until": "", "lease_holder": ""}})


class JobDayStore:
    """The ledger of per-day jobs (``backend.core.daily``): one watermark document per job (every
    day up to ``done_through`` is done) and one document per job and day worked on, keyed
    ``job:day`` so a day is claimed by exactly one insert or one conditional update."""

    def __init__(self, db: Database):
        self._col = db["job_days"]

    async def watermark(self, job: str) -> dict[str, Any] | None:
        return await self._col.find_one({"_id": f"wm:{job}"})

    async def start_watermark(self, job: str, first_day: str, done_through: str, now: dt.datetime) -> dict[str, Any]:
        """The job's first run fixes where its ledger starts (another process may have been first)."""
        await insert_new(self._col, [{"_id": f"wm:{job}", "job": job, "kind": "watermark", "first_day": first_day,
                                      "done_through": done_through, "created_at": now}])
        doc = await self._col.find_one({"_id": f"wm:{job}"})
        assert doc is not None
        return doc

    async def advance_watermark(self, job: str, done_through: str) -> None:
        await self._col.update_one({"_id": f"wm:{job}", "done_through": {"$lt": done_through}},
                                   {"$set": {"done_through": done_through}})

    async def days(self, job: str, days: list[str]) -> dict[str, dict[str, Any]]:
        if not days:
            return {}
        docs = await self._col.find({"_id": {"$in": [f"{job}:{d}" for d in days]}}).to_list(None)
        return {d["day"]: d for d in docs}

    async def claim_new(self, job: str, day: str, holder: str, lease_until: dt.datetime, now: dt.datetime) -> bool:
        """The first claim of a day: one insert (a second process's is refused by the key)."""
        return await insert_once(self._col, {"_id": f"{job}:{day}", "job": job, "day": day, "state": "running",
                                             "holder": holder, "next_try_at": lease_until, "tries": 0,
                                             "first_claimed_at": now})

    async def claim_again(self, job: str, day: str, seen_next_try_at: dt.datetime, holder: str,
                          lease_until: dt.datetime) -> bool:
        """A day that waits for a retry, or whose holder died: claimed by moving its next try from
        the value read (only one process's update matches)."""
        res = await self._col.update_one(
            {"_id": f"{job}:{day}", "state": {"$in": ["running", "waiting"]}, "next_try_at": seen_next_try_at},
            {"$set": {"state": "running", "holder": holder, "next_try_at": lease_until}})
        return res.modified_count == 1

    async def finish(self, job: str, day: str, holder: str, state: str, now: dt.datetime, *,
                     next_try_at: dt.datetime | None = None, reason: str | None = None) -> None:
        """``done``, ``skipped`` or ``waiting`` (with when to try again), by the holder of the claim."""
        fields: dict[str, Any] = {"state": state, "reason": reason, "last_try_at": now}
        update: dict[str, Any] = {"$set": fields, "$inc": {"tries": 1}}
        if state == "waiting":
            fields["next_try_at"] = next_try_at
        else:
            fields["finished_at"] = now
            update["$unset"] = {"next_try_at": ""}
        await self._col.update_one({"_id": f"{job}:{day}", "state": "running", "holder": holder}, update)

    async def skip(self, job: str, days: list[str], reason: str, now: dt.datetime) -> list[str]:
        """Record days the job will not do by itself (beyond its catch-up limit); the days newly skipped."""
        refused = await insert_new(self._col, [{"_id": f"{job}:{d}", "job": job, "day": d, "state": "skipped",
                                                "reason": reason, "finished_at": now, "tries": 0} for d in days])
        out = [d for i, d in enumerate(days) if i not in refused]
        for i in sorted(refused):  # a day still waiting for its retry is given up too
            res = await self._col.update_one({"_id": f"{job}:{days[i]}", "state": "waiting"},
                                             {"$set": {"state": "skipped", "reason": reason, "finished_at": now},
                                              "$unset": {"next_try_at": ""}})
            if res.modified_count == 1:
                out.append(days[i])
        return sorted(out)


class MigrationLedger:
    """Which upgrade steps a database has had (``backend.core.migrations``): one document per step,
    ``running`` under a holder's lease, then ``done``."""

    def __init__(self, db: Database):
        self._col = db["migrations"]

    async def done(self, ids: list[str]) -> set[str]:
        return {d["_id"] async for d in self._col.find({"_id": {"$in": ids}, "state": "done"}, {"_id": 1})}

    async def is_done(self, step_id: str) -> bool:
        return await self._col.find_one({"_id": step_id, "state": "done"}, {"_id": 1}) is not None

    async def claim(self, step_id: str, summary: str, holder: str, now: dt.datetime, lease_until: dt.datetime) -> bool:
        """Take the step to run it: new, or left running by a holder whose lease has ended."""
        if await insert_once(self._col, {"_id": step_id, "summary": summary, "state": "running", "holder": holder,
                                         "started_at": now, "lease_until": lease_until}):
            return True
        r = await self._col.update_one({"_id": step_id, "state": "running", "lease_until": {"$lte": now}},
                                       {"$set": {"holder": holder, "started_at": now, "lease_until": lease_until}})
        return r.modified_count == 1

    async def extend(self, step_id: str, holder: str, lease_until: dt.datetime) -> None:
        await self._col.update_one({"_id": step_id, "state": "running", "holder": holder},
                                   {"$set": {"lease_until": lease_until}})

    async def release(self, step_id: str, holder: str) -> None:
        """The step failed here: free it for the next start at once."""
        await self._col.update_one({"_id": step_id, "state": "running", "holder": holder},
                                   {"$set": {"lease_until": dt.datetime(1970, 1, 1, tzinfo=dt.UTC)}})

    async def finish(self, step_id: str, holder: str, now: dt.datetime) -> None:
        await self._col.update_one({"_id": step_id, "holder": holder},
                                   {"$set": {"state": "done", "done_at": now}, "$unset": {"lease_until": ""}})
