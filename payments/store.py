"""Every query of the payments domain, and its collections with indexes and validators.

Each method does one thing the service needs, named for it. State changes are conditional
updates on the previous state; none uses ``findAndModify`` (the embedded database scans the whole
collection for it): a conditional ``update_one`` tells whether it applied, and inside a
transaction a read after it sees the new document.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Awaitable, Callable, TypeVar

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.core.clock import TZ
from backend.core.ids import object_id as oid
from backend.db.mongo import CollectionSpec, count_by, in_transaction, insert_new

T = TypeVar("T")

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
            IndexModel([("payment_id", ASCENDING), ("created_at", ASCENDING)]),
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
            IndexModel([("red_receipt_pending", ASCENDING), ("red_receipt_issued_at", ASCENDING)],
                       name="red_receipt_pending", partialFilterExpression={"red_receipt_pending": True}),
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


class PaymentStore:
    def __init__(self, db: AsyncDatabase, client: AsyncMongoClient):
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

    async def transaction(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``fn(session)`` in one transaction (retried on write conflicts)."""
        return await in_transaction(self._client, fn)

    # payments --------------------------------------------------------------------------------------

    async def insert_payment(self, doc: dict[str, Any], session: Any = None) -> None:
        await self._payments.insert_one(doc, session=session)

    async def payment(self, payment_id: Any, session: Any = None) -> dict[str, Any] | None:
        _id = oid(payment_id)
        return await self._payments.find_one({"_id": _id}, session=session) if _id else None

    async def transition(self, payment_id: ObjectId, frm: str | tuple[str, ...], changes: dict[str, Any], *,
                         session: Any, inc: dict[str, int] | None = None, extra_filter: dict[str, Any] | None = None,
                         unset: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """The guarded state change: applies only while the order is still in ``frm``. Inside the
        caller's transaction; answers the order as changed, or None when it was not in ``frm``."""
        q: dict[str, Any] = {"_id": payment_id, "status": frm if isinstance(frm, str) else {"$in": list(frm)}}
        q.update(extra_filter or {})
        update: dict[str, Any] = {"$set": changes, "$inc": {"version": 1, **(inc or {})}}
        if unset:
            update["$unset"] = {k: "" for k in unset}
        res = await self._payments.update_one(q, update, session=session)
        if res.modified_count != 1:
            return None
        return await self._payments.find_one({"_id": payment_id}, session=session)

    async def settle_status(self, payment_id: ObjectId, status: str, *, session: Any) -> None:
        """After a refund succeeded (inside its transaction): back to ``paid``, or ``refunded`` (then
        the same items may be charged again)."""
        update: dict[str, Any] = {"$set": {"status": status}}
        if status == "refunded":
            update["$unset"] = {"open_key": ""}
            await self.release_fees(payment_id, session=session)
        await self._payments.update_one({"_id": payment_id, "status": "refunding"}, update, session=session)

    async def take_fees(self, docs: list[dict[str, Any]], *, session: Any) -> None:
        """Take the open-fee keys of a new order (inside its transaction); DuplicateKeyError when
        another order holds one of them."""
        for doc in docs:  # one by one: a taken key is a DuplicateKeyError, not a bulk error
            await self._fees.insert_one(doc, session=session)

    async def release_fees(self, payment_id: ObjectId, *, session: Any) -> None:
        """An order closed or fully refunded: its fees may be charged again."""
        await self._fees.delete_many({"payment_id": payment_id}, session=session)

    async def fee_holders(self, keys: list[str]) -> list[dict[str, Any]]:
        if not keys:
            return []
        return await self._fees.find({"_id": {"$in": keys}}).to_list(None)

    async def orders_of_case(self, application_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """A case's orders, its own and those of its bundle (which list it on their items), newest first."""
        own = await self._payments.find({"application_id": application_id}).limit(limit).to_list(limit)
        via = await self._payments.find({"items.application_id": application_id}).limit(limit).to_list(limit)
        merged = {d["_id"]: d for d in own + via}
        return sorted(merged.values(), key=lambda d: d["_id"], reverse=True)[:limit]

    async def payments_by_ids(self, ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
        if not ids:
            return {}
        return {p["_id"]: p for p in await self._payments.find({"_id": {"$in": list(set(ids))}}).to_list(None)}

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

    async def payments_page(self, *, payer_id: str | None = None, status: str | None = None,
                            application_id: str | None = None, before: str | None = None,
                            limit: int = 20) -> tuple[list[dict[str, Any]], str | None]:
        q: dict[str, Any] = {}
        if payer_id is not None:
            q["payer_id"] = payer_id
        if status:
            q["status"] = status
        if application_id:
            q["application_id"] = application_id
        if oid(before):
            q["_id"] = {"$lt": oid(before)}
        docs = await self._payments.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        return _page(docs, limit)

    async def due_to_expire(self, now: dt.datetime, limit: int = 50) -> list[dict[str, Any]]:
        return await self._payments.find({"status": "unpaid", "expires_at": {"$lte": now}}).limit(limit).to_list(limit)

    async def count_by_status(self) -> list[tuple[str, int]]:
        return await count_by(self._payments, "status")

    # attempts --------------------------------------------------------------------------------------

    async def attempt_by_otn(self, out_trade_no: str, session: Any = None) -> dict[str, Any] | None:
        return await self._attempts.find_one({"out_trade_no": out_trade_no}, session=session)

    async def open_attempt(self, payment_id: ObjectId, channel: str) -> dict[str, Any] | None:
        return await self._attempts.find_one({"payment_id": payment_id, "channel": channel, "status": "open"})

    async def attempts_of(self, payment_id: ObjectId, statuses: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        q: dict[str, Any] = {"payment_id": payment_id}
        if statuses:
            q["status"] = {"$in": list(statuses)}
        return await self._attempts.find(q).sort("created_at", ASCENDING).to_list(100)

    async def insert_attempt(self, doc: dict[str, Any]) -> None:
        await self._attempts.insert_one(doc)

    async def set_attempt_provider_ref(self, attempt_id: ObjectId, provider_ref: str) -> None:
        await self._attempts.update_one({"_id": attempt_id}, {"$set": {"provider_ref": provider_ref}})

    async def mark_attempt_paid(self, attempt_id: ObjectId, fields: dict[str, Any], *, session: Any) -> bool:
        """Claims the attempt for one transaction id: only the first statement of payment applies."""
        res = await self._attempts.update_one({"_id": attempt_id, "transaction_id": None},
                                              {"$set": {"status": "paid", **fields}}, session=session)
        return res.modified_count == 1

    async def mark_attempt_late(self, attempt_id: ObjectId, *, session: Any) -> None:
        await self._attempts.update_one({"_id": attempt_id}, {"$set": {"status": "late"}}, session=session)

    async def mark_attempt_closed(self, attempt_id: ObjectId, now: dt.datetime) -> None:
        await self._attempts.update_one({"_id": attempt_id, "status": {"$in": ["open", "closing"]}},
                                        {"$set": {"status": "closed", "closed_at": now}})

    async def close_open_attempts(self, payment_id: ObjectId, status: str, now: dt.datetime, *, session: Any,
                                  except_id: ObjectId | None = None) -> None:
        q: dict[str, Any] = {"payment_id": payment_id, "status": "open"}
        if except_id is not None:
            q["_id"] = {"$ne": except_id}
        await self._attempts.update_many(q, {"$set": {"status": status, "closed_at": now}}, session=session)

    async def claim_due_attempts(self, statuses: tuple[str, ...], now: dt.datetime,
                                 next_at: Callable[[dict[str, Any]], dt.datetime],
                                 limit: int = 50) -> list[dict[str, Any]]:
        """Attempts due for a query, each claimed by moving its next query forward (safe in several
        processes: only the one whose conditional update matched works on it)."""
        out = []
        for a in await self._attempts.find({"status": {"$in": list(statuses)}, "next_query_at": {"$lte": now}}) \
                .sort("next_query_at", ASCENDING).limit(limit).to_list(limit):
            nxt = next_at(a)
            res = await self._attempts.update_one({"_id": a["_id"], "next_query_at": a["next_query_at"]},
                                                  {"$set": {"next_query_at": nxt}, "$inc": {"query_count": 1}})
            if res.modified_count == 1:
                out.append({**a, "next_query_at": nxt, "query_count": int(a.get("query_count", 0)) + 1})
        return out

    async def paid_attempts_between(self, channel: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        """Attempts the provider says were paid in ``[start, end)`` (including late ones refunded)."""
        return await self._attempts.find({"channel": channel, "provider_paid_at": {"$gte": start, "$lt": end},
                                          "status": {"$in": ["paid", "late"]}}).to_list(None)

    # refunds ---------------------------------------------------------------------------------------

    async def refund_by_request(self, payment_id: ObjectId, request_id: str) -> dict[str, Any] | None:
        return await self._refunds.find_one({"payment_id": payment_id, "request_id": request_id})

    async def refund_by_orn(self, out_refund_no: str) -> dict[str, Any] | None:
        return await self._refunds.find_one({"out_refund_no": out_refund_no})

    async def refund(self, refund_id: ObjectId) -> dict[str, Any] | None:
        return await self._refunds.find_one({"_id": refund_id})

    async def refunds_of(self, payment_id: ObjectId) -> list[dict[str, Any]]:
        return await self._refunds.find({"payment_id": payment_id}).sort("created_at", ASCENDING).to_list(200)

    async def insert_refund(self, doc: dict[str, Any], session: Any = None) -> None:
        await self._refunds.insert_one(doc, session=session)

    async def mark_refund_processing(self, refund_id: ObjectId, provider_ref: str | None) -> None:
        await self._refunds.update_one({"_id": refund_id, "status": "pending"},
                                       {"$set": {"status": "processing", "provider_ref": provider_ref}})

    async def mark_refund_pending(self, refund_id: ObjectId) -> None:
        """The provider has no record of it: it will be requested again (same out_refund_no)."""
        await self._refunds.update_one({"_id": refund_id, "status": "processing"}, {"$set": {"status": "pending"}})

    async def finish_refund(self, refund_id: ObjectId, final: str, fields: dict[str, Any], *, session: Any) -> bool:
        """``pending``/``processing`` → ``success``/``failed``, once."""
        res = await self._refunds.update_one({"_id": refund_id, "status": {"$in": ["pending", "processing"]}},
                                             {"$set": {"status": final, **fields}}, session=session)
        return res.modified_count == 1

    async def claim_due_refunds(self, now: dt.datetime, retry_after: dt.timedelta,
                                limit: int = 50) -> list[dict[str, Any]]:
        out = []
        for r in await self._refunds.find({"status": {"$in": ["pending", "processing"]},
                                           "next_try_at": {"$lte": now}}).limit(limit).to_list(limit):
            nxt = now + retry_after
            res = await self._refunds.update_one({"_id": r["_id"], "next_try_at": r["next_try_at"]},
                                                 {"$set": {"next_try_at": nxt}, "$inc": {"tries": 1}})
            if res.modified_count == 1:
                out.append({**r, "next_try_at": nxt, "tries": int(r.get("tries", 0)) + 1})
        return out

    async def refunds_succeeded_between(self, channel: str, start: dt.datetime,
                                        end: dt.datetime) -> list[dict[str, Any]]:
        return await self._refunds.find({"channel": channel, "succeeded_at": {"$gte": start, "$lt": end},
                                         "status": "success"}).to_list(None)

    # receipts (blue: one per paid order; red: one per refund of a receipted order) ------------------------

    def _receipt_col(self, kind: str) -> Any:
        return self._receipts if kind == "blue" else self._red

    async def receipt(self, receipt_id: Any, kind: str = "blue") -> dict[str, Any] | None:
        _id = oid(receipt_id)
        return await self._receipt_col(kind).find_one({"_id": _id}) if _id else None

    async def any_receipt(self, receipt_id: Any) -> dict[str, Any] | None:
        return await self.receipt(receipt_id, "blue") or await self.receipt(receipt_id, "red")

    async def receipt_by_number(self, code: str | None, number: str) -> dict[str, Any] | None:
        """Receipts and red-letter receipts share one sequence, so a number names one of them."""
        q: dict[str, Any] = {"number": number}
        if code:
            q["code"] = code
        return await self._receipts.find_one(q) or await self._red.find_one(q)

    async def receipts_page(self, payer_id: str, before: str | None, limit: int) -> tuple[list[dict], str | None]:
        """A payer's receipts and red-letter receipts, newest first."""
        q: dict[str, Any] = {"payer_id": payer_id}
        if oid(before):
            q["_id"] = {"$lt": oid(before)}
        blue = await self._receipts.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        red = await self._red.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        return _page(sorted(blue + red, key=lambda d: d["_id"], reverse=True)[:limit + 1], limit)

    async def red_receipts_page(self, before: str | None, limit: int) -> tuple[list[dict], str | None]:
        q: dict[str, Any] = {"_id": {"$lt": oid(before)}} if oid(before) else {}
        docs = await self._red.find(q).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        return _page(docs, limit)

    async def red_receipts_of(self, original_ids: list[ObjectId]) -> list[dict[str, Any]]:
        if not original_ids:
            return []
        return await self._red.find({"original_receipt_id": {"$in": original_ids}}).to_list(None)

    async def insert_receipt(self, kind: str, doc: dict[str, Any]) -> bool:
        """Write a numbered receipt; False when it was written already (its ``_id`` is fixed)."""
        col = self._receipt_col(kind)
        try:
            await col.insert_one(doc)
        except DuplicateKeyError:
            if await col.find_one({"_id": doc["_id"]}, {"_id": 1}) is None:
                raise
            return False
        return True

    async def written_receipts(self, kind: str, receipt_ids: list[ObjectId]) -> set[ObjectId]:
        if not receipt_ids:
            return set()
        docs = await self._receipt_col(kind).find({"_id": {"$in": receipt_ids}}, {"_id": 1}).to_list(None)
        return {d["_id"] for d in docs}

    async def receipt_counter(self, code: str, year: int) -> dict[str, Any]:
        """The sequence of a receipt code (票据代码) in a year: ``seq`` (the last number taken) and
        ``block`` (who took the last numbers, in order, ending at ``seq``). It starts at 0 each
        year; a database that numbered per year alone carries that year's sequence on to the first
        code that asks for it."""
        _id = f"receipts:{code}:{year}"
        doc = await self._counters.find_one({"_id": _id})
        if doc is not None:
            return doc
        seq, block = 0, []
        legacy = f"receipts:{year}"
        await self._counters.update_one({"_id": legacy, "carried_to": {"$exists": False}},
                                        {"$set": {"carried_to": code}})
        old = await self._counters.find_one({"_id": legacy})
        if old is not None and old.get("carried_to") == code:
            seq, block = int(old["seq"]), list(old.get("block") or [])
        await insert_new(self._counters, [{"_id": _id, "code": code, "year": year, "seq": seq, "block": block}])
        return await self._counters.find_one({"_id": _id}) or {"_id": _id, "seq": seq, "block": block}

    async def take_receipt_numbers(self, code: str, year: int, seen: int, block: list[dict[str, Any]]) -> bool:
        """Numbers ``seen + 1 …`` for the receipts of ``block``, if nobody took them first."""
        res = await self._counters.update_one({"_id": f"receipts:{code}:{year}", "seq": seen},
                                              {"$set": {"seq": seen + len(block), "block": block}})
        return res.modified_count == 1

    async def clear_receipt_pending(self, kind: str, source_ids: list[ObjectId]) -> None:
        if not source_ids:
            return
        col, flag = (self._payments, "receipt_pending") if kind == "blue" else (self._refunds, "red_receipt_pending")
        await col.update_many({"_id": {"$in": source_ids}, flag: True}, {"$unset": {flag: ""}})

    async def pending_receipts(self, kind: str, year: int | None, *, limit: int) -> list[dict[str, Any]]:
        """Paid orders (blue) or succeeded refunds (red) whose receipt is not numbered yet, oldest first."""
        col, flag, at = ((self._payments, "receipt_pending", "receipt_issued_at") if kind == "blue"
                         else (self._refunds, "red_receipt_pending", "red_receipt_issued_at"))
        q: dict[str, Any] = {flag: True}
        if year is not None:
            q[at] = {"$gte": dt.datetime(year, 1, 1, tzinfo=TZ), "$lt": dt.datetime(year + 1, 1, 1, tzinfo=TZ)}
        return await col.find(q).sort(at, ASCENDING).limit(limit).to_list(limit)

    # reconciliation reports ---------------------------------------------------------------------------

    async def report(self, channel: str, day: dt.date) -> dict[str, Any] | None:
        return await self._reports.find_one({"_id": f"{channel}:{day.isoformat()}"})

    async def save_report(self, report: dict[str, Any]) -> None:
        """The finished report of a channel and day (a later run replaces it; an acknowledgement of
        an earlier alert stays on record)."""
        _id = f"{report['channel']}:{report['date']}"
        await self._reports.update_one({"_id": _id}, {"$set": report}, upsert=True)

    async def retry_reconciliation(self, channel: str, day: dt.date, state: str, next_try_at: dt.datetime,
                                   reason: str, now: dt.datetime) -> None:
        """A day the job could not reconcile yet (bill not out, provider down), as finance sees it."""
        await self._unless_done(channel, day, {"$set": {"state": state, "next_try_at": next_try_at, "reason": reason,
                                                        "last_try_at": now}, "$inc": {"tries": 1}})

    async def skip_reconciliation(self, channel: str, day: dt.date, now: dt.datetime) -> None:
        """A day beyond the job's catch-up limit: an alert until finance reconciles it by hand."""
        await self._unless_done(channel, day, {"$set": {"state": "skipped", "reason": "catch_up_limit",
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

    async def reports_since(self, day: dt.date, limit: int = 200) -> list[dict[str, Any]]:
        return await self._reports.find({"date": {"$gte": day.isoformat()}}).sort("date", DESCENDING) \
            .limit(limit).to_list(limit)

    async def open_alerts(self, limit: int = 100) -> list[dict[str, Any]]:
        return await self._reports.find({"alert": True}).sort("date", DESCENDING).limit(limit).to_list(limit)

    async def acknowledge_report(self, report_id: str, acknowledged: dict[str, Any]) -> bool:
        res = await self._reports.update_one({"_id": report_id, "alert": True},
                                             {"$set": {"alert": False, "acknowledged": acknowledged}})
        return res.modified_count == 1

    async def report_by_id(self, report_id: str) -> dict[str, Any] | None:
        return await self._reports.find_one({"_id": report_id})

    # payee units (清分) -----------------------------------------------------------------------------------

    async def payee_unit(self, department_code: str) -> dict[str, Any] | None:
        return await self._units.find_one({"_id": department_code})

    async def payee_unit_by_code(self, unit_code: str) -> dict[str, Any] | None:
        return await self._units.find_one({"unit_code": unit_code}) if unit_code else None

    async def set_refund_notice(self, refund_id: ObjectId, notice: dict[str, Any], *, session: Any) -> None:
        """What the refund's message says besides its red-letter receipt (sent once that is numbered)."""
        await self._refunds.update_one({"_id": refund_id}, {"$set": {"notice": notice}}, session=session)

    async def payee_units(self) -> list[dict[str, Any]]:
        return await self._units.find({}).sort("_id", ASCENDING).to_list(500)

    async def add_payee_unit(self, doc: dict[str, Any]) -> None:
        """Add a unit if it is not there (an existing one is never overwritten)."""
        await self._units.update_one({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)
