"""Storage of resident accounts (``users``), their identities, face verifications, login sessions
and refresh tokens."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from backend.core.batch import Batch, BatchedLookup
from backend.core.ids import object_id
from backend.db.mongo import CollectionSpec, InsertBatch, drop_indexes, find_in, insert_new
from backend.identity.values import (
    FacePurpose,
    FaceVerification,
    LoginSession,
    Realname,
    RefreshToken,
    Resealed,
    ResidentUser,
    SessionEnd,
    SessionEndKind,
    SessionRefresh,
    UserStatus,
)

log = logging.getLogger("zjb.identity")

AUDIENCES = ("resident", "staff")
SESSION_END_KEPT_SECONDS = 3600
REALNAME_ID_HASH_INDEX = "id_hash_once"
# The indexes of identities held in the accounts themselves: a unique partial one (which this
# database never reads through) and a sparse one for lookups, then the unique sparse one that
# replaced both, and the one of names.
LOOKUP_INDEX_BEFORE, UNIQUE_INDEX_BEFORE = "realname.id_hash_lookup", "realname.id_hash_1"
IN_ACCOUNT_INDEXES = ("realname.id_hash_once", "realname.name_hash_1")
FACE_USER_INDEX_BEFORE = "user_id_1_identified_at_1"
MOVE_PAGE = 500

COLLECTIONS = [
    CollectionSpec(
        "users",
        indexes=(
            IndexModel([("openid", ASCENDING)], unique=True),
            # Cancelled accounts whose data is still to be erased (finished by a job if a request died).
            IndexModel([("erasure_due", ASCENDING)], sparse=True),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["openid", "created_at", "status"],
            "properties": {
                "openid": {"bsonType": "string"},
                "status": {"enum": ["active", "disabled", "cancelled"]},
            },
        }},
        doc="Resident accounts: the WeChat identity, status and dates (the verified identity is in "
            "``realnames``).",
    ),
    CollectionSpec(
        "realnames",
        indexes=(
            # One ID number binds one account, enforced by the database and not by a prior read; the
            # same index answers lookups by ID number.
            IndexModel([("id_hash", ASCENDING)], unique=True, name=REALNAME_ID_HASH_INDEX),
            # Lookups by full name (a keyed hash; several may share a name).
            IndexModel([("name_hash", ASCENDING)], sparse=True),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["_id", "name_sealed", "id_sealed", "id_hash", "name_masked", "id_masked"],
            "properties": {"_id": {"bsonType": "objectId"}, "id_hash": {"bsonType": "string"}},
        }},
        doc="The verified identity of each bound account (``_id`` the account's); names and identity "
            "numbers only sealed (AES-GCM), as keyed hashes and masked. Kept apart from the account so "
            "that a binding is one insert into a collection of three indexes, not an update of the "
            "account that rewrites all of its indexes.",
    ),
    CollectionSpec(
        "face_verifications",
        indexes=(
            # The _id (SHA-256 of the verify_result) makes each face verification usable once. Every
            # lookup names the identity, whose verifications are few: one index serves them all.
            IndexModel([("id_hash", ASCENDING), ("identified_at", ASCENDING)]),
            IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["_id", "user_id", "id_hash", "name_hash", "purpose", "identified_at", "recorded_at"],
            "properties": {"_id": {"bsonType": "string"}, "purpose": {"enum": [str(p) for p in FacePurpose]}},
        }},
        doc="Passing WeChat face verifications (人脸核身) by the hash of their verify_result: each used "
            "once; the latest of a resident tells whether they proved their face recently.",
    ),
    CollectionSpec(
        "user_logins",
        doc="Each account's last login (``_id`` the account's): kept apart from the account, whose "
            "every index an update rewrites, so that the logins of a morning peak cost one "
            "small write each.",
    ),
    CollectionSpec(
        "identity_upkeep",
        doc="One-off upkeep of identity data already done (e.g. a backfill), so start-up does it once.",
    ),
    CollectionSpec(
        "refresh_tokens",
        indexes=(
            IndexModel([("family", ASCENDING)]),
            IndexModel([("subject", ASCENDING), ("audience", ASCENDING)]),
            IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["_id", "family", "subject", "audience", "expires_at", "revoked"],
            "properties": {"_id": {"bsonType": "string"}, "revoked": {"bsonType": "bool"},
                           "audience": {"enum": list(AUDIENCES)}},
        }},
        doc="Refresh tokens by SHA-256 hash, one use each, of sessions opened before a session kept its "
            "own (``sessions.refresh``): still honoured until they expire, each replaced on use by one "
            "kept in its session.",
    ),
    CollectionSpec(
        "sessions",
        indexes=(
            IndexModel([("subject", ASCENDING), ("audience", ASCENDING)]),
            IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["_id", "subject", "audience", "created_at", "last_seen_at", "ended_at"],
            "properties": {"_id": {"bsonType": "string"}, "audience": {"enum": list(AUDIENCES)}},
        }},
        doc="Login sessions: every access token names one, and an ended session (logout, password "
            "change, disabling, refresh-token reuse) stops them all. Each keeps its refresh state "
            "(``refresh``: the working token's hash and expiry, the latest used ones), so a login is "
            "one insert.",
    ),
    CollectionSpec(
        "session_ends",
        indexes=(
            # Each process asks for the records of the last moments; an hour later they are gone.
            IndexModel([("at", ASCENDING)], expireAfterSeconds=SESSION_END_KEPT_SECONDS),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["kind", "key", "at"],
            "properties": {"kind": {"enum": ["session", "subject"]}, "key": {"bsonType": "string"},
                           "at": {"bsonType": "date"}},
        }},
        doc="Sessions (or every session and the account of a person) about to end, recorded before "
            "the write: every process reads the latest and drops what it kept of them.",
    ),
]


def _realname(rn: dict[str, Any] | None) -> Realname | None:
    if not rn:
        return None
    return Realname(name_sealed=rn["name_sealed"], id_sealed=rn["id_sealed"], id_hash=rn["id_hash"],
                    name_masked=rn["name_masked"], id_masked=rn["id_masked"], name_hash=rn.get("name_hash"),
                    gender=rn.get("gender"), birth_date=rn.get("birth_date"), verified_at=rn.get("verified_at"),
                    verified_by=rn.get("verified_by"))


def _realname_doc(rn: Realname) -> dict[str, Any]:
    doc: dict[str, Any] = {"name_sealed": rn.name_sealed, "id_sealed": rn.id_sealed, "id_hash": rn.id_hash,
                           "name_masked": rn.name_masked, "id_masked": rn.id_masked, "gender": rn.gender,
                           "birth_date": rn.birth_date, "verified_at": rn.verified_at, "verified_by": rn.verified_by}
    if rn.name_hash is not None:
        doc["name_hash"] = rn.name_hash
    return doc


def _user(doc: dict[str, Any]) -> ResidentUser:
    return ResidentUser(id=str(doc["_id"]), openid=doc["openid"], status=UserStatus(doc.get("status", "active")),
                        realname=_realname(doc.get("realname")), unionid=doc.get("unionid"),
                        created_at=doc.get("created_at"), last_login_at=doc.get("last_login_at"),
                        cancelled_at=doc.get("cancelled_at"))


class UserStore:
    """Accounts (``users``) with their verified identity (``realnames``), read together."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["users"]
        self._realnames = db["realnames"]
        self._last_logins = db["user_logins"]
        self._by_id: BatchedLookup[ObjectId] = BatchedLookup(self._fetch)
        self._by_openid: BatchedLookup[str] = BatchedLookup(self._fetch_openids)
        self._inserts = InsertBatch(self._col)
        self._logins: Batch[tuple[ObjectId, dt.datetime], None] = Batch(self._record_logins)
        self._bindings: Batch[dict[str, Any], bool | None | WriteError] = Batch(self._bind_many)

    async def _with_realnames(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The accounts, each with its identity under ``realname`` (None when not bound): one query."""
        if not docs:
            return docs
        held = {d["_id"]: d async for d in find_in(self._realnames, "_id", [d["_id"] for d in docs])}
        return [{**d, "realname": held.get(d["_id"])} for d in docs]

    async def _holding_identities(self, oids: list[ObjectId]) -> set[ObjectId]:
        """Which of these accounts hold an identity (one query; none for no accounts)."""
        if not oids:
            return set()
        return {d["_id"] async for d in find_in(self._realnames, "_id", oids, {"_id": 1})}

    async def by_id(self, user_id: str) -> ResidentUser | None:
        """One account; reads asked for together (every request's token check) go as one query of
        the accounts and one of their identities."""
        oid = object_id(user_id)
        doc = None if oid is None else await self._by_id.get(oid)
        return None if doc is None else _user(doc)

    async def _fetch(self, oids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
        found = await find_in(self._col, "_id", oids).to_list(None)
        return {d["_id"]: d for d in await self._with_realnames(found)}

    async def by_ids(self, user_ids: list[str]) -> list[ResidentUser]:
        oids = [o for o in (object_id(u) for u in user_ids) if o is not None]
        if not oids:
            return []
        found = await find_in(self._col, "_id", oids).to_list(None)
        return [_user(d) for d in await self._with_realnames(found)]

    async def record_login(self, openid: str, unionid: str | None, now: dt.datetime) -> ResidentUser:
        """The account of this openid, created at its first login; its last login set to ``now``.
        The logins of a peak go together: one read of their accounts, one insert of the new ones
        and one write of the others' last logins (in ``user_logins``: the account itself is
        rewritten only when its unionid is new)."""
        doc = await self._by_openid.get(openid)
        if doc is None:
            new = {"_id": ObjectId(), "openid": openid, "created_at": now, "status": str(UserStatus.ACTIVE),
                   "last_login_at": now, **({"unionid": unionid} if unionid else {})}
            if not await self._inserts.insert([new]):
                return _user(new)
            found = await self._col.find_one({"openid": openid})  # a first login raced with itself
            if found is None:
                raise RuntimeError("an account's first login was refused and no account holds its openid")
            doc = (await self._with_realnames([found]))[0]
        if unionid and doc.get("unionid") != unionid:
            await self._col.update_one({"_id": doc["_id"]}, {"$set": {"unionid": unionid}})
            doc = {**doc, "unionid": unionid}
        await self._logins.submit((doc["_id"], now))
        return _user({**doc, "last_login_at": now})

    async def _fetch_openids(self, openids: list[str]) -> dict[str, dict[str, Any]]:
        found = await find_in(self._col, "openid", openids).to_list(None)
        return {d["openid"]: d for d in await self._with_realnames(found)}

    async def _record_logins(self, logins: list[tuple[ObjectId, dt.datetime]]) -> list[None]:
        latest: dict[ObjectId, dt.datetime] = {}
        for oid, at in logins:
            latest[oid] = max(at, latest.get(oid, at))
        ops = [UpdateOne({"_id": oid}, {"$max": {"last_login_at": at}}, upsert=True) for oid, at in latest.items()]
        try:
            await self._last_logins.bulk_write(ops, ordered=False)
        except BulkWriteError as e:
            # Two processes' first records of one account: the loser's upsert met the winner's
            # insert, so it is written again as an update of that document.
            errors = e.details.get("writeErrors", [])
            if any(w.get("code") != 11000 for w in errors):
                raise
            await self._last_logins.bulk_write([ops[int(w["index"])] for w in errors], ordered=False)
        return [None] * len(logins)

    async def last_login(self, user: ResidentUser) -> dt.datetime | None:
        """When the account last logged in (the account itself holds its first login, and the last
        of those before logins were kept apart)."""
        doc = await self._last_logins.find_one({"_id": ObjectId(user.id)})
        kept = doc.get("last_login_at") if doc else None
        return max((t for t in (kept, user.last_login_at) if t is not None), default=None)

    async def cancel(self, user_id: str, tombstone: str, now: dt.datetime) -> bool:
        """Active → cancelled: the WeChat identity replaced by ``tombstone`` (so a later login with the
        same openid makes a new account), the unionid removed, the ID number's lookup hash retired (so
        the person may verify a new account); the sealed identity stays for the records kept. False
        when the account was not active. Should the process die between the account and its
        identity, the erasure that follows retires the hash (``erasure_done``)."""
        oid = object_id(user_id)
        if oid is None:
            return False
        res = await self._col.update_one({"_id": oid, "status": str(UserStatus.ACTIVE)},
                                         {"$set": {"openid": tombstone, "status": str(UserStatus.CANCELLED),
                                                   "cancelled_at": now, "erasure_due": now},
                                          "$unset": {"unionid": ""}})
        if res.modified_count != 1:
            return False
        await self._retire_id_hash(oid, tombstone)
        return True

    async def _retire_id_hash(self, oid: ObjectId, tombstone: str) -> None:
        rn = await self._realnames.find_one({"_id": oid}, {"id_hash": 1})
        id_hash = rn.get("id_hash") if rn else None
        if isinstance(id_hash, str) and not id_hash.startswith("retired:"):
            await self._realnames.update_one({"_id": oid, "id_hash": id_hash},
                                             {"$set": {"id_hash": f"retired:{tombstone}:{id_hash}"}})

    async def erasure_done(self, user_id: str) -> None:
        oid = ObjectId(user_id)
        doc = await self._col.find_one({"_id": oid, "status": str(UserStatus.CANCELLED)}, {"openid": 1})
        if doc is not None:
            await self._retire_id_hash(oid, doc["openid"])
        await self._col.update_one({"_id": oid}, {"$unset": {"erasure_due": ""}})

    async def awaiting_erasure(self, before: dt.datetime, limit: int) -> list[str]:
        """Cancelled accounts whose erasure was due before ``before`` and is not done."""
        docs = await self._col.find({"erasure_due": {"$lte": before}}, {"_id": 1}).sort("erasure_due", ASCENDING) \
            .limit(limit).to_list(limit)
        return [str(d["_id"]) for d in docs]

    async def drop_id_hash_lookup_index(self) -> list[str]:
        """Before the schema is ensured: the sparse lookup index, whose keys the unique sparse index
        repeats (a server refuses a second index of the same keys and kind under another name)."""
        return await drop_indexes(self._col, [LOOKUP_INDEX_BEFORE])

    async def drop_partial_id_hash_index(self) -> list[str]:
        """Once the unique sparse index exists: the unique partial one it replaces."""
        return await drop_indexes(self._col, [UNIQUE_INDEX_BEFORE])

    async def move_realnames(self) -> int:
        """Identities held in the accounts themselves move to ``realnames``, a page at a time: each
        is inserted there (once: a page moved before a crash is refused by ``_id`` and counts as
        moved), then removed from its account; then the accounts' indexes of them are dropped. An
        identity whose ID number another account already holds in ``realnames`` stays where it is
        and is logged: only processes of two versions binding side by side make one."""
        moved = 0
        left: list[ObjectId] = []
        while True:
            query: dict[str, Any] = {"realname": {"$type": "object"}}
            if left:
                query["_id"] = {"$nin": left}
            page = await self._col.find(query, {"realname": 1}).limit(MOVE_PAGE).to_list(MOVE_PAGE)
            if not page:
                break
            refused = await insert_new(self._realnames, [{**d["realname"], "_id": d["_id"]} for d in page])
            held = await self._holding_identities([page[i]["_id"] for i in refused])
            conflicting = {page[i]["_id"] for i in refused if page[i]["_id"] not in held}
            if conflicting:
                log.error("identities left in their accounts: their ID numbers are bound elsewhere",
                          extra={"accounts": sorted(str(o) for o in conflicting)})
                left.extend(conflicting)
            done = [d["_id"] for d in page if d["_id"] not in conflicting]
            if done:
                await self._col.update_many({"_id": {"$in": done}}, {"$unset": {"realname": ""}})
            moved += len(done)
        await self._col.update_many({"realname": {"$type": "null"}}, {"$unset": {"realname": ""}})
        await drop_indexes(self._col, IN_ACCOUNT_INDEXES)
        if moved:
            log.info("identities moved out of the accounts", extra={"count": moved})
        return moved

    async def by_id_hash(self, id_hash: str) -> ResidentUser | None:
        rn = await self._realnames.find_one({"id_hash": id_hash})
        doc = None if rn is None else await self._col.find_one({"_id": rn["_id"]})
        return None if doc is None else _user({**doc, "realname": rn})

    async def by_name_hash(self, name_hash: str, limit: int) -> list[ResidentUser]:
        held = {d["_id"]: d for d in await self._realnames.find({"name_hash": name_hash}).limit(limit).to_list(limit)}
        if not held:
            return []
        docs = await find_in(self._col, "_id", list(held)).to_list(None)
        return [_user({**d, "realname": held[d["_id"]]}) for d in docs]

    async def needing_name_hash(self) -> AsyncIterator[tuple[str, Realname]]:
        """Accounts bound before names were hashed: each id with its identity."""
        async for doc in self._realnames.find({"name_hash": {"$exists": False}}):
            rn = _realname(doc)
            if rn is not None:
                yield str(doc["_id"]), rn

    async def set_name_hash(self, user_id: str, id_hash: str, name_hash: str) -> bool:
        res = await self._realnames.update_one({"_id": ObjectId(user_id), "id_hash": id_hash,
                                                "name_hash": {"$exists": False}},
                                               {"$set": {"name_hash": name_hash}})
        return res.modified_count == 1

    async def bind_realname(self, user_id: str, realname: Realname, session: Any = None) -> bool:
        """Set the identity once; False if the account already has one. Raises DuplicateKeyError
        when the ID number is bound to another account. Outside a transaction, the bindings of a
        peak go to the database together (``_bind_many``)."""
        doc = {**_realname_doc(realname), "_id": ObjectId(user_id)}
        if session is not None:
            try:
                await self._realnames.insert_one(doc, session=session)
            except DuplicateKeyError as e:
                if "_id" in ((e.details or {}).get("keyPattern") or {}):
                    return False
                raise
            return True
        bound = await self._bindings.submit(doc)
        if bound is None:
            raise DuplicateKeyError("the ID number is bound to another account", 11000)
        if isinstance(bound, WriteError):
            raise bound
        return bound

    async def _bind_many(self, docs: list[dict[str, Any]]) -> list[bool | None | WriteError]:
        """One unordered insert of the identities bound together. Each is True (bound), False (the
        account had an identity already), None (the number is bound to another account) or the
        write error that refused it alone (the others still count). A duplicate is told apart by
        reading the accounts refused: one that holds an identity had it already."""
        refused: dict[int, WriteError | None] = {}
        try:
            await self._realnames.insert_many(docs, ordered=False)
        except BulkWriteError as e:
            for w in e.details.get("writeErrors", []):
                code = w.get("code")
                refused[int(w["index"])] = None if code == 11000 else WriteError(w.get("errmsg", ""), code, w)
        held = await self._holding_identities([docs[i]["_id"] for i, err in refused.items() if err is None])
        out: list[bool | None | WriteError] = []
        for i, doc in enumerate(docs):
            if i not in refused:
                out.append(True)
            elif refused[i] is not None:
                out.append(refused[i])
            else:
                out.append(False if doc["_id"] in held else None)
        return out

    async def release_realname(self, user_id: str, id_hash: str, session: Any = None) -> bool:
        """End this account's binding of this ID number (a reclaim at the window)."""
        res = await self._realnames.delete_one({"_id": ObjectId(user_id), "id_hash": id_hash}, session=session)
        return res.deleted_count == 1

    async def reseal(self, user_id: str, read: Realname, resealed: Resealed) -> bool:
        """Replace the sealed values of ``read`` (if they are still those) with ``resealed``."""
        res = await self._realnames.update_one(
            {"_id": ObjectId(user_id), "id_sealed.ct": read.id_sealed["ct"], "name_sealed.ct": read.name_sealed["ct"]},
            {"$set": {"name_sealed": resealed.name_sealed, "id_sealed": resealed.id_sealed}})
        return res.modified_count == 1

    def _other_keys(self, active_kid: str) -> dict[str, Any]:
        return {"$or": [{"id_sealed.kid": {"$ne": active_kid}}, {"name_sealed.kid": {"$ne": active_kid}}]}

    async def sealed_with_other_keys(self, active_kid: str, *, after: str | None,
                                     limit: int) -> list[tuple[str, Realname]]:
        """The next accounts in ``_id`` order whose identity is sealed with another key than the active one."""
        q = self._other_keys(active_kid)
        if after is not None:
            q["_id"] = {"$gt": ObjectId(after)}
        docs = await self._realnames.find(q).sort("_id", ASCENDING).limit(limit).to_list(limit)
        return [(str(d["_id"]), rn) for d in docs if (rn := _realname(d)) is not None]

    async def count_sealed_with_other_keys(self, active_kid: str) -> int:
        return await self._realnames.count_documents(self._other_keys(active_kid))


class UpkeepStore:
    """Which one-off upkeep tasks of identity data are done."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["identity_upkeep"]

    async def reseal_checkpoint(self, task: str, now: dt.datetime) -> str | None:
        """Where the re-encryption for one key stands: the last account done, None at its start
        (its checkpoint is created at its first run)."""
        await self._col.update_one({"_id": task}, {"$setOnInsert": {"after": None, "walked": 0, "started_at": now}},
                                   upsert=True)
        after = ((await self._col.find_one({"_id": task})) or {}).get("after")
        return None if after is None else str(after)

    async def advance_reseal(self, task: str, after: str, walked: int) -> None:
        """Every account up to ``after`` is done; never moves back (several runners may advance it)."""
        await self._col.update_one({"_id": task}, {"$max": {"after": ObjectId(after)}, "$inc": {"walked": walked}})

    async def finish_reseal(self, task: str, now: dt.datetime) -> None:
        await self._col.update_one({"_id": task, "finished_at": {"$exists": False}}, {"$set": {"finished_at": now}})


def _face(d: dict[str, Any]) -> FaceVerification:
    return FaceVerification(id=d["_id"], user_id=d["user_id"], id_hash=d["id_hash"], name_hash=d["name_hash"],
                            purpose=FacePurpose(d["purpose"]), identified_at=d["identified_at"],
                            recorded_at=d["recorded_at"])


class FaceVerificationStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["face_verifications"]
        self._inserts = InsertBatch(self._col)  # the verifications of a peak go in together

    async def record_once(self, v: FaceVerification, purge_at: dt.datetime) -> bool:
        """Keep a face verification; False when its verify_result was used before."""
        refused = await self._inserts.insert([{"_id": v.id, "user_id": v.user_id, "id_hash": v.id_hash,
                                               "name_hash": v.name_hash, "purpose": str(v.purpose),
                                               "identified_at": v.identified_at, "recorded_at": v.recorded_at,
                                               "purge_at": purge_at}])
        return not refused

    async def latest_of(self, user_id: str, id_hash: str, since: dt.datetime) -> FaceVerification | None:
        """The resident's latest face verification of this identity made at ``since`` or later
        (read through the identity's index: ``id_hash`` first)."""
        doc = await self._col.find_one({"id_hash": id_hash, "user_id": user_id, "identified_at": {"$gte": since}},
                                       sort=[("identified_at", -1)])
        return None if doc is None else _face(doc)

    async def drop_user_index(self) -> list[str]:
        """The index by account, which no lookup needs (each names the identity)."""
        return await drop_indexes(self._col, [FACE_USER_INDEX_BEFORE])

    async def latest_claim(self, id_hash: str, name_hash: str, *, since: dt.datetime, after: dt.datetime | None,
                           not_user: str) -> FaceVerification | None:
        """The latest face verification of this identity made since ``since`` and recorded after
        ``after`` by an account other than ``not_user`` (the one that holds the identity): who is
        claiming it back."""
        query: dict[str, Any] = {"id_hash": id_hash, "name_hash": name_hash, "user_id": {"$ne": not_user},
                                 "identified_at": {"$gte": since}}
        if after is not None:
            query["recorded_at"] = {"$gt": after}
        doc = await self._col.find_one(query, sort=[("identified_at", -1)])
        return None if doc is None else _face(doc)


def _token(d: dict[str, Any]) -> RefreshToken:
    return RefreshToken(hash=d["_id"], family=d["family"], subject=d["subject"], audience=d["audience"],
                        issued_at=d["issued_at"], expires_at=d["expires_at"], purge_at=d["purge_at"],
                        used_at=d.get("used_at"), revoked=bool(d.get("revoked")))


def _session(d: dict[str, Any]) -> LoginSession:
    return LoginSession(id=d["_id"], subject=d["subject"], audience=d.get("audience", ""),
                        created_at=d.get("created_at"), last_seen_at=d.get("last_seen_at"),
                        expires_at=d.get("expires_at"), purge_at=d.get("purge_at"), ended_at=d.get("ended_at"),
                        end_reason=d.get("end_reason"))


class RefreshTokenStore:
    """Refresh tokens kept on their own, of sessions that do not keep their refresh state: read,
    used once and revoked, never written anew (a use hands its session a token kept in it)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["refresh_tokens"]

    async def use_once(self, token_hash: str, audience: str, now: dt.datetime) -> RefreshToken | None:
        """Mark an unused, unrevoked, unexpired token used; the token, or None when it was not."""
        res = await self._col.update_one(
            {"_id": token_hash, "audience": audience, "used_at": None, "revoked": False, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}})
        if res.modified_count != 1:
            return None
        doc = await self._col.find_one({"_id": token_hash})
        return None if doc is None else _token(doc)

    async def by_hash(self, token_hash: str, *, audience: str | None = None,
                      subject: str | None = None) -> RefreshToken | None:
        query: dict[str, Any] = {"_id": token_hash}
        if audience is not None:
            query["audience"] = audience
        if subject is not None:
            query["subject"] = subject
        doc = await self._col.find_one(query)
        return None if doc is None else _token(doc)

    async def revoke_families(self, families: list[str]) -> None:
        if families:
            await self._col.update_many({"family": {"$in": families}}, {"$set": {"revoked": True}})

    async def revoke_subject(self, subject: str, audience: str) -> None:
        await self._col.update_many({"subject": subject, "audience": audience}, {"$set": {"revoked": True}})


def _refresh_doc(r: SessionRefresh) -> dict[str, Any]:
    return {"hash": r.hash, "expires_at": r.expires_at, "used": list(r.used)}


def _refresh(d: dict[str, Any]) -> SessionRefresh | None:
    r = d.get("refresh")
    return None if r is None else SessionRefresh(hash=r["hash"], expires_at=r["expires_at"], used=tuple(r["used"]))


class SessionStore:
    # How many used refresh tokens a session remembers: presented again, each ends the session.
    USED_KEPT = 8

    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["sessions"]
        self._by_id: BatchedLookup[str] = BatchedLookup(self._fetch)
        self._inserts = InsertBatch(self._col)  # the logins of a peak are written together

    async def open(self, session: LoginSession, refresh: SessionRefresh) -> None:
        """Open a session with its first refresh token (one insert)."""
        refused = await self._inserts.insert([{
            "_id": session.id, "subject": session.subject, "audience": session.audience,
            "created_at": session.created_at, "expires_at": session.expires_at,
            "last_seen_at": session.last_seen_at, "ended_at": None, "purge_at": session.purge_at,
            "refresh": _refresh_doc(refresh)}])
        if refused:  # a random 128-bit id met its twin
            raise RuntimeError("session id collision")

    async def by_id(self, session_id: str) -> LoginSession | None:
        """One session; reads asked for together (every request's token check) go as one query."""
        doc = await self._by_id.get(session_id)
        return None if doc is None else _session(doc)

    async def _fetch(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d async for d in find_in(self._col, "_id", ids, {"refresh": 0})}

    async def with_refresh(self, session_id: str) -> tuple[LoginSession, SessionRefresh | None] | None:
        """A session as it is now, with its refresh state (None: its tokens are kept on their own)."""
        doc = await self._col.find_one({"_id": session_id})
        return None if doc is None else (_session(doc), _refresh(doc))

    async def replace_refresh(self, session_id: str, was: str | None, now: dt.datetime,
                              new: SessionRefresh) -> bool:
        """Use the session's working refresh token (hash ``was``, unexpired) once: ``new`` works
        instead, and ``was`` is remembered as used. With ``was`` None, the session's first token
        kept in it (its earlier ones are kept on their own). False when the session has ended,
        or the token was used or had expired meanwhile."""
        query: dict[str, Any] = {"_id": session_id, "ended_at": None}
        if was is None:
            query["refresh"] = {"$exists": False}
            update: dict[str, Any] = {"$set": {"refresh": _refresh_doc(new)}}
        else:
            query.update({"refresh.hash": was, "refresh.expires_at": {"$gt": now}})
            update = {"$set": {"refresh.hash": new.hash, "refresh.expires_at": new.expires_at},
                      "$push": {"refresh.used": {"$each": [was], "$slice": -self.USED_KEPT}}}
        res = await self._col.update_one(query, update)
        return res.modified_count == 1

    async def end(self, session_id: str, reason: str, now: dt.datetime) -> bool:
        res = await self._col.update_one({"_id": session_id, "ended_at": None},
                                         {"$set": {"ended_at": now, "end_reason": reason}})
        return res.modified_count == 1

    async def end_all_of(self, subject: str, audience: str, reason: str, now: dt.datetime, *,
                         keep: str | None = None) -> list[str]:
        """End every open session of a person (but ``keep``); the ids of those ended."""
        query: dict[str, Any] = {"subject": subject, "audience": audience, "ended_at": None}
        if keep is not None:
            query["_id"] = {"$ne": keep}
        ids = [d["_id"] for d in await self._col.find(query, {"_id": 1}).to_list(None)]
        if ids:
            await self._col.update_many({"_id": {"$in": ids}, "ended_at": None},
                                        {"$set": {"ended_at": now, "end_reason": reason}})
        return ids

    async def open_of(self, subject: str, audience: str) -> list[LoginSession]:
        """A person's sessions not ended, newest first."""
        docs = await self._col.find({"subject": subject, "audience": audience, "ended_at": None}, {"refresh": 0}) \
            .sort("created_at", -1).to_list(100)
        return [_session(d) for d in docs]

    async def seen(self, session_id: str, now: dt.datetime) -> None:
        await self._col.update_one({"_id": session_id, "ended_at": None}, {"$max": {"last_seen_at": now}})


class SessionEndStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["session_ends"]

    async def record(self, kind: SessionEndKind, keys: list[str], at: dt.datetime) -> list[SessionEnd]:
        ends = [SessionEnd(id=ObjectId(), kind=kind, key=k, at=at) for k in keys]
        await self._col.insert_many([{"_id": e.id, "kind": e.kind, "key": e.key, "at": e.at} for e in ends])
        return ends

    async def since(self, at: dt.datetime, limit: int = 50_000) -> list[SessionEnd]:
        """The records from ``at`` on (a range on the ``at`` index)."""
        docs = await self._col.find({"at": {"$gte": at}}).limit(limit).to_list(None)
        return [SessionEnd(id=d["_id"], kind=d["kind"], key=d["key"], at=d["at"]) for d in docs]
