"""Storage of staff accounts (``staff``) and of failed staff logins (``staff_login_guard``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
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
    CollectionSpec("staff_login_guard", doc="Failed staff logins per username, and lockouts."),
]


class StaffStore:
    def __init__(self, db: AsyncDatabase):
        self._col = db["staff"]
        self._guard = db["staff_login_guard"]

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

    async def login_guard(self, username: str) -> dict[str, Any] | None:
        return await self._guard.find_one({"_id": username})

    async def clear_login_guard(self, username: str) -> None:
        await self._guard.delete_one({"_id": username})

    async def count_failed_login(self, username: str, now: dt.datetime, window_start: dt.datetime) -> int:
        """Add a failure to the username's window (a new window when the old one has passed)."""
        await self._guard.update_one(
            {"_id": username},
            [{"$set": {
                "count": {"$cond": [{"$lt": [{"$ifNull": ["$first_at", window_start]}, window_start]},
                                    1, {"$add": [{"$ifNull": ["$count", 0]}, 1]}]},
                "first_at": {"$cond": [{"$lt": [{"$ifNull": ["$first_at", window_start]}, window_start]},
                                       now, {"$ifNull": ["$first_at", now]}]},
            }}],
            upsert=True)
        doc = await self._guard.find_one({"_id": username}, {"count": 1})
        return int(doc.get("count", 1)) if doc else 1

    async def lock_login(self, username: str, until: dt.datetime) -> None:
        await self._guard.update_one({"_id": username},
                                     {"$set": {"locked_until": until, "count": 0, "first_at": None}})
