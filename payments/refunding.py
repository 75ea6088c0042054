"""Refunds of paid orders: by finance staff (idempotent per request id), or automatic when money
arrives for an order that can no longer take it (``late_payment``). The part of ``PaymentService``
that asks the providers to refund and applies what they answer, exactly once."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Any, Awaitable, Callable, Mapping, TypeVar

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from backend.audit.service import AuditLog, staff_actor, system_actor
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import Clock, wall_now
from notify.outbox import Outbox
from payments.errors import IdempotencyKeyReused, RefundExceedsPaid, RefundInProgress
from payments.issuing import ReceiptService, payment_event
from payments.labels import PAYMENT_STATUS
from payments.providers import NoticeRejected, PaidTrade, PaymentChannel, RefundState
from payments.store import PaymentStore
from payments.values import Attempt, Payment, PaymentStatus, Refund, RefundKind, RefundNotice, RefundStatus
from payments.views import public_refund

log = logging.getLogger("zjb.payments")
T = TypeVar("T")


class Refunding:
    """Refunds; mixed into ``PaymentService``, which sets these."""
    store: PaymentStore
    clock: Clock
    audit: AuditLog
    outbox: Outbox
    channels: dict[str, PaymentChannel]
    receipts: ReceiptService
    backoff: list[int]

    async def _txn(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        return await self.store.transaction(fn)

    async def request_refund(self, staff: Staff, p: Payment, amount_fen: int, reason: str, request_id: str,
                             ip: str) -> tuple[dict[str, Any], bool]:
        """Start a refund of order ``p``; the same ``request_id`` returns the first result (and
        never refunds twice)."""
        existing = await self.store.refund_by_request(p.id, request_id)
        if existing is not None:
            if existing.amount_fen != amount_fen:
                raise IdempotencyKeyReused("该请求号已用于另一笔退款")
            return public_refund(existing), False
        if p.status is PaymentStatus.REFUNDING:
            raise RefundInProgress("该缴款单有退款正在处理，请稍后再试")
        if p.status is not PaymentStatus.PAID or p.paid_out_trade_no is None or p.paid_channel is None:
            raise errors.InvalidState(f"该缴款单{PAYMENT_STATUS[p.status]}，不能退款")
        if amount_fen > p.refundable_fen:
            raise RefundExceedsPaid("退款金额超过可退金额", details={"refundable_fen": p.refundable_fen})
        now = self.clock.now()
        rid = ObjectId()
        refund = Refund(id=rid, payment_id=p.id, request_id=request_id, out_refund_no=f"R{rid}",
                        out_trade_no=p.paid_out_trade_no, channel=p.paid_channel, amount_fen=amount_fen,
                        total_fen=p.amount_fen, status=RefundStatus.PENDING, kind=RefundKind.STAFF, reason=reason,
                        requested_by=staff.id, created_at=now, next_try_at=now, tries=0)

        async def write(s: Any) -> bool:
            if not await self.store.start_refunding(p.id, amount_fen, refunded_fen_seen=p.refunded_fen, now=now,
                                                    session=s):
                return False
            await self.store.insert_refund(refund, session=s)
            await self.audit.record(actor=staff_actor(staff), action="payment.refund.request", target_type="payment",
                                    target_id=str(p.id), details={"amount_fen": amount_fen, "reason": reason,
                                                                  "request_id": request_id, "refund_id": str(rid)},
                                    ip=ip, session=s)
            return True
        try:
            ok = await self._txn(write)
        except DuplicateKeyError:
            ok = False
        if not ok:
            again = await self.store.refund_by_request(p.id, request_id)
            if again is not None and again.amount_fen == amount_fen:
                return public_refund(again), False
            raise RefundInProgress("该缴款单状态已变化，请刷新后重试")
        await self._try_refund(rid)
        return public_refund(await self.store.refund(rid) or refund), True

    async def _try_refund(self, refund_id: ObjectId) -> None:
        r = await self.store.refund(refund_id)
        if r is None or r.status not in (RefundStatus.PENDING, RefundStatus.PROCESSING):
            return
        channel = self.channels.get(r.channel)
        if channel is None:
            return
        try:
            if r.status is RefundStatus.PENDING:
                st = await channel.refund(out_trade_no=r.out_trade_no, out_refund_no=r.out_refund_no,
                                          amount_fen=r.amount_fen, total_fen=r.total_fen, reason=r.reason)
            else:
                st = await channel.query_refund(out_trade_no=r.out_trade_no, out_refund_no=r.out_refund_no,
                                                amount_fen=r.amount_fen)
        except errors.ProviderError:
            return  # the job tries again with the same out_refund_no (refunds once at the provider)
        await self.apply_refund_state(st, source="api")

    async def refund_notice(self, channel: PaymentChannel, headers: Mapping[str, str], body: bytes) -> str:
        channel_name = channel.channel
        st = channel.parse_refund_notice(headers, body, wall_now())  # signature window: real time
        r = await self.store.refund_by_orn(st.out_refund_no)
        if r is None or r.channel != channel_name or r.out_trade_no != st.out_trade_no \
                or r.amount_fen != st.amount_fen:
            raise NoticeRejected("unknown_or_mismatched_refund")
        return await self.apply_refund_state(st, source="notice")

    async def apply_refund_state(self, st: RefundState, *, source: str) -> str:
        r = await self.store.refund_by_orn(st.out_refund_no)
        if r is None:
            return "unknown"
        if st.state == "absent" and r.status is RefundStatus.PROCESSING:
            st = RefundState(st.out_refund_no, "pending", st.amount_fen)
        if st.state in ("processing", "pending"):
            if st.state == "processing":
                await self.store.mark_refund_processing(r.id, st.provider_ref)
            elif r.status is RefundStatus.PROCESSING:
                await self.store.mark_refund_pending(r.id)
            return "processing"
        if st.state == "success" and st.amount_fen and st.amount_fen != r.amount_fen:
            log.error("refund amount differs at provider", extra={"out_refund_no": r.out_refund_no})
            return "mismatch"
        now = self.clock.now()
        final = RefundStatus.SUCCESS if st.state == "success" else RefundStatus.FAILED
        # a staff refund's red-letter receipt: decided with the success itself (so once per refund,
        # however often the notice comes), numbered right after the transaction (issuing.py)
        red_receipt_id = ObjectId() if final is RefundStatus.SUCCESS and r.kind is RefundKind.STAFF else None

        async def write(s: Any) -> str:
            took = await self.store.finish_refund(r.id, final, at=now, provider_ref=st.provider_ref, via=source,
                                                  red_receipt_id=red_receipt_id, session=s)
            if not took:
                return "repeat"
            if r.kind is RefundKind.LATE_PAYMENT:
                await self.audit.record(actor=system_actor("payments"), action=f"payment.late_refund.{final}",
                                        target_type="payment", target_id=str(r.payment_id),
                                        details={"refund_id": str(r.id), "amount_fen": r.amount_fen}, session=s)
                if final is RefundStatus.SUCCESS:  # the resident paid twice (or too late) and is told it went back
                    order = await self.store.payment(r.payment_id, session=s)
                    if order is not None:
                        await self.outbox.emit("payment.refunded", user_id=order.payer_id, session=s,
                                               dedupe_key=f"payment.refunded:{r.id}",
                                               payload=payment_event(order, refund_fen=r.amount_fen,
                                                                     auto=r.cause or "duplicate", channel=r.channel))
                return str(final)
            amt = r.amount_fen
            if final is RefundStatus.SUCCESS:
                p = await self.store.record_refund_success(r.payment_id, amt, now=now, session=s)
                if p is None:
                    raise errors.InternalError()  # cannot happen: refunding is held while a refund is open
                # one message for the refund, sent with its red-letter receipt's number once that is
                # numbered (issuing.py); what it says about the order is fixed here
                await self.store.set_refund_notice(r.id, RefundNotice(refunded_fen=p.refunded_fen,
                                                                      status=str(p.status)), session=s)
            else:
                await self.store.record_refund_failure(r.payment_id, amt, now=now, session=s)
            await self.audit.record(actor=system_actor(f"{r.channel}-{source}"), action=f"payment.refund.{final}",
                                    target_type="payment", target_id=str(r.payment_id),
                                    details={"refund_id": str(r.id), "amount_fen": amt}, session=s)
            return str(final)
        outcome = await self._txn(write)
        if outcome == "success" and red_receipt_id is not None:
            await self.receipts.number_pending_red(replace(r, red_receipt_id=red_receipt_id,
                                                           red_receipt_issued_at=now, red_receipt_pending=True))
        return outcome

    async def refunds_due(self) -> int:
        n = 0
        for r in await self.store.claim_due_refunds(self.clock.now(), dt.timedelta(seconds=self.backoff[0])):
            await self._try_refund(r.id)
            n += 1
        return n

    async def _late_refund(self, attempt: Attempt, trade: PaidTrade, now: dt.datetime, s: Any) -> ObjectId:
        """Money arrived for an order that can no longer take it: recorded, and refunded."""
        await self.store.mark_attempt_late(attempt.id, session=s)
        order = await self.store.payment(attempt.payment_id, session=s)
        cause = "closed" if order is not None and order.status is PaymentStatus.CLOSED else "duplicate"
        rid = ObjectId()
        await self.store.insert_refund(Refund(
            id=rid, payment_id=attempt.payment_id, request_id=f"late:{attempt.out_trade_no}",
            out_refund_no=f"R{rid}", out_trade_no=attempt.out_trade_no, channel=attempt.channel,
            amount_fen=trade.amount_fen, total_fen=trade.amount_fen, status=RefundStatus.PENDING,
            kind=RefundKind.LATE_PAYMENT, cause=cause, reason="订单已关闭或已支付，款项原路退回", created_at=now,
            next_try_at=now, tries=0), session=s)
        await self.audit.record(actor=system_actor("payments"), action="payment.late_payment_refund",
                                target_type="payment", target_id=str(attempt.payment_id),
                                details={"out_trade_no": attempt.out_trade_no, "amount_fen": trade.amount_fen,
                                         "refund_id": str(rid)}, session=s)
        return rid
