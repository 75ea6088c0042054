"""Storage of staff accounts (``staff``) and of failed staff logins (``login_throttles``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.core.access import STAFF_ROLES
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec, names_by_id
from backend.staff.values import (
    AccountChange,
    AccountStatus,
    AttemptRule,
    NewAccount,
    Refused,
    Reserved,
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
        doc="Staff password tries per (username, client address), per address for existing accounts and "
            "per address for unknown usernames: each try is counted before its password is checked "
            "(and taken back when it succeeds), with the delay the count has earned; purged once the "
            "window and the delay have passed.",
    ),
]


def _account(doc: dict[str, Any]) -> StaffAccount:
    return StaffAccount(id=str(doc["_id"]), username=doc["username"], display_name=doc.get("display_name", ""),
                        roles=tuple(doc.get("roles", [])), status=AccountStatus(doc.get("status", "active")),
                        hall_ids=tuple(doc.get("hall_ids", [])), password_hash=doc["password_hash"],
                        department_ids=tuple(doc.get("department_ids", [])),
                        password_set_by=tuple(doc.get("password_set_by", [])),
                        password_change_required=bool(doc.get("password_change_required", False)),
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
                               "password_change_required": account.password_change_required,
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
        """A new password hash. ``set_by``: the administrator who set it (counted among those who
        control the account), and then its holder must change it at the next sign-in; otherwise the
        same password hashed anew, the requirement as it was."""
        change: dict[str, Any] = {"$set": {"password_hash": password_hash}}
        if set_by is not None:
            change["$set"]["password_change_required"] = True
            change["$addToSet"] = {"password_set_by": set_by}
        await self._col.update_one({"_id": ObjectId(staff_id)}, change)

    async def own_password_set(self, staff_id: str, password_hash: str) -> None:
        """The holder chose their own password: whatever an administrator set no longer signs in."""
        await self._col.update_one({"_id": ObjectId(staff_id)},
                                   {"$set": {"password_hash": password_hash, "password_change_required": False}})

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

    async def reserve_attempt(self, throttle_id: str, kind: ThrottleKind, username: str | None, ip: str,
                              rule: AttemptRule, now: dt.datetime, token: str) -> Reserved | Refused:
        """Count one try under a key before its password is checked, unless a delay runs: one
        conditional update admits it or not, so parallel tries in any number of processes are
        admitted at most ``rule.free`` times, then once per delay. The try that reaches the limit
        starts the next delay in the same update. The count starts again after ``rule.window``
        without a try."""
        window_start = now - rule.window
        window_ms = int(rule.window.total_seconds() * 1000)
        fresh = {"$lt": [{"$ifNull": ["$last_failure_at", window_start]}, window_start]}
        over = {"$subtract": ["$failures", rule.free]}
        delay_ms = {"$min": [{"$multiply": [rule.delay_seconds * 1000, {"$pow": [2, {"$min": [over, 20]}]}]},
                             rule.max_delay_seconds * 1000]}
        pipeline: list[dict[str, Any]] = [
            {"$set": {
                "kind": {"$literal": str(kind)}, "username": {"$literal": username}, "ip": {"$literal": ip},
                "prev_failure_at": "$last_failure_at",
                "failures": {"$cond": [fresh, 1, {"$add": [{"$ifNull": ["$failures", 0]}, 1]}]},
                "first_failure_at": {"$cond": [fresh, now, "$first_failure_at"]},
                "last_failure_at": now, "attempt": {"$literal": token},
            }},
            {"$set": {"blocked_until": {"$cond": [{"$gte": [over, 0]}, {"$add": [now, delay_ms]}, None]}}},
            {"$set": {"purge_at": {"$max": [{"$ifNull": ["$purge_at", now]}, {"$add": [now, window_ms]},
                                            {"$add": [{"$ifNull": ["$blocked_until", now]}, window_ms]}]}}},
        ]
        admit = {"_id": throttle_id, "blocked_until": {"$not": {"$gt": now}}}
        try:
            await self._throttles.update_one(admit, pipeline, upsert=True)
            admitted = True
        except DuplicateKeyError:  # the key exists and a delay runs, or two first tries met
            admitted = (await self._throttles.update_one(admit, pipeline)).matched_count == 1
        doc = await self._throttles.find_one({"_id": throttle_id})
        if not admitted:
            return Refused(key=throttle_id, blocked_until=None if doc is None else doc.get("blocked_until"))
        if doc is None:
            # A success of the same name from the same address cleared the key right after this
            # try was counted (or an admin did): its count went with it, and it started no delay.
            return Reserved(key=throttle_id, token=token, failures=0, started_delay=None)
        if doc.get("attempt") != token:
            # A later try was admitted meanwhile, so this one started no delay (a delay admits
            # nothing until it ends); its count is at most what the key holds now.
            return Reserved(key=throttle_id, token=token, failures=int(doc["failures"]), started_delay=None)
        return Reserved(key=throttle_id, token=token, failures=int(doc["failures"]),
                        started_delay=doc.get("blocked_until"))

    async def release_attempt(self, reserved: Reserved) -> None:
        """Take back a try that succeeded (or was never checked): its count, and the delay it
        started; the key goes once nothing is left on it."""
        back: dict[str, Any] = {
            "failures": {"$max": [0, {"$subtract": ["$failures", 1]}]},
            "last_failure_at": {"$ifNull": ["$prev_failure_at", "$last_failure_at"]},
            "attempt": None,
        }
        if reserved.started_delay is not None:
            back["blocked_until"] = None
        res = await self._throttles.update_one({"_id": reserved.key, "attempt": reserved.token}, [{"$set": back}])
        if res.matched_count == 0:  # a later try came: take back only this one's count
            await self._throttles.update_one({"_id": reserved.key, "failures": {"$gt": 0}}, {"$inc": {"failures": -1}})
        await self._throttles.delete_one({"_id": reserved.key, "failures": {"$lte": 0}})

    async def clear_throttle(self, throttle_id: str) -> bool:
        return (await self._throttles.delete_one({"_id": throttle_id})).deleted_count == 1

    async def clear_throttles_of_username(self, username: str) -> int:
        return (await self._throttles.delete_many({"username": username})).deleted_count

    async def recent_throttles(self, since: dt.datetime, limit: int) -> list[Throttle]:
        docs = await (self._throttles.find({"last_failure_at": {"$gte": since}})
                      .sort("last_failure_at", DESCENDING).limit(limit).to_list(limit))
        return [_throttle(d) for d in docs]
