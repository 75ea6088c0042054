"""Every Mongo query of the payments domain, and its collections with indexes and validators."""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from backend.db.mongo import CollectionSpec, count_by
from payments import receipts

STATUSES = ("unpaid", "paid", "refunding", "refunded", "closed")
ATTEMPT_STATUSES = ("open", "paid", "late", "closing", "closed")
REFUND_STATUSES = ("pending", "processing", "success", "failed")
FEN = {"bsonType": ["int", "long"]}

COLLECTIONS = [
    CollectionSpec(
        "payments",
        indexes=(
            IndexModel([("payer_id", ASCENDING), ("_id", DESCENDING)]),
            IndexModel([("application_id", ASCENDING)]),
            IndexModel([("status", ASCENDING), ("expires_at", ASCENDING)]),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["application_id", "payer_id", "items", "amount_fen", "status", "refunded_fen",
                         "refunding_fen", "created_at"],
            "properties": {
                "status": {"enum": list(STATUSES)},
                "amount_fen": {**FEN, "minimum": 1},
                "refunded_fen": {**FEN, "minimum": 0},
                "refunding_fen": {**FEN, "minimum": 0},
                "items": {"bsonType": "array", "minItems": 1, "items": {
                    "bsonType": "object", "required": ["name", "amount_fen"],
                    "properties": {"name": {"bsonType": "string"}, "amount_fen": {**FEN, "minimum": 1}}}},
            },
        }},
        doc="Payment orders (缴款单): items in fen, payer, state unpaid/paid/refunding/refunded/closed.",
    ),
    CollectionSpec(
        "pay_attempts",
        indexes=(
            IndexModel([("out_trade_no", ASCENDING)], unique=True),
            # At most one open attempt per order and channel: two racing pay requests share it.
            IndexModel([("payment_id", ASCENDING), ("channel", ASCENDING)], unique=True, name="one_open_per_channel",
                       partialFilterExpression={"status": "open"}),
            IndexModel([("status", ASCENDING), ("next_query_at", ASCENDING)]),
            IndexModel([("channel", ASCENDING), ("provider_paid_at", ASCENDING)]),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["payment_id", "channel", "out_trade_no", "amount_fen", "status", "created_at"],
            "properties": {"status": {"enum": list(ATTEMPT_STATUSES)}, "channel": {"enum": ["wechat", "alipay"]},
                           "amount_fen": {**FEN, "minimum": 1}},
        }},
        doc="One pay attempt per order and channel (its out_trade_no), with what the provider said.",
    ),
    CollectionSpec(
        "refunds",
        indexes=(
            IndexModel([("out_refund_no", ASCENDING)], unique=True),
            IndexModel([("payment_id", ASCENDING), ("request_id", ASCENDING)], unique=True),
            IndexModel([("status", ASCENDING), ("next_try_at", ASCENDING)]),
            IndexModel([("channel", ASCENDING), ("succeeded_at", ASCENDING)]),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["payment_id", "request_id", "out_refund_no", "out_trade_no", "channel", "amount_fen",
                         "status", "kind", "created_at"],
            "properties": {"status": {"enum": list(REFUND_STATUSES)}, "kind": {"enum": ["staff", "late_payment"]},
                           "amount_fen": {**FEN, "minimum": 1}},
        }},
        doc="Refunds: by finance staff (idempotent per request_id) or automatic for late payments.",
    ),
    CollectionSpec("reconciliations", doc="Daily reconciliation reports, one per channel and date."),
    *receipts.COLLECTIONS,
]


def oid(value: str | None) -> ObjectId | None:
    try:
        return ObjectId(value) if value else None
    except (InvalidId, TypeError):
        return None


class PaymentStore:
    def __init__(self, db: AsyncDatabase):
        self.db = db
        self.payments = db["payments"]
        self.attempts = db["pay_attempts"]
        self.refunds = db["refunds"]
        self.receipts = db["receipts"]
        self.reports = db["reconciliations"]
        self.users = db["users"]

    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self.payments, "status")

    # payments --------------------------------------------------------------------------------------

    async def insert_payment(self, doc: dict[str, Any], session: Any = None) -> None:
        await self.payments.insert_one(doc, session=session)

    async def payment(self, payment_id: Any, session: Any = None) -> dict[str, Any] | None:
        _id = payment_id if isinstance(payment_id, ObjectId) else oid(payment_id)
        return await self.payments.find_one({"_id": _id}, session=session) if _id else None

    async def transition(self, payment_id: ObjectId, frm: str | tuple[str, ...], changes: dict[str, Any],
                         inc: dict[str, int] | None = None, session: Any = None,
                         extra_filter: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The guarded state change: applies only while the order is still in ``frm``."""
        q: dict[str, Any] = {"_id": payment_id, "status": frm if isinstance(frm, str) else {"$in": list(frm)}}
        q.update(extra_filter or {})
        update: dict[str, Any] = {"$set": changes, "$inc": {"version": 1, **(inc or {})}}
        return await self.payments.find_one_and_update(q, update, return_document=ReturnDocument.AFTER,
                                                       session=session)

    async def set_fields(self, payment_id: ObjectId, q: dict[str, Any], changes: dict[str, Any],
                         session: Any = None) -> bool:
        res = await self.payments.update_one({"_id": payment_id, **q}, {"$set": changes}, session=session)
        return res.modified_count == 1

    async def next_attempt_seq(self, payment_id: ObjectId) -> int | None:
        doc = await self.payments.find_one_and_update({"_id": payment_id, "status": "unpaid"},
                                                      {"$inc": {"attempt_seq": 1}},
                                                      return_document=ReturnDocument.AFTER)
        return int(doc["attempt_seq"]) if doc else None

    async def list_payments(self, q: dict[str, Any], before: str | None, limit: int) -> tuple[list[dict], str | None]:
        q = dict(q)
        if before and oid(before):
            q["_id"] = {"$lt": oid(before)}
        docs = await self.payments.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        cursor = str(docs[limit - 1]["_id"]) if len(docs) > limit else None
        return docs[:limit], cursor

    async def due_to_expire(self, now: dt.datetime, limit: int = 50) -> list[dict[str, Any]]:
        return await self.payments.find({"status": "unpaid", "expires_at": {"$lte": now}}).limit(limit).to_list(limit)

    # attempts --------------------------------------------------------------------------------------

    async def attempt_by_otn(self, out_trade_no: str, session: Any = None) -> dict[str, Any] | None:
        return await self.attempts.find_one({"out_trade_no": out_trade_no}, session=session)

    async def open_attempt(self, payment_id: ObjectId, channel: str) -> dict[str, Any] | None:
        return await self.attempts.find_one({"payment_id": payment_id, "channel": channel, "status": "open"})

    async def attempts_of(self, payment_id: ObjectId, statuses: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        q: dict[str, Any] = {"payment_id": payment_id}
        if statuses:
            q["status"] = {"$in": list(statuses)}
        return await self.attempts.find(q).sort("created_at", ASCENDING).to_list(100)

    async def insert_attempt(self, doc: dict[str, Any]) -> None:
        await self.attempts.insert_one(doc)

    async def update_attempt(self, q: dict[str, Any], changes: dict[str, Any], session: Any = None,
                             inc: dict[str, int] | None = None) -> bool:
        update: dict[str, Any] = {"$set": changes}
        if inc:
            update["$inc"] = inc
        res = await self.attempts.update_one(q, update, session=session)
        return res.modified_count == 1

    async def close_open_attempts(self, payment_id: ObjectId, status: str, now: dt.datetime, session: Any = None,
                                  except_id: ObjectId | None = None) -> None:
        q: dict[str, Any] = {"payment_id": payment_id, "status": "open"}
        if except_id is not None:
            q["_id"] = {"$ne": except_id}
        await self.attempts.update_many(q, {"$set": {"status": status, "closed_at": now}}, session=session)

    async def claim_due_attempts(self, statuses: tuple[str, ...], now: dt.datetime, next_at: Any,
                                 limit: int = 50) -> list[dict[str, Any]]:
        """Attempts due for a query, each claimed by moving its next query forward (safe in several
        processes: only the one whose conditional update matched works on it)."""
        out = []
        for a in await self.attempts.find({"status": {"$in": list(statuses)}, "next_query_at": {"$lte": now}}) \
                .sort("next_query_at", ASCENDING).limit(limit).to_list(limit):
            claimed = await self.attempts.find_one_and_update(
                {"_id": a["_id"], "next_query_at": a["next_query_at"]},
                {"$set": {"next_query_at": next_at(a)}, "$inc": {"query_count": 1}},
                return_document=ReturnDocument.AFTER)
            if claimed:
                out.append(claimed)
        return out

    # refunds ---------------------------------------------------------------------------------------

    async def refund_by_request(self, payment_id: ObjectId, request_id: str) -> dict[str, Any] | None:
        return await self.refunds.find_one({"payment_id": payment_id, "request_id": request_id})

    async def refund_by_orn(self, out_refund_no: str) -> dict[str, Any] | None:
        return await self.refunds.find_one({"out_refund_no": out_refund_no})

    async def refund(self, refund_id: ObjectId) -> dict[str, Any] | None:
        return await self.refunds.find_one({"_id": refund_id})

    async def refunds_of(self, payment_id: ObjectId) -> list[dict[str, Any]]:
        return await self.refunds.find({"payment_id": payment_id}).sort("created_at", ASCENDING).to_list(200)

    async def insert_refund(self, doc: dict[str, Any], session: Any = None) -> None:
        await self.refunds.insert_one(doc, session=session)

    async def update_refund(self, q: dict[str, Any], changes: dict[str, Any], session: Any = None) -> bool:
        res = await self.refunds.update_one(q, {"$set": changes}, session=session)
        return res.modified_count == 1

    async def claim_due_refunds(self, now: dt.datetime, retry_after: dt.timedelta, limit: int = 50) -> list[dict]:
        out = []
        for r in await self.refunds.find({"status": {"$in": ["pending", "processing"]},
                                          "next_try_at": {"$lte": now}}).limit(limit).to_list(limit):
            claimed = await self.refunds.find_one_and_update(
                {"_id": r["_id"], "next_try_at": r["next_try_at"]},
                {"$set": {"next_try_at": now + retry_after}, "$inc": {"tries": 1}},
                return_document=ReturnDocument.AFTER)
            if claimed:
                out.append(claimed)
        return out

    # receipts --------------------------------------------------------------------------------------

    async def receipt(self, receipt_id: Any) -> dict[str, Any] | None:
        _id = receipt_id if isinstance(receipt_id, ObjectId) else oid(receipt_id)
        return await self.receipts.find_one({"_id": _id}) if _id else None

    async def receipt_by_number(self, code: str | None, number: str) -> dict[str, Any] | None:
        q: dict[str, Any] = {"number": number}
        if code:
            q["code"] = code
        return await self.receipts.find_one(q)

    async def receipts_of(self, payer_id: str, before: str | None, limit: int) -> tuple[list[dict], str | None]:
        q: dict[str, Any] = {"payer_id": payer_id}
        if before and oid(before):
            q["_id"] = {"$lt": oid(before)}
        docs = await self.receipts.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        cursor = str(docs[limit - 1]["_id"]) if len(docs) > limit else None
        return docs[:limit], cursor

    async def insert_receipt(self, doc: dict[str, Any], session: Any = None) -> None:
        await self.receipts.insert_one(doc, session=session)

    # people ------------------------------------------------------------------------------------------

    async def payer_masked_name(self, user_id: str, session: Any = None) -> str | None:
        _id = oid(user_id)
        user = await self.users.find_one({"_id": _id}, {"realname.name_masked": 1}, session=session) if _id else None
        return ((user or {}).get("realname") or {}).get("name_masked")

    async def payer_openid(self, user_id: str) -> str | None:
        _id = oid(user_id)
        user = await self.users.find_one({"_id": _id}, {"openid": 1}) if _id else None
        return (user or {}).get("openid")
