"""Issuing, numbering, reading and verifying e-receipts (财政电子票据).

A receipt is decided inside the transaction that marks its payment paid: that transaction fixes
the receipt's id and issue time on the payment and marks it ``receipt_pending`` (one receipt per
payment, because the paying transition happens once). Its number comes right after, outside that
transaction, from the year's gap-free sequence, so paying transactions never contend for the
counter:

- The counter document ``{seq, block}`` moves only by a conditional update from the ``seq`` it was
  read at. Whoever moves it takes a whole block of numbers, one for every receipt pending at that
  moment (in issue order), and records the block. Under load one numbering serves everyone
  waiting; the others find their receipt in the block.
- Before taking a block, a numbering first writes every receipt of the previous block (writing a
  receipt is idempotent: its ``_id`` is fixed), and leaves out receipts already written. So every
  number up to ``seq`` belongs to exactly one written receipt, even when a process dies between
  taking a block and writing it.
- A receipt still pending because a process died is numbered by the next read of its payment, or
  by the ``payments.receipts`` job.
"""
from __future__ import annotations

import logging
from typing import Any, Protocol

from bson import ObjectId

from backend.config import PaymentsConfig, ReceiptsConfig
from backend.core import errors
from backend.core.access import Resident, access_own
from backend.core.clock import TZ, Clock
from payments import receipts as rc
from payments.store import PaymentStore

log = logging.getLogger("zjb.payments.receipts")
BLOCK = 100  # most receipts numbered by one update of the counter


class UserRef(Protocol):
    id: str
    openid: str | None
    realname_verified: bool
    name_masked: str | None
    id_number_masked: str | None


class UserDirectory(Protocol):
    """Residents as the identity domain shows them to other domains."""

    async def get(self, user_id: str) -> UserRef | None: ...


def public_receipt(r: dict[str, Any]) -> dict[str, Any]:
    c = r["content"]
    return {"id": str(r["_id"]), "payment_id": str(r["payment_id"]), "code": r["code"], "number": r["number"],
            "check_code": r["check_code"], "amount_fen": r["amount_fen"], "amount_capitals": c["amount_capitals"],
            "payer_masked": c["payer"], "payee": c["payee"], "issued_at": r["issued_at"], "items": c["items"],
            "application_serial": c.get("application_serial") or "",
            "signature": {"algorithm": "Ed25519", "key_id": r["key_id"], "value": r["signature"],
                          "signed_content": rc.canonical(c).decode("utf-8")}}


class ReceiptService:
    def __init__(self, *, store: PaymentStore, clock: Clock, users: UserDirectory, signer: rc.ReceiptSigner,
                 config: PaymentsConfig, receipts_config: ReceiptsConfig, public_url: str):
        self.store = store
        self.clock = clock
        self.users = users
        self.signer = signer
        self.config = config
        self.rconfig = receipts_config
        self.public_url = public_url.rstrip("/")

    # -- numbering -------------------------------------------------------------------------------------

    async def number_pending(self, payment: dict[str, Any]) -> None:
        """Number and write a paid order's pending receipt (and any other pending one of its year)."""
        if payment.get("receipt_pending"):
            await self._number(payment["receipt_issued_at"].astimezone(TZ).year, payment["receipt_id"])

    async def finish_pending(self) -> int:
        """The job: receipts left pending by a process that died right after a payment."""
        years = sorted({p["receipt_issued_at"].astimezone(TZ).year
                        for p in await self.store.payments_with_pending_receipt(None, limit=BLOCK)})
        n = 0
        for year in years:
            n += await self._number(year, None)
        return n

    async def _number(self, year: int, receipt_id: ObjectId | None) -> int:
        """Take numbers for the year's pending receipts until ``receipt_id`` (or, with None, the
        first block) is written. Returns how many receipts this call numbered."""
        for _ in range(100):
            counter = await self.store.receipt_counter(year)
            block = counter.get("block") or []
            await self._write_block(year, counter["seq"] - len(block), block)
            if receipt_id is not None and any(e["receipt_id"] == receipt_id for e in block):
                return 0
            pending = await self._unwritten(year)
            if not pending or receipt_id is not None and all(e["receipt_id"] != receipt_id for e in pending):
                return 0  # nothing to number, or ours was written meanwhile
            if await self.store.take_receipt_numbers(year, counter["seq"], pending):
                await self._write_block(year, counter["seq"], pending)
                return len(pending)
        raise errors.ServiceUnavailable(details={"reason": "receipt_numbering_busy"})  # pragma: no cover

    async def _unwritten(self, year: int) -> list[dict[str, Any]]:
        """The year's pending receipts (oldest first) that are not written yet."""
        payments = await self.store.payments_with_pending_receipt(year, limit=BLOCK)
        written = await self.store.written_receipts([p["receipt_id"] for p in payments])
        return [{"kind": "blue", "receipt_id": p["receipt_id"], "source_id": p["_id"]}
                for p in payments if p["receipt_id"] not in written]

    async def _write_block(self, year: int, first_seq_minus_one: int, block: list[dict[str, Any]]) -> None:
        """Write the receipts of a block (numbers ``first_seq_minus_one + 1`` onwards) not yet written."""
        if not block:
            return
        written = await self.store.written_receipts([e["receipt_id"] for e in block])
        for i, entry in enumerate(block):
            if entry["receipt_id"] not in written:
                await self._write(entry, year, first_seq_minus_one + 1 + i)
        await self.store.clear_receipt_pending([e["source_id"] for e in block])

    async def _write(self, entry: dict[str, Any], year: int, seq: int) -> None:
        p = await self.store.payment(entry["source_id"])
        if p is None:  # pragma: no cover - payments are never deleted
            raise errors.InternalError()
        payer = await self.users.get(p["payer_id"])
        code, number = rc.receipt_code(self.rconfig.code_prefix, year), f"{seq:010d}"
        issued_at = p["receipt_issued_at"]
        content = rc.build_content(code=code, number=number, payment=p,
                                   payer_masked=rc.mask_name(payer.name_masked if payer else None),
                                   payee=self.config.payee_name, issued_at=issued_at, key_id=self.signer.key_id)
        signature = self.signer.sign(content)
        await self.store.insert_receipt({
            "_id": entry["receipt_id"], "payment_id": p["_id"], "payer_id": p["payer_id"],
            "application_id": p["application_id"], "code": code, "number": number, "year": year, "seq": seq,
            "check_code": rc.check_code_for(signature), "amount_fen": p["amount_fen"], "content": content,
            "signature": signature, "key_id": self.signer.key_id, "issued_at": issued_at})

    # -- reading -----------------------------------------------------------------------------------------

    async def for_resident(self, resident: Resident, receipt_id: str) -> dict[str, Any]:
        return dict(access_own(resident, await self.store.receipt(receipt_id), owner_field="payer_id"))

    async def list_for_resident(self, resident: Resident, cursor: str | None,
                                limit: int) -> tuple[list[dict[str, Any]], str | None]:
        docs, nxt = await self.store.receipts_page(resident.id, cursor, limit)
        return [public_receipt(d) for d in docs], nxt

    async def find(self, code: str | None, number: str) -> list[dict[str, Any]]:
        r = await self.store.receipt_by_number(code, number)
        return [public_receipt(r)] if r else []

    def public_key(self) -> dict[str, Any]:
        return {"algorithm": "Ed25519", "key_id": self.signer.key_id, "public_key_pem": self.signer.public_pem,
                "canonical_form": "JSON of the receipt content, keys sorted, separators (',', ':'), UTF-8"}

    def verify_link(self, r: dict[str, Any]) -> str:
        return rc.verify_url(self.public_url, r["code"], r["number"], r["check_code"])

    def pdf(self, r: dict[str, Any]) -> bytes:
        return rc.render_pdf(r, verify_link=self.verify_link(r), seal_text=self.rconfig.seal_text)

    async def verify(self, code: str, number: str, check: str) -> dict[str, Any]:
        r = await self.store.receipt_by_number(code, number)
        if r is None or r["check_code"] != check.upper() or not self.signer.verify(r["content"], r["signature"]):
            raise errors.NotFound("未找到该票据，请核对票据代码、号码和校验码")
        return {"valid": True, "amount_fen": r["amount_fen"], "payer_masked": r["content"]["payer"],
                "issued_at": r["issued_at"], "code": r["code"], "number": r["number"], "payee": r["content"]["payee"],
                "items": r["content"]["items"]}
