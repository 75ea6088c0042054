"""Every query of the payments domain, and its collections with indexes and validators.

Each method does one thing the service needs, named for it. State changes are conditional
updates on the previous state; none uses ``findAndModify`` (the embedded database scans the whole
collection for it): a conditional ``update_one`` tells whether it applied, and inside a
transaction a read after it sees the new document.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, Awaitable, Callable, TypeVar

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.core.ids import object_id as oid
from backend.db.mongo import CollectionSpec, count_by, in_transaction, names_by_id
from payments.store_documents import (
    attempt_from_doc,
    attempt_to_doc,
    findings_to_doc,
    payment_from_doc,
    payment_to_doc,
    receipt_from_doc,
    refund_from_doc,
    refund_to_doc,
    report_from_doc,
    unit_from_doc,
    unit_to_doc,
)
from payments.store_numbering import NumberingQueries
from payments.store_personal import PersonalQueries
from payments.store_worklist import WorklistQueries
from payments.values import (
    Acknowledgement,
    Attempt,
    AttemptStatus,
    FeeHolder,
    Findings,
    Paid,
    PayeeUnit,
    Payment,
    PaymentStatus,
    Receipt,
    ReceiptKind,
    ReconciliationReport,
    Refund,
    RefundKind,
    RefundNotice,
    RefundStatus,
    ReportState,
)

T = TypeVar("T")

FEN = {"bsonType": ["int", "long"]}

COLLECTIONS = [
    CollectionSpec(
        "payments",
        indexes=(
            IndexModel([("payer_id", ASCENDING), ("_id", DESCENDING)]),
            IndexModel([("application_id", ASCENDING)]),
            # a bundle's order lists each of its cases on its items: a case's orders include it
            IndexModel([("items.application_id", ASCENDING)], name="item_case"),
            IndexModel([("status", ASCENDING), ("expires_at", ASCENDING)]),
            IndexModel([("receipt_pending", ASCENDING), ("receipt_issued_at", ASCENDING)], name="receipt_pending",
                       partialFilterExpression={"receipt_pending": True}),
            # One open order per case and set of items: the key is set while the order is unpaid, paid
            # or refunding, and removed when it is closed or fully refunded.
            IndexModel([("open_key", ASCENDING)], unique=True, name="one_open_order_per_items",
                       partialFilterExpression={"open_key": {"$type": "string"}}),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["application_id", "payer_id", "items", "amount_fen", "status", "refunded_fen",
                         "refunding_fen", "created_at"],
            "properties": {
                "status": {"enum": [str(x) for x in PaymentStatus]},
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
            IndexModel([("payment_id", ASCENDING), ("created_at", ASCENDING)]),
            IndexModel([("status", ASCENDING), ("next_query_at", ASCENDING)]),
            IndexModel([("channel", ASCENDING), ("provider_paid_at", ASCENDING)]),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["payment_id", "channel", "out_trade_no", "amount_fen", "status", "created_at"],
            "properties": {"status": {"enum": [str(x) for x in AttemptStatus]},
                           "channel": {"enum": ["wechat", "alipay"]},
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
            IndexModel([("red_receipt_pending", ASCENDING), ("red_receipt_issued_at", ASCENDING)],
                       name="red_receipt_pending", partialFilterExpression={"red_receipt_pending": True}),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["payment_id", "request_id", "out_refund_no", "out_trade_no", "channel", "amount_fen",
                         "status", "kind", "created_at"],
            "properties": {"status": {"enum": [str(x) for x in RefundStatus]},
                           "kind": {"enum": [str(x) for x in RefundKind]},
                           "amount_fen": {**FEN, "minimum": 1}},
        }},
        doc="Refunds: by finance staff (idempotent per request_id) or automatic for late payments.",
    ),
    CollectionSpec(
        "receipts",
        indexes=(
            IndexModel([("payment_id", ASCENDING)], unique=True, name="one_receipt_per_payment"),
            IndexModel([("code", ASCENDING), ("number", ASCENDING)], unique=True, name="code_number"),
            IndexModel([("payer_id", ASCENDING), ("_id", DESCENDING)]),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["payment_id", "code", "number", "year", "check_code", "amount_fen", "content", "signature"],
            "properties": {"amount_fen": {**FEN, "minimum": 1},
                           "number": {"bsonType": "string"}, "code": {"bsonType": "string"}},
        }},
        doc="Issued e-receipts (财政电子票据), one per payment, signed.",
    ),
    CollectionSpec(
        "red_receipts",
        indexes=(
            IndexModel([("refund_id", ASCENDING)], unique=True, name="one_red_receipt_per_refund"),
            IndexModel([("code", ASCENDING), ("number", ASCENDING)], unique=True, name="code_number"),
            IndexModel([("original_receipt_id", ASCENDING)]),
            IndexModel([("payer_id", ASCENDING), ("_id", DESCENDING)]),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["refund_id", "payment_id", "original_receipt_id", "code", "number", "year", "check_code",
                         "amount_fen", "content", "signature"],
            "properties": {"amount_fen": {**FEN, "minimum": 1},
                           "number": {"bsonType": "string"}, "code": {"bsonType": "string"}},
        }},
        doc="Red-letter receipts (红字票据): one per successful refund of a receipted payment, signed.",
    ),
    CollectionSpec("receipt_counters",
                   doc="Gap-free receipt number sequence per receipt code and year (restarting at 1 each year), "
                       "shared by receipts and red-letter receipts."),
    CollectionSpec(
        "reconciliations",
        indexes=(
            IndexModel([("date", DESCENDING)]),
            IndexModel([("alert", ASCENDING), ("date", DESCENDING)], name="open_alerts",
                       partialFilterExpression={"alert": True}),
        ),
        doc="Daily reconciliation reports, one per channel and date, with the job's state and alerts.",
    ),
    CollectionSpec("payee_units",
                   indexes=(IndexModel([("unit_code", ASCENDING)], name="unit_code"),),
                   doc="Payee units (收款单位) by department code, with their non-tax revenue item codes "
                       "(非税收入项目编码), for clearing (清分)."),
    CollectionSpec(
        "open_fees",
        indexes=(IndexModel([("payment_id", ASCENDING)]),),
        doc="One document per open or paid fee of a case (_id = case id and item code): written with the "
            "order that charges it, whichever way it was raised, removed when that order is closed or "
            "fully refunded; the second order for the same fee is refused by the database.",
    ),
]


def _page(docs: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    cursor = str(docs[limit - 1]["_id"]) if len(docs) > limit else None
    return docs[:limit], cursor


class PaymentStore(PersonalQueries, WorklistQueries, NumberingQueries):
    def __init__(self, db: AsyncDatabase[dict[str, Any]], client: AsyncMongoClient[dict[str, Any]]):
        self._client = client
        self._payments = db["payments"]
        self._attempts = db["pay_attempts"]
        self._refunds = db["refunds"]
        self._receipts = db["receipts"]
        self._red = db["red_receipts"]
        self._counters = db["receipt_counters"]
        self._reports = db["reconciliations"]
        self._units = db["payee_units"]
        self._fees = db["open_fees"]

    async def payment_names(self, ids: list[str]) -> dict[str, str]:
        """Payment orders by their case's serial (the audit log's names for them)."""
        return await names_by_id(self._payments, ids, ["serial"], lambda d: f"{d.get('serial') or ''} 缴款单")

    async def transaction(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``fn(session)`` in one transaction (retried on write conflicts)."""
        result: T = await in_transaction(self._client, fn)
        return result

    # payments --------------------------------------------------------------------------------------

    async def insert_payment(self, payment: Payment, *, raised_via: str, session: Any) -> None:
        """A new order with its open-fee keys (inside its transaction); DuplicateKeyError when the
        order exists already or another order holds one of its fees."""
        await self._payments.insert_one(payment_to_doc(payment), session=session)
        for i in payment.items:  # one by one: a taken key is a DuplicateKeyError, not a bulk error
            await self._fees.insert_one({"_id": i.fee_key, "payment_id": payment.id,
                                         "application_id": i.application_id, "item_code": i.item_code,
                                         "item_name": i.name, "raised_via": raised_via,
                                         "created_at": payment.created_at}, session=session)

    async def payment(self, payment_id: Any, session: Any = None) -> Payment | None:
        _id = oid(payment_id)
        doc = await self._payments.find_one({"_id": _id}, session=session) if _id else None
        return payment_from_doc(doc) if doc else None

    async def _transition(self, payment_id: ObjectId, frm: PaymentStatus, changes: dict[str, Any], *,
                          session: Any, inc: dict[str, int] | None = None, extra_filter: dict[str, Any] | None = None,
                          unset: tuple[str, ...] = ()) -> Payment | None:
        """The guarded state change: applies only while the order is still in ``frm``. Inside the
        caller's transaction; answers the order as changed, or None when it was not in ``frm``."""
        q: dict[str, Any] = {"_id": payment_id, "status": str(frm), **(extra_filter or {})}
        update: dict[str, Any] = {"$set": changes, "$inc": {"version": 1, **(inc or {})}}
        if unset:
            update["$unset"] = {k: "" for k in unset}
        res = await self._payments.update_one(q, update, session=session)
        if res.modified_count != 1:
            return None
        return await self.payment(payment_id, session=session)

    async def mark_paid(self, payment_id: ObjectId, *, channel: str, out_trade_no: str, transaction_id: str,
                        paid_at: dt.datetime, receipt_id: ObjectId, now: dt.datetime, session: Any) -> Payment | None:
        """``unpaid`` → ``paid``, with its receipt decided (numbered right after, issuing.py)."""
        return await self._transition(payment_id, PaymentStatus.UNPAID, {
            "status": str(PaymentStatus.PAID), "paid_at": paid_at, "paid_channel": channel,
            "paid_out_trade_no": out_trade_no, "transaction_id": transaction_id, "updated_at": now,
            "receipt_id": receipt_id, "receipt_issued_at": now, "receipt_pending": True}, session=session)

    async def mark_closed(self, payment_id: ObjectId, *, reason: str, now: dt.datetime, session: Any) -> bool:
        """``unpaid`` → ``closed``; its fees may be charged again."""
        closed = await self._transition(payment_id, PaymentStatus.UNPAID, {
            "status": str(PaymentStatus.CLOSED), "closed_at": now, "close_reason": reason, "updated_at": now},
            session=session, unset=("open_key",))
        if closed is None:
            return False
        await self._fees.delete_many({"payment_id": payment_id}, session=session)
        return True

    async def start_refunding(self, payment_id: ObjectId, amount_fen: int, *, refunded_fen_seen: int,
                              now: dt.datetime, session: Any) -> bool:
        """``paid`` → ``refunding`` for ``amount_fen``, while nothing else was refunded meanwhile."""
        moved = await self._transition(payment_id, PaymentStatus.PAID,
                                       {"status": str(PaymentStatus.REFUNDING), "updated_at": now},
                                       inc={"refunding_fen": amount_fen}, session=session,
                                       extra_filter={"refunded_fen": refunded_fen_seen})
        return moved is not None

    async def record_refund_success(self, payment_id: ObjectId, amount_fen: int, *, now: dt.datetime,
                                    session: Any) -> Payment | None:
        """A refund of a ``refunding`` order succeeded: back to ``paid``, or ``refunded`` when all
        of it is (then the same items may be charged again). Answers the order as it is now."""
        p = await self._transition(payment_id, PaymentStatus.REFUNDING, {"updated_at": now},
                                   inc={"refunded_fen": amount_fen, "refunding_fen": -amount_fen}, session=session)
        if p is None:
            return None
        status = PaymentStatus.REFUNDED if p.refunded_fen >= p.amount_fen else PaymentStatus.PAID
        update: dict[str, Any] = {"$set": {"status": str(status)}}
        if status is PaymentStatus.REFUNDED:
            update["$unset"] = {"open_key": ""}
            await self._fees.delete_many({"payment_id": payment_id}, session=session)
        await self._payments.update_one({"_id": payment_id, "status": str(PaymentStatus.REFUNDING)}, update,
                                        session=session)
        return replace(p, status=status)

    async def record_refund_failure(self, payment_id: ObjectId, amount_fen: int, *, now: dt.datetime,
                                    session: Any) -> None:
        """A refund of a ``refunding`` order failed: back to ``paid``."""
        await self._transition(payment_id, PaymentStatus.REFUNDING,
                               {"status": str(PaymentStatus.PAID), "updated_at": now},
                               inc={"refunding_fen": -amount_fen}, session=session)

    async def fee_holders(self, keys: list[str]) -> list[FeeHolder]:
        """The orders holding any of these open-fee keys, with the fee each holds."""
        if not keys:
            return []
        return [FeeHolder(payment_id=d["payment_id"], application_id=d["application_id"], item_code=d["item_code"],
                          item_name=d["item_name"], raised_via=d.get("raised_via"))
                for d in await self._fees.find({"_id": {"$in": keys}}).to_list(None)]

    async def orders_of_case(self, application_id: str, limit: int = 100) -> list[Payment]:
        """A case's orders, its own and those of its bundle (which list it on their items), newest first."""
        own = await self._payments.find({"application_id": application_id}).limit(limit).to_list(limit)
        via = await self._payments.find({"items.application_id": application_id}).limit(limit).to_list(limit)
        merged = {d["_id"]: d for d in own + via}
        return [payment_from_doc(d) for d in sorted(merged.values(), key=lambda d: d["_id"], reverse=True)[:limit]]

    async def payments_by_ids(self, ids: list[ObjectId]) -> dict[ObjectId, Payment]:
        if not ids:
            return {}
        docs = await self._payments.find({"_id": {"$in": list(set(ids))}}).to_list(None)
        return {d["_id"]: payment_from_doc(d) for d in docs}

    async def start_expiry(self, payment_id: ObjectId, expires_at: dt.datetime) -> None:
        """The first pay attempt starts the order's expiry (later ones keep it)."""
        await self._payments.update_one({"_id": payment_id, "status": "unpaid", "expires_at": None},
                                        {"$set": {"expires_at": expires_at}})

    async def note_attempt(self, payment_id: ObjectId, out_trade_no: str) -> None:
        await self._payments.update_one({"_id": payment_id}, {"$set": {"last_out_trade_no": out_trade_no}})

    async def next_attempt_seq(self, payment_id: ObjectId) -> int | None:
        """The next attempt number of an unpaid order, taken by a conditional increment of the
        number last seen (a racing request makes it read again). None once it is not unpaid."""
        for _ in range(10):
            p = await self._payments.find_one({"_id": payment_id}, {"status": 1, "attempt_seq": 1})
            if p is None or p["status"] != "unpaid":
                return None
            seen = int(p.get("attempt_seq", 0))
            res = await self._payments.update_one({"_id": payment_id, "status": "unpaid", "attempt_seq": seen},
                                                  {"$inc": {"attempt_seq": 1}})
            if res.modified_count == 1:
                return seen + 1
        return None

    async def payments_page(self, *, payer_id: str | None = None, payer_ids: list[str] | None = None,
                            status: str | None = None, before: str | None = None, limit: int = 20,
                            oldest: bool = False) -> tuple[list[Payment], str | None]:
        """Orders newest (or ``oldest``) first, of one payer, several (a search) or one status; that clause
        rides its index, the cursor's range is checked on what it reads."""
        q: dict[str, Any] = {}
        if payer_id is not None:
            q["payer_id"] = payer_id
        elif payer_ids is not None:
            q["payer_id"] = {"$in": sorted(set(payer_ids))}
        if status:
            q["status"] = status
        if oid(before):
            q["_id"] = {"$gt" if oldest else "$lt": oid(before)}
        docs = await self._payments.find(q).sort("_id", ASCENDING if oldest else DESCENDING) \
            .limit(limit + 1).to_list(limit + 1)
        page, cursor = _page(docs, limit)
        return [payment_from_doc(d) for d in page], cursor

    async def due_to_expire(self, now: dt.datetime, limit: int = 50) -> list[Payment]:
        docs = await self._payments.find({"status": "unpaid", "expires_at": {"$lte": now}}).limit(limit).to_list(limit)
        return [payment_from_doc(d) for d in docs]

    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self._payments, "status")

    # attempts --------------------------------------------------------------------------------------

    async def attempt_by_otn(self, out_trade_no: str) -> Attempt | None:
        doc = await self._attempts.find_one({"out_trade_no": out_trade_no})
        return attempt_from_doc(doc) if doc else None

    async def open_attempt(self, payment_id: ObjectId, channel: str) -> Attempt | None:
        doc = await self._attempts.find_one({"payment_id": payment_id, "channel": channel, "status": "open"})
        return attempt_from_doc(doc) if doc else None

    async def attempts_of(self, payment_id: ObjectId, *, open_only: bool = False) -> list[Attempt]:
        q: dict[str, Any] = {"payment_id": payment_id}
        if open_only:
            q["status"] = str(AttemptStatus.OPEN)
        docs = await self._attempts.find(q).sort("created_at", ASCENDING).to_list(100)
        return [attempt_from_doc(d) for d in docs]

    async def insert_attempt(self, attempt: Attempt) -> None:
        """DuplicateKeyError when the order already has an open attempt on the channel."""
        await self._attempts.insert_one(attempt_to_doc(attempt))

    async def set_attempt_provider_ref(self, attempt_id: ObjectId, provider_ref: str) -> None:
        await self._attempts.update_one({"_id": attempt_id}, {"$set": {"provider_ref": provider_ref}})

    async def mark_attempt_paid(self, attempt_id: ObjectId, paid: Paid, *, session: Any) -> bool:
        """Claims the attempt for one transaction id: only the first statement of payment applies."""
        res = await self._attempts.update_one(
            {"_id": attempt_id, "transaction_id": None},
            {"$set": {"status": str(AttemptStatus.PAID), "transaction_id": paid.transaction_id,
                      "provider_paid_at": paid.provider_paid_at, "paid_seen_at": paid.paid_seen_at,
                      "paid_via": paid.paid_via, "notice_id": paid.notice_id}}, session=session)
        return res.modified_count == 1

    async def mark_attempt_late(self, attempt_id: ObjectId, *, session: Any) -> None:
        await self._attempts.update_one({"_id": attempt_id}, {"$set": {"status": str(AttemptStatus.LATE)}},
                                        session=session)

    async def mark_attempt_closed(self, attempt_id: ObjectId, now: dt.datetime) -> None:
        await self._attempts.update_one({"_id": attempt_id, "status": {"$in": ["open", "closing"]}},
                                        {"$set": {"status": "closed", "closed_at": now}})

    async def close_open_attempts(self, payment_id: ObjectId, now: dt.datetime, *, session: Any,
                                  except_id: ObjectId | None = None) -> None:
        """The order's other open attempts are to be closed at the provider (``closing``)."""
        q: dict[str, Any] = {"payment_id": payment_id, "status": "open"}
        if except_id is not None:
            q["_id"] = {"$ne": except_id}
        await self._attempts.update_many(q, {"$set": {"status": str(AttemptStatus.CLOSING), "closed_at": now}},
                                         session=session)

    async def claim_due_attempts(self, status: AttemptStatus, now: dt.datetime,
                                 next_at: Callable[[Attempt], dt.datetime], limit: int = 50) -> list[Attempt]:
        """Attempts due for a query, each claimed by moving its next query forward (safe in several
        processes: only the one whose conditional update matched works on it)."""
        out = []
        for d in await self._attempts.find({"status": str(status), "next_query_at": {"$lte": now}}) \
                .sort("next_query_at", ASCENDING).limit(limit).to_list(limit):
            a = attempt_from_doc(d)
            nxt = next_at(a)
            res = await self._attempts.update_one({"_id": a.id, "next_query_at": d["next_query_at"]},
                                                  {"$set": {"next_query_at": nxt}, "$inc": {"query_count": 1}})
            if res.modified_count == 1:
                out.append(replace(a, next_query_at=nxt, query_count=a.query_count + 1))
        return out

    async def paid_attempts_between(self, channel: str, start: dt.datetime, end: dt.datetime) -> list[Attempt]:
        """Attempts the provider says were paid in ``[start, end)`` (including late ones refunded)."""
        docs = await self._attempts.find({"channel": channel, "provider_paid_at": {"$gte": start, "$lt": end},
                                          "status": {"$in": ["paid", "late"]}}).to_list(None)
        return [attempt_from_doc(d) for d in docs]

    # refunds ---------------------------------------------------------------------------------------

    async def refund_by_request(self, payment_id: ObjectId, request_id: str) -> Refund | None:
        doc = await self._refunds.find_one({"payment_id": payment_id, "request_id": request_id})
        return refund_from_doc(doc) if doc else None

    async def refund_by_orn(self, out_refund_no: str) -> Refund | None:
        doc = await self._refunds.find_one({"out_refund_no": out_refund_no})
        return refund_from_doc(doc) if doc else None

    async def refund(self, refund_id: ObjectId) -> Refund | None:
        doc = await self._refunds.find_one({"_id": refund_id})
        return refund_from_doc(doc) if doc else None

    async def refunds_of(self, payment_id: ObjectId) -> list[Refund]:
        docs = await self._refunds.find({"payment_id": payment_id}).sort("created_at", ASCENDING).to_list(200)
        return [refund_from_doc(d) for d in docs]

    async def insert_refund(self, refund: Refund, session: Any = None) -> None:
        await self._refunds.insert_one(refund_to_doc(refund), session=session)

    async def mark_refund_processing(self, refund_id: ObjectId, provider_ref: str | None) -> None:
        await self._refunds.update_one({"_id": refund_id, "status": "pending"},
                                       {"$set": {"status": "processing", "provider_ref": provider_ref}})

    async def mark_refund_pending(self, refund_id: ObjectId) -> None:
        """The provider has no record of it: it will be requested again (same out_refund_no)."""
        await self._refunds.update_one({"_id": refund_id, "status": "processing"}, {"$set": {"status": "pending"}})

    async def finish_refund(self, refund_id: ObjectId, final: RefundStatus, *, at: dt.datetime,
                            provider_ref: str | None, via: str, red_receipt_id: ObjectId | None,
                            session: Any) -> bool:
        """``pending``/``processing`` → ``success``/``failed``, once; a success may decide its
        red-letter receipt (numbered right after, issuing.py)."""
        fields: dict[str, Any] = {"status": str(final), "provider_ref": provider_ref, "result_via": via,
                                  "succeeded_at" if final is RefundStatus.SUCCESS else "failed_at": at}
        if red_receipt_id is not None:
            fields.update(red_receipt_id=red_receipt_id, red_receipt_issued_at=at, red_receipt_pending=True)
        res = await self._refunds.update_one({"_id": refund_id, "status": {"$in": ["pending", "processing"]}},
                                             {"$set": fields}, session=session)
        return res.modified_count == 1

    async def claim_due_refunds(self, now: dt.datetime, retry_after: dt.timedelta, limit: int = 50) -> list[Refund]:
        out = []
        for d in await self._refunds.find({"status": {"$in": ["pending", "processing"]},
                                           "next_try_at": {"$lte": now}}).limit(limit).to_list(limit):
            nxt = now + retry_after
            res = await self._refunds.update_one({"_id": d["_id"], "next_try_at": d["next_try_at"]},
                                                 {"$set": {"next_try_at": nxt}, "$inc": {"tries": 1}})
            if res.modified_count == 1:
                r = refund_from_doc(d)
                out.append(replace(r, next_try_at=nxt, tries=r.tries + 1))
        return out

    async def refunds_succeeded_between(self, channel: str, start: dt.datetime, end: dt.datetime) -> list[Refund]:
        docs = await self._refunds.find({"channel": channel, "succeeded_at": {"$gte": start, "$lt": end},
                                         "status": "success"}).to_list(None)
        return [refund_from_doc(d) for d in docs]

    async def set_refund_notice(self, refund_id: ObjectId, notice: RefundNotice, *, session: Any) -> None:
        """What the refund's message says besides its red-letter receipt (sent once that is numbered)."""
        await self._refunds.update_one({"_id": refund_id}, {"$set": {"notice": dict(notice)}}, session=session)

    # receipts (blue: one per paid order; red: one per refund of a receipted order) ------------------------

    async def receipt(self, receipt_id: object, kind: ReceiptKind = ReceiptKind.BLUE) -> Receipt | None:
        _id = oid(receipt_id)
        doc = await self._receipt_col(kind).find_one({"_id": _id}) if _id else None
        return receipt_from_doc(doc) if doc else None

    async def any_receipt(self, receipt_id: object) -> Receipt | None:
        return await self.receipt(receipt_id, ReceiptKind.BLUE) or await self.receipt(receipt_id, ReceiptKind.RED)

    async def receipt_by_number(self, code: str | None, number: str) -> Receipt | None:
        """Receipts and red-letter receipts share one sequence, so a number names one of them."""
        q: dict[str, Any] = {"number": number}
        if code:
            q["code"] = code
        doc = await self._receipts.find_one(q) or await self._red.find_one(q)
        return receipt_from_doc(doc) if doc else None

    async def receipts_page(self, payer_id: str, before: str | None, limit: int) -> tuple[list[Receipt], str | None]:
        """A payer's receipts and red-letter receipts, newest first."""
        q: dict[str, Any] = {"payer_id": payer_id}
        if oid(before):
            q["_id"] = {"$lt": oid(before)}
        blue = await self._receipts.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        red = await self._red.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        page, cursor = _page(sorted(blue + red, key=lambda d: d["_id"], reverse=True)[:limit + 1], limit)
        return [receipt_from_doc(d) for d in page], cursor

    async def red_receipts_page(self, before: str | None, limit: int) -> tuple[list[Receipt], str | None]:
        q: dict[str, Any] = {"_id": {"$lt": oid(before)}} if oid(before) else {}
        docs = await self._red.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        page, cursor = _page(docs, limit)
        return [receipt_from_doc(d) for d in page], cursor

    async def red_receipts_of(self, original_ids: list[ObjectId]) -> list[Receipt]:
        if not original_ids:
            return []
        docs = await self._red.find({"original_receipt_id": {"$in": original_ids}}).to_list(None)
        return [receipt_from_doc(d) for d in docs]

    # reconciliation reports ---------------------------------------------------------------------------

    async def report(self, channel: str, day: dt.date) -> ReconciliationReport | None:
        doc = await self._reports.find_one({"_id": f"{channel}:{day.isoformat()}"})
        return report_from_doc(doc) if doc else None

    async def record_reconciled(self, channel: str, day: dt.date, findings: Findings) -> None:
        """The finished report of a channel and day (a later run replaces its findings; the job's
        tries and an acknowledgement of an earlier alert stay on record)."""
        fields = {"channel": channel, "date": day.isoformat(), **findings_to_doc(findings),
                  "state": str(ReportState.DONE), "alert": not findings.balanced, "reason": None}
        await self._reports.update_one({"_id": f"{channel}:{day.isoformat()}"}, {"$set": fields}, upsert=True)

    async def retry_reconciliation(self, channel: str, day: dt.date, state: ReportState, next_try_at: dt.datetime,
                                   reason: str, now: dt.datetime) -> None:
        """A day the job could not reconcile yet (bill not out, provider down), as finance sees it."""
        await self._unless_done(channel, day, {"$set": {"state": str(state), "next_try_at": next_try_at,
                                                        "reason": reason, "last_try_at": now},
                                               "$inc": {"tries": 1}})

    async def skip_reconciliation(self, channel: str, day: dt.date, now: dt.datetime) -> None:
        """A day beyond the job's catch-up limit: an alert until finance reconciles it by hand."""
        await self._unless_done(channel, day, {"$set": {"state": str(ReportState.SKIPPED), "reason": "catch_up_limit",
                                                        "alert": True, "last_try_at": now},
                                               "$unset": {"next_try_at": ""}})

    async def _unless_done(self, channel: str, day: dt.date, update: dict[str, Any]) -> None:
        update = {**update, "$setOnInsert": {"channel": channel, "date": day.isoformat(),
                                             **({} if "alert" in update["$set"] else {"alert": False}),
                                             **({"tries": 0} if "$inc" not in update else {})}}
        try:
            await self._reports.update_one({"_id": f"{channel}:{day.isoformat()}", "state": {"$ne": "done"}},
                                           update, upsert=True)
        except DuplicateKeyError:  # the report is done meanwhile (by hand or by another run): it stands
            pass

    async def reports_since(self, day: dt.date, limit: int = 200) -> list[ReconciliationReport]:
        docs = await self._reports.find({"date": {"$gte": day.isoformat()}}).sort("date", DESCENDING) \
            .limit(limit).to_list(limit)
        return [report_from_doc(d) for d in docs]

    async def open_alerts(self, limit: int = 100) -> list[ReconciliationReport]:
        docs = await self._reports.find({"alert": True}).sort("date", DESCENDING).limit(limit).to_list(limit)
        return [report_from_doc(d) for d in docs]

    async def acknowledge_report(self, report_id: str, acknowledged: Acknowledgement) -> bool:
        res = await self._reports.update_one({"_id": report_id, "alert": True},
                                             {"$set": {"alert": False, "acknowledged": dict(acknowledged)}})
        return res.modified_count == 1

    async def report_by_id(self, report_id: str) -> ReconciliationReport | None:
        doc = await self._reports.find_one({"_id": report_id})
        return report_from_doc(doc) if doc else None

    # payee units (清分) -----------------------------------------------------------------------------------

    async def payee_unit(self, department_code: str) -> PayeeUnit | None:
        doc = await self._units.find_one({"_id": department_code})
        return unit_from_doc(doc) if doc else None

    async def payee_unit_by_code(self, unit_code: str) -> PayeeUnit | None:
        doc = await self._units.find_one({"unit_code": unit_code}) if unit_code else None
        return unit_from_doc(doc) if doc else None

    async def payee_units(self) -> list[PayeeUnit]:
        return [unit_from_doc(d) for d in await self._units.find({}).sort("_id", ASCENDING).to_list(500)]

    async def add_payee_unit(self, unit: PayeeUnit) -> None:
        """Add a unit if it is not there (an existing one is never overwritten)."""
        await self._units.update_one({"_id": unit.id}, {"$setOnInsert": unit_to_doc(unit)}, upsert=True)
