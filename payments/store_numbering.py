"""The payments store's receipt numbering: writing numbered receipts, the counters that number
them, and the receipts decided but not numbered yet (a part of ``PaymentStore``, which mixes it
in; the collections and their pending indexes are declared in ``store.py``)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from backend.core.clock import TZ
from backend.core.ids import object_id as oid
from backend.db.mongo import insert_new
from payments.store_documents import counter_from_doc, receipt_to_doc
from payments.values import NumberedEntry, Receipt, ReceiptCounter, ReceiptKind


@dataclass(frozen=True, slots=True)
class PendingReceipt:
    """A paid order (blue) or succeeded refund (red) whose receipt is decided but not numbered yet."""
    kind: ReceiptKind
    receipt_id: ObjectId
    source_id: ObjectId
    issued_at: dt.datetime


class NumberingQueries:
    _payments: AsyncCollection[Any]
    _refunds: AsyncCollection[Any]
    _counters: AsyncCollection[Any]
    _receipts: AsyncCollection[Any]
    _red: AsyncCollection[Any]

    def _receipt_col(self, kind: ReceiptKind) -> AsyncCollection[Any]:
        return self._receipts if kind is ReceiptKind.BLUE else self._red

    def _pending_of(self, kind: ReceiptKind) -> tuple[AsyncCollection[Any], str, str, str]:
        """Where a kind of receipt waits for its number: the collection of its source (paid
        orders, succeeded refunds), its pending flag, and the fields of its id and issue time."""
        if kind is ReceiptKind.BLUE:
            return self._payments, "receipt_pending", "receipt_id", "receipt_issued_at"
        return self._refunds, "red_receipt_pending", "red_receipt_id", "red_receipt_issued_at"

    async def insert_receipt(self, receipt: Receipt) -> bool:
        """Write a numbered receipt; False when it was written already (its id is fixed)."""
        col = self._receipt_col(receipt.kind)
        try:
            await col.insert_one(receipt_to_doc(receipt))
        except DuplicateKeyError:
            if await col.find_one({"_id": receipt.id}, {"_id": 1}) is None:
                raise
            return False
        return True

    async def written_receipts(self, kind: ReceiptKind, receipt_ids: list[ObjectId]) -> set[ObjectId]:
        if not receipt_ids:
            return set()
        docs = await self._receipt_col(kind).find({"_id": {"$in": receipt_ids}}, {"_id": 1}).to_list(None)
        return {d["_id"] for d in docs}

    async def receipt_counter(self, code: str, year: int) -> ReceiptCounter:
        """The sequence of a receipt code (票据代码) in a year: ``seq`` (the last number taken) and
        ``block`` (who took the last numbers, in order, ending at ``seq``). It starts at 0 each
        year; a database that numbered per year alone carries that year's sequence on to the first
        code that asks for it."""
        _id = f"receipts:{code}:{year}"
        doc = await self._counters.find_one({"_id": _id})
        if doc is not None:
            return counter_from_doc(doc)
        seq, block = 0, []
        legacy = f"receipts:{year}"
        await self._counters.update_one({"_id": legacy, "carried_to": {"$exists": False}},
                                        {"$set": {"carried_to": code}})
        old = await self._counters.find_one({"_id": legacy})
        if old is not None and old.get("carried_to") == code:
            seq, block = int(old["seq"]), list(old.get("block") or [])
        await insert_new(self._counters, [{"_id": _id, "code": code, "year": year, "seq": seq, "block": block}])
        return counter_from_doc(await self._counters.find_one({"_id": _id}) or {"seq": seq, "block": block})

    async def take_receipt_numbers(self, code: str, year: int, seen: int, block: list[NumberedEntry]) -> bool:
        """Numbers ``seen + 1 …`` for the receipts of ``block``, if nobody took them first."""
        entries = [{"kind": str(e.kind), "receipt_id": e.receipt_id, "source_id": e.source_id} for e in block]
        res = await self._counters.update_one({"_id": f"receipts:{code}:{year}", "seq": seen},
                                              {"$set": {"seq": seen + len(block), "block": entries}})
        return res.modified_count == 1

    async def clear_receipt_pending(self, kind: ReceiptKind, source_ids: list[ObjectId]) -> None:
        if not source_ids:
            return
        col, flag, _, _ = self._pending_of(kind)
        await col.update_many({"_id": {"$in": source_ids}, flag: True}, {"$unset": {flag: ""}})

    async def decided_receipt(self, receipt_id: object) -> PendingReceipt | None:
        """The receipt or red-letter receipt with this id when it is decided (its order paid, its
        refund succeeded) and not numbered yet; read through the pending indexes, which hold only
        such receipts."""
        _id = oid(receipt_id)
        if _id is None:
            return None
        for kind in ReceiptKind:
            col, flag, rid, at = self._pending_of(kind)
            d = await col.find_one({flag: True, rid: _id})
            if d is not None:
                return PendingReceipt(kind, d[rid], d["_id"], d[at])
        return None

    async def pending_receipts(self, kind: ReceiptKind, year: int | None, *, limit: int) -> list[PendingReceipt]:
        """Paid orders (blue) or succeeded refunds (red) whose receipt is not numbered yet, oldest first."""
        col, flag, rid, at = self._pending_of(kind)
        q: dict[str, Any] = {flag: True}
        if year is not None:
            q[at] = {"$gte": dt.datetime(year, 1, 1, tzinfo=TZ), "$lt": dt.datetime(year + 1, 1, 1, tzinfo=TZ)}
        docs = await col.find(q).sort(at, ASCENDING).limit(limit).to_list(limit)
        return [PendingReceipt(kind, d[rid], d["_id"], d[at]) for d in docs]
