"""Storage of resident accounts (``users``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec(
        "users",
        indexes=(
            IndexModel([("openid", ASCENDING)], unique=True),
            # One ID number binds one account: enforced by the database, not by a prior read.
            IndexModel([("realname.id_hash", ASCENDING)], unique=True,
                       partialFilterExpression={"realname.id_hash": {"$type": "string"}}),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["openid", "created_at", "status"],
            "properties": {
                "openid": {"bsonType": "string"},
                "status": {"enum": ["active", "disabled"]},
                "realname": {"bsonType": ["object", "null"],
                             "required": ["name_sealed", "id_sealed", "id_hash", "name_masked", "id_masked"]},
            },
        }},
        doc="Resident accounts; identity numbers only sealed (AES-GCM) and as a keyed hash.",
    ),
]


def object_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


class UserStore:
    def __init__(self, db: AsyncDatabase):
        self._col = db["users"]

    async def get(self, user_id: str) -> dict[str, Any] | None:
        oid = object_id(user_id)
        return None if oid is None else await self._col.find_one({"_id": oid})

    async def upsert_by_openid(self, openid: str, unionid: str | None, now: dt.datetime) -> dict[str, Any]:
        update = {"$set": {"last_login_at": now},
                  "$setOnInsert": {"openid": openid, "created_at": now, "status": "active", "realname": None}}
        if unionid:
            update["$set"]["unionid"] = unionid
        try:
            return await self._col.find_one_and_update({"openid": openid}, update, upsert=True,
                                                       return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # a first login raced with itself; the other insert won
            return await self._col.find_one_and_update({"openid": openid}, {"$set": {"last_login_at": now}},
                                                       return_document=ReturnDocument.AFTER)

    async def find_by_id_hash(self, id_hash: str) -> dict[str, Any] | None:
        return await self._col.find_one({"realname.id_hash": id_hash})

    async def bind_realname(self, user_id: ObjectId, realname: dict[str, Any]) -> bool:
        """Set the identity once; False if the account already has one. Raises DuplicateKeyError
        when the ID number is bound to another account."""
        res = await self._col.update_one({"_id": user_id, "realname": None}, {"$set": {"realname": realname}})
        return res.modified_count == 1

    async def reseal(self, user_id: ObjectId, old_kid: str, fields: dict[str, Any]) -> bool:
        res = await self._col.update_one({"_id": user_id, "realname.id_sealed.kid": old_kid},
                                         {"$set": {f"realname.{k}": v for k, v in fields.items()}})
        return res.modified_count == 1

    def needing_reseal(self, active_kid: str):  # noqa: ANN201 - an async cursor
        return self._col.find({"realname": {"$ne": None}, "realname.id_sealed.kid": {"$ne": active_kid}})
