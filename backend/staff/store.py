"""Storage of staff accounts (``staff``) and of failed staff logins (``login_throttles``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.access import STAFF_ROLES
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec(
        "staff",
        indexes=(IndexModel([("username", ASCENDING)], unique=True),),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["username", "password_hash", "roles", "status", "created_at"],
            "properties": {
                "username": {"bsonType": "string"},
                "roles": {"bsonType": "array", "items": {"enum": list(STAFF_ROLES)}},
                "status": {"enum": ["active", "disabled"]},
            },
        }},
        doc="Staff accounts with argon2id password hashes and roles.",
    ),
    CollectionSpec(
        "login_throttles",
        indexes=(IndexModel([("username", ASCENDING)]), IndexModel([("last_failure_at", ASCENDING)]),
                 IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0)),
        doc="Failed staff logins per (username, client address) and per address, with the delay "
            "each has earned; purged once the window and the delay have passed.",
    ),
]


class StaffStore:
    def __init__(self, db: AsyncDatabase):
        self._col = db["staff"]
        self._throttles = db["login_throttles"]

    # -- accounts ------------------------------------------------------------------------------

    async def add_account(self, doc: dict[str, Any]) -> ObjectId:
        """Insert a new account; raises DuplicateKeyError when the username is taken."""
        res = await self._col.insert_one(doc)
        return res.inserted_id

    async def username_exists(self, username: str) -> bool:
        return await self._col.find_one({"username": username}, {"_id": 1}) is not None

    async def all_accounts(self) -> list[dict[str, Any]]:
        return await self._col.find({}).sort("username", ASCENDING).to_list(None)

    async def by_id(self, staff_id: str | ObjectId) -> dict[str, Any] | None:
        oid = object_id(staff_id)
        return None if oid is None else await self._col.find_one({"_id": oid})

    async def by_username(self, username: str) -> dict[str, Any] | None:
        return await self._col.find_one({"username": username})

    async def change_account(self, staff_id: ObjectId, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Apply ``changes`` and return the account as it now is."""
        await self._col.update_one({"_id": staff_id}, {"$set": changes})
        return await self._col.find_one({"_id": staff_id})

    async def set_password_hash(self, staff_id: ObjectId, password_hash: str) -> None:
        await self._col.update_one({"_id": staff_id}, {"$set": {"password_hash": password_hash}})

    async def record_login(self, staff_id: ObjectId, now: dt.datetime) -> None:
        await self._col.update_one({"_id": staff_id}, {"$set": {"last_login_at": now}})

    # -- failed logins -------------------------------------------------------------------------

    async def throttles_of(self, throttle_ids: list[str]) -> list[dict[str, Any]]:
        return await self._throttles.find({"_id": {"$in": throttle_ids}}).to_list(None)

    async def count_login_failure(self, throttle_id: str, fields: dict[str, Any], now: dt.datetime,
                                  window_start: dt.datetime, purge_at: dt.datetime) -> dict[str, Any]:
        """Add a failure (the count starts again once the last one is older than the window)."""
        fresh = {"$lt": [{"$ifNull": ["$last_failure_at", window_start]}, window_start]}
        await self._throttles.update_one({"_id": throttle_id}, [{"$set": {
            **{k: {"$literal": v} for k, v in fields.items()},
            "failures": {"$cond": [fresh, 1, {"$add": [{"$ifNull": ["$failures", 0]}, 1]}]},
            "first_failure_at": {"$cond": [fresh, now, "$first_failure_at"]},
            "last_failure_at": now,
            "purge_at": {"$max": [{"$ifNull": ["$purge_at", purge_at]}, purge_at]},
        }}], upsert=True)
        doc = await self._throttles.find_one({"_id": throttle_id})
        assert doc is not None
        return doc

    async def delay_logins(self, throttle_id: str, until: dt.datetime, purge_at: dt.datetime) -> None:
        await self._throttles.update_one({"_id": throttle_id}, {"$set": {"blocked_until": until, "purge_at": purge_at}})

    async def clear_throttle(self, throttle_id: str) -> bool:
        return (await self._throttles.delete_one({"_id": throttle_id})).deleted_count == 1

    async def clear_throttles_of_username(self, username: str) -> int:
        return (await self._throttles.delete_many({"username": username})).deleted_count

    async def recent_throttles(self, since: dt.datetime, limit: int) -> list[dict[str, Any]]:
        return await (self._throttles.find({"last_failure_at": {"$gte": since}})
                      .sort("last_failure_at", DESCENDING).limit(limit).to_list(limit))
