"""Issuing, numbering, reading and verifying e-receipts (财政电子票据) and red-letter receipts (红字票据).

A receipt is decided inside the transaction that marks its payment paid: that transaction fixes
the receipt's id and issue time on the payment and marks it ``receipt_pending`` (one receipt per
payment, because the paying transition happens once). A red-letter receipt is decided the same
way inside the transaction that records a refund as successful (one per refund, because that
transition happens once, however often or concurrently the refund's notice arrives).

Numbers come right after, outside those transactions, from the gap-free sequence of the receipt
code (票据代码, the region prefix and the year) in the issue time's year (Beijing time), shared by
both kinds and starting at 1 each year, so paying and refunding transactions never contend for
the counter:

- The counter document ``{seq, block}`` moves only by a conditional update from the ``seq`` it was
  read at. Whoever moves it takes a whole block of numbers, one for every receipt pending at that
  moment (in issue order), and records the block. Under load one numbering serves everyone
  waiting; the others find their receipt in the block. In one process the callers share a round:
  while one is under way for a code, the others wait for it rather than write its receipts too.
- Before taking a block, a numbering first writes every receipt of the previous block (writing a
  receipt is idempotent: its ``_id`` is fixed), and leaves out receipts already written. So every
  number up to ``seq`` belongs to exactly one written receipt, even when a process dies between
  taking a block and writing it.
- A receipt still pending because a process died is numbered by the next read of its payment or
  of itself, or by the ``payments.receipts`` job.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bson import ObjectId

from backend.config import PaymentsConfig, ReceiptsConfig
from backend.core import errors
from backend.core.access import Resident
from backend.core.clock import TZ, Clock
from backend.core.ratelimit import Limit, RateLimiter
from backend.core.signing import SigningKeyRing, canonical, check_code_matches, new_check_code, parse_key_time
from notify.outbox import Outbox
from payments import receipts as rc
from payments.access import PaymentAccess
from payments.store import PaymentStore
from payments.values import NumberedEntry, Payment, Receipt, ReceiptKind, Refund, SignedContent

log = logging.getLogger("zjb.payments.receipts")
BLOCK = 100  # most receipts numbered by one update of the counter
NOT_FOUND = "未找到该票据，请核对票据代码、号码和校验码"


class UserRef(Protocol):
    """A resident as identity shows it (read-only, so identity's frozen value fits)."""
    @property
    def id(self) -> str: ...

    @property
    def openid(self) -> str | None: ...

    @property
    def realname_verified(self) -> bool: ...

    @property
    def name_masked(self) -> str | None: ...

    @property
    def id_number_masked(self) -> str | None: ...


class UserDirectory(Protocol):
    """Residents as the identity domain shows them to other domains."""

    async def get(self, user_id: str) -> UserRef | None: ...

    async def full_name(self, user_id: str) -> str | None:
        """The verified real name, for the payer's own documents only."""
        ...

    async def get_many(self, user_ids: list[str]) -> Mapping[str, UserRef]: ...

    async def find(self, q: str) -> Sequence[UserRef]:
        """Residents with exactly this ID number or this full name (matched by their keyed hashes)."""
        ...



def public_receipt(r: Receipt, *, refunded_fen: int = 0, verify_url: str | None = None) -> dict[str, Any]:
    """A receipt (``kind`` blue) or red-letter receipt (``kind`` red) as its payer and finance see it."""
    c = r.content
    red = r.kind is ReceiptKind.RED
    out = {"id": str(r.id), "kind": str(r.kind), "payment_id": str(r.payment_id), "code": r.code,
           "number": r.number, "check_code": r.check_code, "amount_fen": c["amount_fen"],
           "amount_capitals": c["amount_capitals"], "payer_masked": c["payer"], "payee": c["payee"],
           "issued_at": r.issued_at, "items": c["items"], "application_serial": c.get("application_serial") or "",
           "status": "issued" if red else receipt_status(r.amount_fen, refunded_fen),
           "refunded_fen": 0 if red else refunded_fen,
           "signature": {"algorithm": "Ed25519", "key_id": r.key_id, "value": r.signature,
                         "signed_content": canonical(c).decode("utf-8")}}
    if red:
        out["original"] = {"id": str(r.original_receipt_id), **c["original"]}
        out["refund_id"] = str(r.refund_id)
    if verify_url:
        out["verify_url"] = verify_url
    return out


def receipt_status(amount_fen: int, refunded_fen: int) -> str:
    if refunded_fen >= amount_fen:
        return "voided"
    return "partially_refunded" if refunded_fen > 0 else "issued"


def payment_event(p: Payment, **extra: Any) -> dict[str, Any]:
    """What a payment's messages carry (notify.messages words them)."""
    return {"payment_id": str(p.id), "application_id": p.application_id, "serial": p.serial,
            "service_name": p.service_name, "amount_fen": p.amount_fen, **extra}


@dataclass(frozen=True)
class _Round:
    """What a numbering round found and did: the block taken before it (now written), the
    receipts pending when it looked, and whether it took numbers for them (and wrote them)."""
    earlier: list[NumberedEntry]
    pending: list[NumberedEntry]
    took: bool


class ReceiptService:
    def __init__(self, *, store: PaymentStore, clock: Clock, users: UserDirectory, outbox: Outbox,
                 signer: SigningKeyRing,
                 limiter: RateLimiter, verify_per_ip_per_minute: int, config: PaymentsConfig,
                 receipts_config: ReceiptsConfig, public_url: str):
        self.store = store
        self.access = PaymentAccess(store)
        self.outbox = outbox
        self.limiter = limiter
        self.verify_limit = Limit("receipt-verify-ip", verify_per_ip_per_minute, 60, "查验过于频繁，请一分钟后再试")
        self.clock = clock
        self.users = users
        self.signer = signer
        self.config = config
        self.rconfig = receipts_config
        self.public_url = public_url.rstrip("/")
        # The numbering round under way, by receipt code, with its place in the order rounds began.
        self._rounds: dict[str, tuple[int, asyncio.Future[_Round]]] = {}
        self._rounds_begun = 0
        # Per code, the block this process last took and wrote whole: the counter's seq after it
        # and its receipts. The next round finds it as the counter's last block and need not write
        # it again (that write is for a process that died before finishing its block).
        self._written_whole: dict[str, tuple[int, tuple[ObjectId, ...]]] = {}

    # -- numbering -------------------------------------------------------------------------------------

    async def number_pending(self, payment: Payment) -> None:
        """Number and write a paid order's pending receipt (and whatever else is pending that year)."""
        if payment.receipt_pending and payment.receipt_issued_at is not None:
            await self._number(payment.receipt_issued_at.astimezone(TZ).year, payment.receipt_id)

    async def number_pending_red(self, refund: Refund) -> None:
        if refund.red_receipt_pending and refund.red_receipt_issued_at is not None:
            await self._number(refund.red_receipt_issued_at.astimezone(TZ).year, refund.red_receipt_id)

    async def finish_pending(self) -> int:
        """The job: receipts left pending by a process that died right after a payment or refund."""
        pending = (await self.store.pending_receipts(ReceiptKind.BLUE, None, limit=BLOCK)
                   + await self.store.pending_receipts(ReceiptKind.RED, None, limit=BLOCK))
        years = sorted({d.issued_at.astimezone(TZ).year for d in pending})
        n = 0
        for year in years:
            n += await self._number(year, None)
        return n

    async def _number(self, year: int, receipt_id: ObjectId | None) -> int:
        """Take numbers for the year's pending receipts until ``receipt_id`` (or, with None, the
        first block) is written. Returns how many receipts this call numbered. The year is the
        issue time's year in Beijing time, fixed when the payment or refund was recorded, so a
        receipt issued at 23:59:59 on 31 December takes the old year's next number even when it
        is numbered after midnight, and the new year's code starts again at 1.

        The callers of one process share its numbering rounds: a caller that finds a round of the
        code under way waits for that round and reads its outcome instead of writing the same
        receipts again beside it (each round writes every receipt pending when it began).
        Processes still meet only at the counter's conditional update."""
        code = rc.receipt_code(self.rconfig.code_prefix, year)
        asked = self._rounds_begun   # a round begun before this call may have looked before ours was pending
        for _ in range(100):
            begun, future, mine = self._joined_round(code, year)
            outcome = await asyncio.shield(future)
            if receipt_id is not None and any(e.receipt_id == receipt_id for e in outcome.earlier):
                return 0
            if begun <= asked:
                continue   # it looked for pending receipts before this call: look again
            pending = outcome.pending
            if not pending or receipt_id is not None and all(e.receipt_id != receipt_id for e in pending):
                return 0  # nothing to number, or ours was written meanwhile
            if outcome.took:
                return len(pending) if mine else 0
        raise errors.ServiceUnavailable(details={"reason": "receipt_numbering_busy"})  # pragma: no cover

    def _joined_round(self, code: str, year: int) -> tuple[int, asyncio.Future[_Round], bool]:
        """The round of ``code`` under way, or a new one: its place in the order rounds began, the
        round, and whether this call began it. A round numbering from inside itself (a reversal
        whose receipt is still pending) does not wait for itself: it begins one of its own."""
        running = self._rounds.get(code)
        if running is not None and not running[1].done() and running[1] is not asyncio.current_task():
            return running[0], running[1], False
        self._rounds_begun += 1
        future = asyncio.ensure_future(self._round(code, year))
        self._rounds[code] = (self._rounds_begun, future)
        return self._rounds_begun, future, True

    async def _round(self, code: str, year: int) -> _Round:
        """One round of numbering: write the last block taken (a process may have died before
        writing it), then take a block for the receipts pending now and write it, unless another
        process moved the counter first (``took`` False: the caller tries again)."""
        counter = await self.store.receipt_counter(code, year)
        earlier = list(counter.block)
        if self._written_whole.get(code) != (counter.seq, tuple(e.receipt_id for e in earlier)):
            await self._write_block(code, year, counter.seq - len(earlier), earlier)
        pending = await self._unwritten(year)
        if not pending:
            return _Round(earlier, [], False)
        if not await self.store.take_receipt_numbers(code, year, counter.seq, pending):
            return _Round(earlier, pending, False)
        await self._write_block(code, year, counter.seq, pending)
        self._written_whole[code] = (counter.seq + len(pending), tuple(e.receipt_id for e in pending))
        return _Round(earlier, pending, True)

    async def _unwritten(self, year: int) -> list[NumberedEntry]:
        """The year's pending receipts of both kinds, in issue order, that are not written yet."""
        entries: list[tuple[dt.datetime, NumberedEntry]] = []
        for kind in ReceiptKind:
            sources = await self.store.pending_receipts(kind, year, limit=BLOCK)
            written = await self.store.written_receipts(kind, [d.receipt_id for d in sources])
            entries += [(d.issued_at, NumberedEntry(kind=kind, receipt_id=d.receipt_id, source_id=d.source_id))
                        for d in sources if d.receipt_id not in written]
        entries.sort(key=lambda e: (e[0], e[1].kind is ReceiptKind.RED))  # a receipt before its reversal
        return [e for _, e in entries[:BLOCK]]

    async def _write_block(self, code: str, year: int, before_first: int, block: list[NumberedEntry]) -> None:
        """Write the receipts of a block (numbers ``before_first + 1`` onwards) not yet written."""
        if not block:
            return
        for kind in ReceiptKind:
            ids = [e.receipt_id for e in block if e.kind is kind]
            written = await self.store.written_receipts(kind, ids)
            for i, entry in enumerate(block):
                if entry.kind is kind and entry.receipt_id not in written:
                    await (self._write_blue if kind is ReceiptKind.BLUE else self._write_red)(entry, code, year,
                                                                                             before_first + 1 + i)
            await self.store.clear_receipt_pending(kind, [e.source_id for e in block if e.kind is kind])

    def _numbered(self, entry: NumberedEntry, year: int, seq: int, content: SignedContent, *, payment: Payment,
                  amount_fen: int, issued_at: dt.datetime, refund_id: ObjectId | None = None,
                  original_receipt_id: ObjectId | None = None) -> Receipt:
        return Receipt(id=entry.receipt_id, kind=entry.kind, payment_id=payment.id, payer_id=payment.payer_id,
                       application_id=payment.application_id, code=content["code"], number=content["number"],
                       year=year, seq=seq, check_code=new_check_code(), amount_fen=amount_fen,
                       issued_at=issued_at, content=content, signature=self.signer.sign(content),
                       key_id=self.signer.key_id, refund_id=refund_id, original_receipt_id=original_receipt_id)

    async def _payer_masked(self, payer_id: str) -> str:
        payer = await self.users.get(payer_id)
        return rc.mask_name(payer.name_masked if payer else None)

    async def _write_blue(self, entry: NumberedEntry, code: str, year: int, seq: int) -> None:
        p = await self.store.payment(entry.source_id)
        if p is None or p.receipt_issued_at is None:  # pragma: no cover - payments are never deleted
            raise errors.InternalError()
        number = f"{seq:010d}"
        content = rc.build_content(code=code, number=number, payment=p,
                                   payer_masked=await self._payer_masked(p.payer_id),
                                   payee=self.config.payee_name, issued_at=p.receipt_issued_at,
                                   key_id=self.signer.key_id)
        # The message first: the block fixed the number, so a process that dies between the two
        # writes the same receipt again later, and the dedupe key keeps the message single.
        await self.outbox.emit("receipt.issued", user_id=p.payer_id, dedupe_key=f"receipt.issued:{p.id}",
                               payload=payment_event(p, receipt_id=str(p.receipt_id), number=number))
        await self.store.insert_receipt(self._numbered(entry, year, seq, content, payment=p, amount_fen=p.amount_fen,
                                                       issued_at=p.receipt_issued_at))

    async def _write_red(self, entry: NumberedEntry, code: str, year: int, seq: int) -> None:
        r = await self.store.refund(entry.source_id)
        p = await self.store.payment(r.payment_id) if r else None
        if r is None or p is None or r.red_receipt_issued_at is None:  # pragma: no cover - never deleted
            raise errors.InternalError()
        original = await self.store.receipt(p.receipt_id)
        if original is None:  # its receipt is pending in an earlier year's sequence: that one first
            await self.number_pending(p)
            original = await self.store.receipt(p.receipt_id)
        if original is None:  # pragma: no cover
            raise errors.InternalError()
        number = f"{seq:010d}"
        content = rc.build_red_content(code=code, number=number, original=original, refund=r, payment=p,
                                       payer_masked=original.content["payer"], payee=self.config.payee_name,
                                       issued_at=r.red_receipt_issued_at, key_id=self.signer.key_id)
        # The refund's one message, naming this red-letter receipt (as for a receipt: the message
        # first, its dedupe key keeps it single when a dead process's block is written again).
        notice = r.notice
        await self.outbox.emit("payment.refunded", user_id=p.payer_id, dedupe_key=f"payment.refunded:{r.id}",
                               payload=payment_event(p, refund_fen=r.amount_fen,
                                                     refunded_fen=notice["refunded_fen"] if notice else r.amount_fen,
                                                     status=notice["status"] if notice else "paid",
                                                     red_receipt_id=str(entry.receipt_id), red_code=code,
                                                     red_number=number,
                                                     original_number=original.number))
        await self.store.insert_receipt(self._numbered(entry, year, seq, content, payment=p, amount_fen=r.amount_fen,
                                                       issued_at=r.red_receipt_issued_at, refund_id=r.id,
                                                       original_receipt_id=original.id))

    # -- reading -----------------------------------------------------------------------------------------

    async def _views(self, receipts: list[Receipt]) -> list[dict[str, Any]]:
        reds = await self.store.red_receipts_of([r.id for r in receipts if r.kind is ReceiptKind.BLUE])
        refunded: dict[ObjectId | None, int] = {}
        for red in reds:
            refunded[red.original_receipt_id] = refunded.get(red.original_receipt_id, 0) + red.amount_fen
        return [public_receipt(r, refunded_fen=refunded.get(r.id, 0), verify_url=self.verify_link(r))
                for r in receipts]

    async def view(self, receipt: Receipt) -> dict[str, Any]:
        return (await self._views([receipt]))[0]

    async def _access(self, resident: Resident, receipt_id: str, action: str) -> Receipt:
        """The resident's receipt, numbered first when it is decided and its number is still being
        taken: a refund shows its red-letter receipt's id from the moment it succeeds, while the
        request that recorded it (or the job, after a process died) is still numbering it."""
        try:
            return await self.access.access_receipt(resident, receipt_id, action)
        except errors.NotFound:
            decided = await self.store.decided_receipt(receipt_id)
            if decided is None:
                raise
            await self._number(decided.issued_at.astimezone(TZ).year, decided.receipt_id)
            return await self.access.access_receipt(resident, receipt_id, action)

    async def for_resident(self, resident: Resident, receipt_id: str) -> dict[str, Any]:
        return await self.view(await self._access(resident, receipt_id, "view"))

    async def list_for_resident(self, resident: Resident, cursor: str | None,
                                limit: int) -> tuple[list[dict[str, Any]], str | None]:
        page, nxt = await self.store.receipts_page(resident.id, cursor, limit)
        return await self._views(page), nxt

    async def find(self, code: str | None, number: str) -> list[dict[str, Any]]:
        r = await self.store.receipt_by_number(code, number)
        return await self._views([r]) if r else []

    async def red_receipts(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        page, nxt = await self.store.red_receipts_page(cursor, limit)
        return await self._views(page), nxt

    def public_key(self) -> dict[str, Any]:
        """The current key (as before rotation existed) and every key, current and retired."""
        return {"algorithm": "Ed25519", "key_id": self.signer.key_id, "public_key_pem": self.signer.public_pem,
                "canonical_form": "JSON of the receipt content, keys sorted, separators (',', ':'), UTF-8",
                "keys": self.signer.items()}

    def genuine(self, r: Receipt) -> bool:
        """The stored content is what the key named by the receipt signed, and that key vouched for
        receipts on the receipt's issue date (a retired key only before its retirement)."""
        c = r.content
        if c.get("key_id", r.key_id) != r.key_id:
            return False
        return self.signer.verify(c, r.signature, key_id=r.key_id, signed_at=parse_key_time(c.get("issued_at", "")))

    def verify_link(self, r: Receipt) -> str:
        return rc.verify_url(self.public_url, r.code, r.number, r.check_code)

    async def pdf(self, resident: Resident, receipt_id: str) -> tuple[str, bytes]:
        """The file name and PDF of the resident's own receipt, naming the payer in full."""
        r = await self._access(resident, receipt_id, "download")
        name = await self.users.full_name(r.payer_id)
        # Drawing the page takes tens of milliseconds of CPU: off the event loop.
        data = await asyncio.to_thread(rc.render_pdf, r, verify_link=self.verify_link(r),
                                       seal_text=self.rconfig.seal_text, payer_name=name)
        prefix = "red-receipt" if r.kind is ReceiptKind.RED else "receipt"
        return f"{prefix}-{r.code}-{r.number}.pdf", data

    # -- public verification -------------------------------------------------------------------------------

    async def verify(self, code: str, number: str, check: str, ip: str) -> dict[str, Any]:
        """What anyone holding the receipt may learn: whether it is genuine and still stands. The
        payer stays masked. A fully refunded receipt is ``valid: false, status: "voided"``.
        Limited per client address, so the check code cannot be guessed."""
        await self.limiter.hit(self.verify_limit, ip)
        r = await self.store.receipt_by_number(code, number)
        if r is None or not check_code_matches(r.check_code, check) \
                or not self.genuine(r):
            raise errors.NotFound(NOT_FOUND)
        c = r.content
        out: dict[str, Any] = {"kind": str(r.kind), "amount_fen": c["amount_fen"], "payer_masked": c["payer"],
                               "issued_at": r.issued_at, "code": r.code, "number": r.number,
                               "payee": c["payee"], "items": c["items"],
                               # What anyone can check with the key from GET /signing-keys.
                               "key_id": r.key_id, "signature_b64": r.signature,
                               "signed": canonical(c).decode("utf-8")}
        if r.kind is ReceiptKind.RED:
            return {"valid": True, "status": "issued", "refunded_fen": 0, "original": c["original"], **out}
        reds = await self.store.red_receipts_of([r.id])
        refunded = sum(x.amount_fen for x in reds)
        status = receipt_status(r.amount_fen, refunded)
        return {"valid": status != "voided", "status": status, "refunded_fen": refunded,
                "red_receipts": [{"code": x.code, "number": x.number, "amount_fen": -x.amount_fen,
                                  "issued_at": x.issued_at} for x in sorted(reds, key=lambda x: x.seq)],
                **out}
