"""Storage of staff accounts (``staff``) and of failed staff logins (``login_throttles``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.access import STAFF_ROLES
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec, names_by_id
from backend.staff.values import (
    AccountChange,
    AccountStatus,
    NewAccount,
    StaffAccount,
    Throttle,
    ThrottleKind,
)

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


def _account(doc: dict[str, Any]) -> StaffAccount:
    return StaffAccount(id=str(doc["_id"]), username=doc["username"], display_name=doc.get("display_name", ""),
                        roles=tuple(doc.get("roles", [])), status=AccountStatus(doc.get("status", "active")),
                        hall_ids=tuple(doc.get("hall_ids", [])), password_hash=doc["password_hash"],
                        department_ids=tuple(doc.get("department_ids", [])),
                        password_set_by=tuple(doc.get("password_set_by", [])),
                        created_at=doc.get("created_at"), last_login_at=doc.get("last_login_at"))


def _throttle(doc: dict[str, Any]) -> Throttle:
    return Throttle(id=doc["_id"], kind=ThrottleKind(doc["kind"]), username=doc.get("username"), ip=doc["ip"],
                    failures=int(doc["failures"]), last_failure_at=doc["last_failure_at"],
                    blocked_until=doc.get("blocked_until"))


class StaffStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["staff"]
        self._throttles = db["login_throttles"]

    # -- accounts ------------------------------------------------------------------------------

    async def account_names(self, ids: list[str]) -> dict[str, str]:
        """Accounts as 姓名（用户名） (the audit log's names for them)."""
        return await names_by_id(self._col, ids, ["display_name", "username"],
                                 lambda d: f"{d.get('display_name') or ''}（{d.get('username') or ''}）")

    async def add_account(self, account: NewAccount) -> StaffAccount:
        """Insert a new account; raises DuplicateKeyError when the username is taken."""
        doc: dict[str, Any] = {"username": account.username, "display_name": account.display_name,
                               "roles": list(account.roles), "hall_ids": list(account.hall_ids),
                               "department_ids": list(account.department_ids),
                               "password_set_by": list(account.password_set_by),
                               "status": str(account.status), "created_at": account.created_at,
                               "password_hash": account.password_hash}
        res = await self._col.insert_one(doc)
        return _account({**doc, "_id": res.inserted_id})

    async def username_exists(self, username: str) -> bool:
        return await self._col.find_one({"username": username}, {"_id": 1}) is not None

    async def all_accounts(self) -> list[StaffAccount]:
        return [_account(d) for d in await self._col.find({}).sort("username", ASCENDING).to_list(None)]

    async def by_id(self, staff_id: str) -> StaffAccount | None:
        oid = object_id(staff_id)
        doc = None if oid is None else await self._col.find_one({"_id": oid})
        return None if doc is None else _account(doc)

    async def by_username(self, username: str) -> StaffAccount | None:
        doc = await self._col.find_one({"username": username})
        return None if doc is None else _account(doc)

    async def change_account(self, staff_id: str, change: AccountChange) -> StaffAccount | None:
        """Apply ``change`` and return the account as it now is."""
        fields: dict[str, Any] = {}
        if change.roles is not None:
            fields["roles"] = list(change.roles)
        if change.display_name is not None:
            fields["display_name"] = change.display_name
        if change.status is not None:
            fields["status"] = str(change.status)
        if change.hall_ids is not None:
            fields["hall_ids"] = list(change.hall_ids)
        if change.department_ids is not None:
            fields["department_ids"] = list(change.department_ids)
        oid = ObjectId(staff_id)
        if fields:
            await self._col.update_one({"_id": oid}, {"$set": fields})
        doc = await self._col.find_one({"_id": oid})
        return None if doc is None else _account(doc)

    async def set_password_hash(self, staff_id: str, password_hash: str, *, set_by: str | None = None) -> None:
        """A new password hash; ``set_by``: the administrator who set it (counted among those who
        control the account)."""
        change: dict[str, Any] = {"$set": {"password_hash": password_hash}}
        if set_by is not None:
            change["$addToSet"] = {"password_set_by": set_by}
        await self._col.update_one({"_id": ObjectId(staff_id)}, change)

    async def controllers(self, staff_id: str, limit: int = 50) -> set[str]:
        """The administrators who control the account, and those who control them, and so on:
        everyone who set its password, followed back (at most ``limit`` accounts are read)."""
        found: set[str] = set()
        todo = [staff_id]
        while todo and len(found) < limit:
            oids = [o for o in map(object_id, todo) if o is not None]
            docs = await self._col.find({"_id": {"$in": oids}}, {"password_set_by": 1}).to_list(None)
            todo = sorted({c for d in docs for c in d.get("password_set_by", [])} - found - {staff_id})
            found.update(todo)
        return found

    async def record_login(self, staff_id: str, now: dt.datetime) -> None:
        await self._col.update_one({"_id": ObjectId(staff_id)}, {"$set": {"last_login_at": now}})

    # -- failed logins -------------------------------------------------------------------------

    async def throttles_of(self, throttle_ids: list[str]) -> list[Throttle]:
        return [_throttle(d) for d in await self._throttles.find({"_id": {"$in": throttle_ids}}).to_list(None)]

    async def count_login_failure(self, throttle_id: str, kind: ThrottleKind, username: str | None, ip: str,
                                  now: dt.datetime, window_start: dt.datetime, purge_at: dt.datetime) -> Throttle:
        """Add a failure (the count starts again once the last one is older than the window)."""
        fresh = {"$lt": [{"$ifNull": ["$last_failure_at", window_start]}, window_start]}
        await self._throttles.update_one({"_id": throttle_id}, [{"$set": {
            "kind": {"$literal": str(kind)}, "username": {"$literal": username}, "ip": {"$literal": ip},
            "failures": {"$cond": [fresh, 1, {"$add": [{"$ifNull": ["$failures", 0]}, 1]}]},
            "first_failure_at": {"$cond": [fresh, now, "$first_failure_at"]},
            "last_failure_at": now,
            "purge_at": {"$max": [{"$ifNull": ["$purge_at", purge_at]}, purge_at]},
        }}], upsert=True)
        doc = await self._throttles.find_one({"_id": throttle_id})
        assert doc is not None
        return _throttle(doc)

    async def delay_logins(self, throttle_id: str, until: dt.datetime, purge_at: dt.datetime) -> None:
        await self._throttles.update_one({"_id": throttle_id}, {"$set": {"blocked_until": until, "purge_at": purge_at}})

    async def clear_throttle(self, throttle_id: str) -> bool:
        return (await self._throttles.delete_one({"_id": throttle_id})).deleted_count == 1

    async def clear_throttles_of_username(self, username: str) -> int:
        return (await self._throttles.delete_many({"username": username})).deleted_count

    async def recent_throttles(self, since: dt.datetime, limit: int) -> list[Throttle]:
        docs = await (self._throttles.find({"last_failure_at": {"$gte": since}})
                      .sort("last_failure_at", DESCENDING).limit(limit).to_list(limit))
        return [_throttle(d) for d in docs]
