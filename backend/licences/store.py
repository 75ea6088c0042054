"""Every query of e-licences: the licences residents hold (issued here or copied from the e-licence
library), the number sequence, and the record of each fetch from the library."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.ids import object_id as oid
from backend.db.mongo import CollectionSpec, count_by, names_by_id
from backend.licences.values import Licence, LicenceFetch, LicenceSource, LicenceStatus, Signed

COLLECTIONS = [
    CollectionSpec(
        "licences",
        indexes=(
            IndexModel([("number", ASCENDING)], unique=True),
            IndexModel([("holder_id", ASCENDING), ("_id", DESCENDING)]),
            # One licence per case that issues one; one copy per library licence per holder.
            IndexModel([("application_id", ASCENDING)], unique=True, name="one_per_case",
                       partialFilterExpression={"application_id": {"$type": "string"}}),
            IndexModel([("holder_id", ASCENDING), ("library_ref", ASCENDING)], unique=True, name="one_copy_per_holder",
                       partialFilterExpression={"library_ref": {"$type": "string"}}),
            # The register of licences issued here, newest first, by status; found by the case's serial.
            IndexModel([("source", ASCENDING), ("status", ASCENDING), ("_id", DESCENDING)], name="register"),
            IndexModel([("content.application_serial", ASCENDING)], name="case_serial", sparse=True),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["holder_id", "type", "number", "status", "source", "content", "signature", "check_code"],
            "properties": {"status": {"enum": ["valid", "revoked"]}, "source": {"enum": ["issued", "library"]}},
        }},
        doc="E-licences (电子证照) residents hold: signed content, status; issued here or copied from the library.",
    ),
    CollectionSpec("licence_counters", doc="Number sequence of the licences issued here, per type and year."),
    CollectionSpec("licence_fetches",
                   indexes=(IndexModel([("user_id", ASCENDING), ("at", DESCENDING)]),),
                   doc="Each query of the e-licence library: for whom, when, why, and what came back."),
]



def _from_doc(d: dict[str, Any]) -> Licence:
    content: dict[str, Any] = d["content"]
    return Licence(
        id=d["_id"], holder_id=str(d["holder_id"]), type=d["type"], number=d["number"],
        status=LicenceStatus(d["status"]), source=LicenceSource(d["source"]),
        signed=Signed(content=content, signature=d["signature"], key_id=d.get("key_id") or content.get("key_id") or "",
                      signed_at=d.get("signed_at") or d.get("created_at")),
        check_code=d["check_code"], legacy_check_code=d.get("legacy_check_code"),
        issued_at=d["issued_at"], expires_at=d.get("expires_at"), created_at=d.get("created_at"),
        application_id=d.get("application_id"), service_id=d.get("service_id"), library_ref=d.get("library_ref"),
        used_in=tuple(d.get("used_in") or ()), revoked_at=d.get("revoked_at"), revoke_reason=d.get("revoke_reason"),
        revoked_by=d.get("revoked_by"))


def _signed_doc(s: Signed) -> dict[str, Any]:
    return {"content": s.content, "signature": s.signature, "key_id": s.key_id, "signed_at": s.signed_at}


def _to_doc(lic: Licence) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": lic.id, "holder_id": lic.holder_id, "type": lic.type, "number": lic.number,
                           "status": str(lic.status), "source": str(lic.source), "check_code": lic.check_code}
    if lic.library_ref is not None:
        doc["library_ref"] = lic.library_ref
    if lic.application_id is not None:
        doc.update(application_id=lic.application_id, service_id=lic.service_id)
    doc.update(issued_at=lic.issued_at, expires_at=lic.expires_at, created_at=lic.created_at,
               **_signed_doc(lic.signed))
    return doc


def _fetch_from_doc(d: dict[str, Any]) -> LicenceFetch:
    return LicenceFetch(user_id=d["user_id"], at=d["at"], purpose=d["purpose"], purpose_text=d["purpose_text"],
                        service_id=d.get("service_id"), service_name=d.get("service_name"),
                        request_id=d.get("request_id") or "", outcome=d["outcome"], count=int(d.get("count", 0)))


class LicenceStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._col = db["licences"]
        self._counters = db["licence_counters"]
        self._fetches = db["licence_fetches"]

    async def licence_names(self, ids: list[str]) -> dict[str, str]:
        """Licences by their number (the audit log's names for them)."""
        return await names_by_id(self._col, ids, ["number"], lambda d: str(d.get("number") or ""))

    async def get(self, licence_id: str) -> Licence | None:
        o = oid(licence_id)
        doc = None if o is None else await self._col.find_one({"_id": o})
        return _from_doc(doc) if doc else None

    async def issued_for_case(self, application_id: str) -> Licence | None:
        """The licence a case issued (one per case, by its unique index)."""
        doc = await self._col.find_one({"application_id": application_id})
        return _from_doc(doc) if doc else None

    async def many(self, licence_ids: list[str]) -> list[Licence]:
        oids = [o for o in (oid(i) for i in licence_ids) if o is not None]
        return [_from_doc(d) for d in await self._col.find({"_id": {"$in": oids}}).to_list(None)] if oids else []

    async def by_number(self, number: str) -> Licence | None:
        doc = await self._col.find_one({"number": number})
        return _from_doc(doc) if doc else None

    async def by_case(self, application_id: str, session: Any = None) -> Licence | None:
        doc = await self._col.find_one({"application_id": application_id}, session=session)
        return _from_doc(doc) if doc else None

    async def held_by(self, holder_id: str, *, before: ObjectId | None, limit: int) -> list[Licence]:
        filt: dict[str, Any] = {"holder_id": holder_id}
        if before is not None:
            filt["_id"] = {"$lt": before}
        return [_from_doc(d) for d in await self._col.find(filt).sort("_id", DESCENDING).limit(limit).to_list(limit)]

    async def issued_page(self, *, status: str | None, found_by: str | None, now: dt.datetime,
                          before: ObjectId | None, limit: int) -> list[Licence]:
        """The licences issued here, newest first: with ``status`` (``valid``, ``expired`` past their
        validity, ``revoked``), and ``found_by`` their number or their case's serial."""
        filt: dict[str, Any] = {"source": str(LicenceSource.ISSUED)}
        if status == "revoked":
            filt["status"] = str(LicenceStatus.REVOKED)
        elif status == "expired":
            filt.update(status=str(LicenceStatus.VALID), expires_at={"$lte": now})
        elif status == "valid":
            filt.update(status=str(LicenceStatus.VALID), expires_at={"$not": {"$lte": now}})
        if found_by is not None:
            filt["$or"] = [{"number": found_by}, {"content.application_serial": found_by}]
        if before is not None:
            filt["_id"] = {"$lt": before}
        return [_from_doc(d) for d in await self._col.find(filt).sort("_id", DESCENDING).limit(limit).to_list(limit)]

    async def library_copies(self, holder_id: str) -> dict[str, Licence]:
        """The holder's copies from the library, by the library's reference."""
        docs = await self._col.find({"holder_id": holder_id, "source": "library"}).to_list(None)
        return {d["library_ref"]: _from_doc(d) for d in docs}

    async def next_number(self, key: str, session: Any) -> int:
        """The next number of a sequence, inside the caller's transaction (gap-free)."""
        await self._counters.update_one({"_id": key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": key}, session=session)
        if doc is None:  # pragma: no cover - upserted just above, in the same transaction
            raise LookupError(key)
        return int(doc["seq"])

    async def add(self, licence: Licence, session: Any = None) -> None:
        """A new licence (DuplicateKeyError: its case or library copy has one already)."""
        await self._col.insert_one(_to_doc(licence), session=session)

    async def refresh_copy(self, before: Licence, after: Licence) -> bool:
        """A library copy as the library now shows it (re-signed content and dates, a new status),
        if nobody changed it since ``before`` was read."""
        fields: dict[str, Any] = {}
        if after.signed != before.signed:
            fields.update(issued_at=after.issued_at, expires_at=after.expires_at, **_signed_doc(after.signed))
        if after.status is not before.status:
            fields["status"] = str(after.status)
            if after.revoked_at != before.revoked_at:
                fields.update(revoked_at=after.revoked_at, revoke_reason=after.revoke_reason)
        if not fields:
            return False
        res = await self._col.update_one({"_id": before.id, "signature": before.signed.signature}, {"$set": fields})
        return res.modified_count == 1

    async def with_legacy_check_codes(self, limit: int) -> list[tuple[ObjectId, str]]:
        """Licences still carrying a 6-hex check code and no 50-bit one: (id, that code)."""
        legacy = {"check_code": {"$regex": "^[0-9A-F]{6}$"}, "legacy_check_code": {"$exists": False}}
        docs = await self._col.find(legacy, {"check_code": 1}).limit(limit).to_list(limit)
        return [(d["_id"], d["check_code"]) for d in docs]

    async def strengthen_check_code(self, licence_id: ObjectId, legacy: str, code: str) -> bool:
        """Give a licence its 50-bit check code, keeping the 6-hex one it had as its legacy code; only
        if it still has that code (a second run, or another process, changes nothing)."""
        res = await self._col.update_one({"_id": licence_id, "check_code": legacy,
                                          "legacy_check_code": {"$exists": False}},
                                         {"$set": {"check_code": code, "legacy_check_code": legacy}})
        return res.modified_count == 1

    async def revoke(self, licence_id: ObjectId, now: dt.datetime, reason: str, by: str) -> bool:
        res = await self._col.update_one({"_id": licence_id, "status": "valid"},
                                         {"$set": {"status": "revoked", "revoked_at": now, "revoke_reason": reason,
                                                   "revoked_by": by}})
        return res.modified_count == 1

    async def note_use(self, licence_ids: list[ObjectId], holder_id: str, application_id: str,
                       session: Any = None) -> int:
        """Record that these licences were presented for a case (用证记录)."""
        res = await self._col.update_many({"_id": {"$in": licence_ids}, "holder_id": holder_id},
                                          {"$addToSet": {"used_in": application_id}}, session=session)
        return res.matched_count

    async def record_fetch(self, entry: LicenceFetch) -> None:
        await self._fetches.insert_one({"user_id": entry.user_id, "at": entry.at, "purpose": entry.purpose,
                                        "purpose_text": entry.purpose_text, "service_id": entry.service_id,
                                        "service_name": entry.service_name, "request_id": entry.request_id,
                                        "outcome": entry.outcome, "count": entry.count})

    async def fetches_of(self, user_id: str, limit: int = 50) -> list[LicenceFetch]:
        docs = await self._fetches.find({"user_id": user_id}).sort("at", DESCENDING).limit(limit).to_list(limit)
        return [_fetch_from_doc(d) for d in docs]

    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self._col, "status")
