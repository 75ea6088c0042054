"""The payment rules: orders, pay attempts, notices, queries, expiry, refunds, receipts, reconciliation.

State machine of an order (缴款单)::

    unpaid ──paid notice/query──▶ paid ──refund──▶ refunding ──success──▶ refunded (all refunded)
      │                            ▲                   │
      └──expired / staff──▶ closed └─────partial / failed┘

Every change is one guarded conditional update from the previous state (``store.transition``),
written in one transaction with its audit entry, its outbox event and (for ``paid``) its receipt.
So a repeated notice, a racing query and a notice, or two processes running the same job can
only ever apply a change once: the loser's conditional update matches nothing.

Money arriving for an order that can no longer take it (closed, or already paid through another
attempt) is recorded and refunded automatically (a ``late_payment`` refund).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Mapping, Protocol

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from backend.audit.service import AuditLog, staff_actor, system_actor
from backend.config import PaymentsConfig
from backend.core import errors
from backend.core.access import Resident, Staff, access_own, access_realname
from backend.core.clock import Clock, wall_now
from notify.outbox import Outbox
from payments.clearing import PayeeUnits
from payments.errors import (
    DuplicateOrder,
    IdempotencyKeyReused,
    NothingToPay,
    PaymentBusy,
    PaymentExpired,
    RefundExceedsPaid,
    RefundInProgress,
    TooManyAttempts,
)
from payments.fees import FeeResolver
from payments.providers import (
    AlreadyPaid,
    AttemptRequest,
    NoticeAnswer,
    NoticeRejected,
    PaidTrade,
    PaymentChannel,
    RefundState,
)
from payments.receipting import ReceiptService, UserDirectory, UserRef, payment_event
from payments.store import PaymentStore

log = logging.getLogger("zjb.payments")

CHANNEL_NAMES = {"wechat": "微信支付", "alipay": "支付宝"}
STATUS_ZH = {"unpaid": "待支付", "paid": "已支付", "refunding": "退款中", "refunded": "已退款", "closed": "已关闭"}


class CaseRef(Protocol):
    """A case as the cases domain shows it (read-only, so its frozen value fits)."""
    @property
    def id(self) -> str: ...

    @property
    def serial(self) -> str: ...

    @property
    def applicant_id(self) -> str: ...

    @property
    def service_id(self) -> str: ...

    @property
    def service_name(self) -> str: ...

    @property
    def department_id(self) -> str | None: ...

    @property
    def status(self) -> str: ...


class CaseDirectory(Protocol):
    """Cases (办件) as the cases domain shows them to other domains."""

    async def get(self, application_id: str) -> CaseRef | None: ...

    async def by_serial(self, serial: str) -> CaseRef | None: ...


# -- public shapes -------------------------------------------------------------------------------------

RAISED_VIA_ZH = {"case": "办件缴款单", "bundle": "一件事缴款单"}


def public_item(i: dict[str, Any]) -> dict[str, Any]:
    unit = i.get("unit") or {}
    return {"name": i["name"], "amount_fen": i["amount_fen"], "item_code": i.get("item_code") or "",
            "payee_unit": unit.get("name") or "", "unit_code": unit.get("unit_code") or "",
            **({"application_id": i["application_id"], "serial": i.get("serial") or ""}
               if i.get("application_id") else {})}


def public_payment(p: dict[str, Any]) -> dict[str, Any]:
    bundle = p.get("bundle_id")
    return {
        "id": str(p["_id"]), "status": p["status"], "status_text": STATUS_ZH[p["status"]],
        "amount_fen": p["amount_fen"],
        "items": [public_item(i) for i in p["items"]],
        "out_trade_no": p.get("paid_out_trade_no") or p.get("last_out_trade_no"),
        "receipt_id": str(p["receipt_id"]) if p.get("receipt_id") else None,
        "application_id": p["application_id"], "serial": p.get("serial") or "",
        "service_name": p.get("service_name") or "",
        "raised_via": "bundle" if bundle else "case", "raised_via_text": RAISED_VIA_ZH["bundle" if bundle else "case"],
        "bundle_id": bundle, "bundle_serial": p.get("serial") if bundle else None,
        "refunded_fen": p.get("refunded_fen", 0), "refunding_fen": p.get("refunding_fen", 0),
        "paid_channel": p.get("paid_channel"), "paid_at": p.get("paid_at"), "expires_at": p.get("expires_at"),
        "closed_at": p.get("closed_at"), "close_reason": p.get("close_reason"), "created_at": p["created_at"],
    }


def for_case(view: dict[str, Any], application_id: str) -> dict[str, Any]:
    """An order as one case's screen shows it: a bundle's order says the case was paid through it."""
    if view["raised_via"] != "bundle" or view["application_id"] == application_id:
        return view
    own = [i for i in view["items"] if i.get("application_id") == application_id]
    state = {"paid": "已通过一件事缴费", "unpaid": "已通过一件事开具缴款单，待支付",
             "refunding": "已通过一件事缴费（退款中）", "refunded": "已通过一件事缴费，已退款",
             "closed": "一件事缴款单已关闭"}[view["status"]]
    return {**view, "case_items": own, "case_amount_fen": sum(i["amount_fen"] for i in own),
            "case_note": f"{state}（一件事编号 {view['bundle_serial']}）"}


def payer_view(payer_id: str, person: UserRef | None) -> dict[str, Any]:
    """Who pays, as staff see it: masked (the full identity only through the audited reveal)."""
    return {"id": payer_id, "name_masked": person.name_masked if person else None,
            "id_number_masked": person.id_number_masked if person else None}


def public_refund(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(r["_id"]), "payment_id": str(r["payment_id"]), "request_id": r["request_id"],
            "out_refund_no": r["out_refund_no"], "amount_fen": r["amount_fen"], "status": r["status"],
            "kind": r["kind"], "reason": r.get("reason") or "", "created_at": r["created_at"],
            "succeeded_at": r.get("succeeded_at"),
            "red_receipt_id": str(r["red_receipt_id"]) if r.get("red_receipt_id") else None}


class PaymentService:
    def __init__(self, *, store: PaymentStore, clock: Clock, audit: AuditLog, outbox: Outbox,
                 channels: Mapping[str, PaymentChannel], receipts: ReceiptService, cases: CaseDirectory,
                 payees: PayeeUnits, users: UserDirectory, fees: FeeResolver, config: PaymentsConfig):
        self.store = store
        self.payees = payees
        self.fees = fees
        self.clock = clock
        self.audit = audit
        self.outbox = outbox
        self.channels = dict(channels)
        self.receipts = receipts
        self.cases = cases
        self.users = users
        self.config = config
        self.backoff = [int(x) for x in config.query_backoff_seconds]

    async def _txn(self, fn: Any) -> Any:
        return await self.store.transaction(fn)

    def _channel(self, name: str) -> PaymentChannel:
        ch = self.channels.get(name)
        if ch is None:
            raise errors.InvalidInput({"channel": "不支持该支付方式"})
        return ch

    # -- orders ----------------------------------------------------------------------------------------

    async def create_order(self, staff: Staff, application_id: str | None, items: list[dict[str, Any]], ip: str, *,
                           serial: str | None = None) -> dict:
        """An order for the case named by its id or by its serial (办件编号); each item identified by
        its fee item code and given its payee unit (``payments/fees.py``)."""
        if application_id:
            case = await self.cases.get(application_id)
        elif serial:
            case = await self.cases.by_serial(serial)
        else:
            raise errors.InvalidInput({"serial": "请填写办件编号"})
        if case is None:
            raise errors.NotFound("未找到该办件，请核对办件编号")
        if case.status in ("withdrawn", "rejected"):
            raise errors.InvalidState("该办件已撤回或不予受理，不能开具缴款单")
        total = sum(int(i["amount_fen"]) for i in items)
        if total <= 0 or total > 100_000_000:
            raise errors.InvalidInput({"items": "合计金额须在 0.01 元至 100 万元之间"})
        resolved = await self.fees.for_case(case, items)
        await self._refuse_taken([i["fee_key"] for i in resolved])
        unit = resolved[0]["unit"]
        doc = {"_id": ObjectId(), "application_id": case.id, "serial": case.serial, "service_name": case.service_name,
               "department_id": case.department_id, "payer_id": case.applicant_id,
               "items": [{k: v for k, v in i.items() if k != "by_default_code"} for i in resolved],
               "payee_unit": unit if all(i["unit"]["id"] == unit["id"] for i in resolved) else None,
               "amount_fen": total, "status": "unpaid", "refunded_fen": 0, "refunding_fen": 0, "attempt_seq": 0,
               "expires_at": None, "created_by": staff.id, "created_at": self.clock.now(), "version": 1}
        await self._insert_order(doc, staff, ip, raised_via="case",
                                 details={"application_id": case.id, "amount_fen": total})
        return public_payment(doc)

    async def _insert_order(self, doc: dict[str, Any], staff: Staff, ip: str, *, raised_via: str,
                            details: dict[str, Any]) -> bool:
        """Write a new order with its open-fee keys, audit entry and message, in one transaction.
        False when an order with this id exists already; 409 ``duplicate_order`` naming the order
        that holds one of its fees."""
        keys = [{"_id": i["fee_key"], "payment_id": doc["_id"], "application_id": i["application_id"],
                 "item_code": i["item_code"], "item_name": i["name"], "raised_via": raised_via,
                 "created_at": doc["created_at"]} for i in doc["items"]]

        async def write(s: Any) -> None:
            await self.store.insert_payment(doc, session=s)
            await self.store.take_fees(keys, session=s)
            await self.audit.record(actor=staff_actor(staff), action="payment.create", target_type="payment",
                                    target_id=str(doc["_id"]), details=details, ip=ip, session=s)
            await self.outbox.emit("payment.created", user_id=doc["payer_id"], session=s,
                                   dedupe_key=f"payment.created:{doc['_id']}", payload=self._event(doc))
        try:
            await self._txn(write)
        except DuplicateKeyError:
            if await self.store.payment(doc["_id"]) is not None:
                return False  # asked twice for the same order: it exists
            await self._refuse_taken([k["_id"] for k in keys])  # another order took a fee first
            raise PaymentBusy("请稍后重试") from None  # it was closed meanwhile
        return True

    async def _refuse_taken(self, keys: list[str]) -> None:
        """409 ``duplicate_order`` when an open or paid order already charges one of these fees."""
        for held in await self.store.fee_holders(keys):
            p = await self.store.payment(held["payment_id"])
            if p is None:
                continue
            raise DuplicateOrder(details={
                "payment_id": str(p["_id"]), "status": p["status"],
                "out_trade_no": p.get("paid_out_trade_no") or p.get("last_out_trade_no"),
                "raised_via": held.get("raised_via") or ("bundle" if p.get("bundle_id") else "case"),
                "bundle_serial": p.get("serial") if p.get("bundle_id") else None,
                "application_id": held["application_id"], "item_code": held["item_code"],
                "item_name": held["item_name"]})

    async def create_bundle_order(self, staff: Staff, *, order_id: ObjectId, bundle_id: str, serial: str, title: str,
                                  payer_id: str, application_ids: list[str], ip: str) -> dict[str, Any]:
        """One order for a life-event bundle (一件事): every fee item its cases' guides charge, each
        with its case, code and payee unit, paid once, one receipt listing every item. Idempotent
        on ``order_id`` (the bundle records it before asking); 409 ``duplicate_order`` when a fee of
        one of its cases is already charged by another order."""
        existing = await self.store.payment(order_id)
        if existing is not None:
            return public_payment(existing)
        items: list[dict[str, Any]] = []
        for application_id in application_ids:
            case = await self.cases.get(application_id)
            if case is not None:
                items += await self.fees.from_guide(case)
        if not items:
            raise NothingToPay()
        await self._refuse_taken([i["fee_key"] for i in items])
        total = sum(int(i["amount_fen"]) for i in items)
        doc = {"_id": order_id, "application_id": bundle_id, "bundle_id": bundle_id, "serial": serial,
               "service_name": title, "department_id": None, "payer_id": payer_id,
               "items": [{k: v for k, v in i.items() if k != "by_default_code"} for i in items], "payee_unit": None,
               "amount_fen": total, "status": "unpaid", "refunded_fen": 0, "refunding_fen": 0, "attempt_seq": 0,
               "expires_at": None, "created_by": staff.id, "created_at": self.clock.now(), "version": 1}
        await self._insert_order(doc, staff, ip, raised_via="bundle",
                                 details={"bundle_id": bundle_id, "amount_fen": total})
        return public_payment(await self.store.payment(order_id) or doc)

    async def order_view(self, payment_id: str) -> dict[str, Any] | None:
        """The public view of an order, or None (for the domains that raise orders)."""
        p = await self.store.payment(payment_id)
        return None if p is None else public_payment(p)

    def _event(self, p: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return payment_event(p, **extra)

    async def for_resident(self, resident: Resident, payment_id: str) -> dict[str, Any]:
        p = dict(access_own(resident, await self.store.payment(payment_id), owner_field="payer_id"))
        await self.receipts.number_pending(p)  # the receipt it names is complete when it is shown
        return p

    async def list_for_resident(self, resident: Resident, cursor: str | None, limit: int) -> tuple[list, str | None]:
        docs, nxt = await self.store.payments_page(payer_id=resident.id, before=cursor, limit=limit)
        return [public_payment(d) for d in docs], nxt

    async def list_for_staff(self, status: str | None, application_id: str | None, cursor: str | None,
                             limit: int, *, serial: str | None = None) -> tuple[list, str | None]:
        """Orders, newest first; of one case when it is named by its id or its serial."""
        if serial and not application_id:
            case = await self.cases.by_serial(serial)
            if case is None:
                return [], None
            application_id = case.id
        if application_id:  # one case: its own orders and its bundle's (one short list)
            docs = [d for d in await self.store.orders_of_case(application_id) if not status or d["status"] == status]
            nxt = None
        else:
            docs, nxt = await self.store.payments_page(status=status, before=cursor, limit=limit)
        payers = await self.users.get_many([d["payer_id"] for d in docs]) if docs else {}
        return [{**(for_case(public_payment(d), application_id) if application_id else public_payment(d)),
                 "payer": payer_view(d["payer_id"], payers.get(d["payer_id"]))} for d in docs], nxt

    async def list_for_case(self, resident: Resident, application_id: str) -> list[dict[str, Any]]:
        """A resident's orders for one of their cases, its bundle's included (another's case: none)."""
        return [for_case(public_payment(d), application_id) for d in await self.store.orders_of_case(application_id)
                if d["payer_id"] == resident.id]

    async def staff_view(self, payment_id: str) -> dict[str, Any]:
        p = await self.store.payment(payment_id)
        if p is None:
            raise errors.NotFound()
        attempts = await self.store.attempts_of(p["_id"])
        refunds = await self.store.refunds_of(p["_id"])
        return {**public_payment(p), "payer_id": p["payer_id"], "payee_unit": p.get("payee_unit"),
                "item_codes": [i.get("item_code") or "" for i in p["items"]],
                "fee_keys": [i["fee_key"] for i in p["items"] if i.get("fee_key")],
                "payer": payer_view(p["payer_id"], await self.users.get(p["payer_id"])),
                "attempts": [{"out_trade_no": a["out_trade_no"], "channel": a["channel"], "status": a["status"],
                              "transaction_id": a.get("transaction_id"), "created_at": a["created_at"],
                              "paid_at": a.get("provider_paid_at"), "query_count": a.get("query_count", 0)}
                             for a in attempts],
                "refunds": [public_refund(r) for r in refunds]}

    # -- paying ------------------------------------------------------------------------------------------

    async def start_pay(self, resident: Resident, payment_id: str, channel_name: str, mode: str = "default") -> dict:
        access_realname(resident)
        p = await self.for_resident(resident, payment_id)
        channel = self._channel(channel_name)
        self._payable(p)
        now = self.clock.now()
        if p.get("expires_at") is None:  # the expiry starts with the first pay attempt
            await self.store.start_expiry(p["_id"], now + dt.timedelta(minutes=self.config.expire_minutes))
            p = await self.store.payment(p["_id"]) or p
            self._payable(p)
        if p["expires_at"] <= now:
            raise PaymentExpired("缴款单已过期，请联系窗口重新开具")
        attempt = await self.store.open_attempt(p["_id"], channel_name)
        if attempt is None:
            seq = await self.store.next_attempt_seq(p["_id"])
            if seq is None:
                raise errors.InvalidState("缴款单当前不能支付")
            if seq > 99:
                raise TooManyAttempts("支付尝试次数过多，请联系窗口")
            attempt = {"_id": ObjectId(), "payment_id": p["_id"], "channel": channel_name,
                       "out_trade_no": f"ZJB{p['_id']}{seq:02d}", "amount_fen": p["amount_fen"], "status": "open",
                       "payer_openid": resident.openid, "created_at": now, "query_count": 0,
                       "next_query_at": now + dt.timedelta(seconds=self.backoff[0])}
            try:
                await self.store.insert_attempt(attempt)
            except DuplicateKeyError:  # a racing request opened it first: share it
                attempt = await self.store.open_attempt(p["_id"], channel_name)
                if attempt is None:
                    raise PaymentBusy("请稍后重试") from None
            await self.store.note_attempt(p["_id"], attempt["out_trade_no"])
        try:
            start = await channel.create(AttemptRequest(
                out_trade_no=attempt["out_trade_no"], amount_fen=attempt["amount_fen"],
                description=f"{p.get('service_name') or '政务服务'}-缴费"[:60], expires_at=p["expires_at"],
                payer_openid=attempt.get("payer_openid") or resident.openid, mode=mode))
        except AlreadyPaid:
            raise errors.InvalidState("该缴款单已支付") from None
        await self.store.set_attempt_provider_ref(attempt["_id"], start.provider_ref)
        return {"channel": channel_name, "out_trade_no": attempt["out_trade_no"], "expires_at": p["expires_at"],
                **start.client}

    @staticmethod
    def _payable(p: dict[str, Any]) -> None:
        if p["status"] != "unpaid":
            raise errors.InvalidState(f"该缴款单{STATUS_ZH[p['status']]}，不能支付")

    # -- notices and queries --------------------------------------------------------------------------------

    async def receive_notice(self, channel_name: str, kind: str, headers: Mapping[str, str],
                             body: bytes) -> NoticeAnswer | None:
        channel = self.channels.get(channel_name)
        if channel is None:
            return None
        try:
            if kind == "payment":
                await self.payment_notice(channel, headers, body)
            else:
                await self.refund_notice(channel, headers, body)
        except NoticeRejected as e:
            log.warning("notice rejected", extra={"channel": channel_name, "kind": kind, "reason": e.reason})
            return channel.answer_notice("rejected")
        except errors.AppError as e:
            if e.http_status < 500:
                log.warning("notice refused", extra={"channel": channel_name, "kind": kind, "code": e.code})
                return channel.answer_notice("rejected")
            log.warning("notice failed", extra={"channel": channel_name, "kind": kind, "code": e.code})
            return channel.answer_notice("failed")
        except Exception:  # noqa: BLE001 - never leak internals; the provider retries
            log.exception("notice failed", extra={"channel": channel_name, "kind": kind})
            return channel.answer_notice("failed")
        return channel.answer_notice("accepted")

    async def payment_notice(self, channel: PaymentChannel, headers: Mapping[str, str], body: bytes) -> str:
        """Verify and apply a payment notice. Returns the outcome; raises ``NoticeRejected`` when the
        notice must be answered as a failure (nothing was changed)."""
        channel_name = channel.channel
        # The signature window is real time: the provider signs its notices with its real clock.
        trade = channel.parse_notice(headers, body, wall_now())
        outcome = await self.apply_paid(channel_name, trade)
        if outcome in ("unknown_order", "amount_mismatch", "transaction_mismatch"):
            log.warning("payment notice refused", extra={"channel": channel_name, "reason": outcome,
                                                         "out_trade_no": trade.out_trade_no})
            raise NoticeRejected(outcome)
        return outcome

    async def apply_paid(self, channel_name: str, trade: PaidTrade) -> str:
        """Apply the provider's verified statement that an attempt was paid, exactly once."""
        attempt = await self.store.attempt_by_otn(trade.out_trade_no)
        if attempt is None or attempt["channel"] != channel_name:
            return "unknown_order"
        if trade.amount_fen != attempt["amount_fen"]:
            return "amount_mismatch"
        if attempt.get("transaction_id"):
            return "repeat" if attempt["transaction_id"] == trade.transaction_id else "transaction_mismatch"
        now = self.clock.now()
        paid_at = trade.paid_at or now
        late_refund: list[ObjectId] = []
        paid: list[dict[str, Any]] = []

        async def write(s: Any) -> str:
            late_refund.clear()
            paid.clear()
            took = await self.store.mark_attempt_paid(
                attempt["_id"], {"transaction_id": trade.transaction_id, "provider_paid_at": paid_at,
                                 "paid_seen_at": now, "paid_via": trade.source, "notice_id": trade.notice_id},
                session=s)
            if not took:
                return "repeat"
            receipt_id = ObjectId()
            p = await self.store.transition(
                attempt["payment_id"], "unpaid",
                {"status": "paid", "paid_at": paid_at, "paid_channel": channel_name,
                 "paid_out_trade_no": trade.out_trade_no,
                 "transaction_id": trade.transaction_id, "updated_at": now,
                 # its receipt: decided here, numbered right after the transaction (receipting.py)
                 "receipt_id": receipt_id, "receipt_issued_at": now, "receipt_pending": True},
                session=s)
            if p is None:
                # The order was closed, or paid through another attempt: the money goes back.
                refund_id = await self._late_refund(attempt, trade, now, s)
                late_refund.append(refund_id)
                return "late"
            await self.store.close_open_attempts(p["_id"], "closing", now, session=s, except_id=attempt["_id"])
            await self.audit.record(actor=system_actor(f"{channel_name}-{trade.source}"), action="payment.paid",
                                    target_type="payment", target_id=str(p["_id"]),
                                    details={"out_trade_no": trade.out_trade_no, "transaction_id": trade.transaction_id,
                                             "amount_fen": trade.amount_fen}, session=s)
            await self.outbox.emit("payment.paid", user_id=p["payer_id"], session=s,
                                   dedupe_key=f"payment.paid:{p['_id']}",
                                   payload=self._event(p, channel=channel_name, paid_at=paid_at.isoformat()))
            paid.append(p)
            return "applied"

        outcome = await self._txn(write)
        for p in paid:
            await self.receipts.number_pending(p)
        log.info("payment applied", extra={"channel": channel_name, "outcome": outcome,
                                           "out_trade_no": trade.out_trade_no, "source": trade.source})
        for rid in late_refund:
            await self._try_refund(rid)
        return outcome

    async def _late_refund(self, attempt: dict[str, Any], trade: PaidTrade, now: dt.datetime, s: Any) -> ObjectId:
        await self.store.mark_attempt_late(attempt["_id"], session=s)
        order = await self.store.payment(attempt["payment_id"], session=s) or {}
        cause = "closed" if order.get("status") == "closed" else "duplicate"
        rid = ObjectId()
        await self.store.insert_refund({
            "_id": rid, "payment_id": attempt["payment_id"], "request_id": f"late:{attempt['out_trade_no']}",
            "out_refund_no": f"R{rid}", "out_trade_no": attempt["out_trade_no"], "channel": attempt["channel"],
            "amount_fen": trade.amount_fen, "total_fen": trade.amount_fen, "status": "pending", "kind": "late_payment",
            "cause": cause,
            "reason": "订单已关闭或已支付，款项原路退回", "created_at": now, "next_try_at": now, "tries": 0}, session=s)
        await self.audit.record(actor=system_actor("payments"), action="payment.late_payment_refund",
                                target_type="payment", target_id=str(attempt["payment_id"]),
                                details={"out_trade_no": attempt["out_trade_no"], "amount_fen": trade.amount_fen,
                                         "refund_id": str(rid)}, session=s)
        return rid

    # -- jobs ------------------------------------------------------------------------------------------------

    def _next_query(self, a: dict[str, Any]) -> dt.datetime:
        n = int(a.get("query_count", 0)) + 1
        return self.clock.now() + dt.timedelta(seconds=self.backoff[min(n, len(self.backoff) - 1)])

    async def query_due(self) -> int:
        """查单: attempts with no notice yet are asked about, on a growing backoff."""
        done = 0
        for a in await self.store.claim_due_attempts(("open",), self.clock.now(), self._next_query):
            channel = self.channels.get(a["channel"])
            if channel is None:
                continue
            try:
                st = await channel.query(a["out_trade_no"])
            except errors.ProviderError:
                continue
            if st.state == "paid" and st.paid is not None:
                await self.apply_paid(a["channel"], st.paid)
            done += 1
        return done

    async def expire_due(self) -> int:
        """Close expired unpaid orders: first at the provider (so no one can pay them), then here;
        and close leftover attempts of orders paid through another attempt."""
        n = 0
        for p in await self.store.due_to_expire(self.clock.now()):
            if await self._close(p, reason="expired", actor=system_actor("payments"), ip=None):
                n += 1
        for a in await self.store.claim_due_attempts(("closing",), self.clock.now(), self._next_query):
            await self._close_attempt_at_provider(a)
        return n

    async def _close_attempt_at_provider(self, a: dict[str, Any]) -> bool:
        channel = self.channels.get(a["channel"])
        if channel is None:
            return False
        try:
            await channel.close(a["out_trade_no"])
        except AlreadyPaid:
            st = await channel.query(a["out_trade_no"])
            if st.state == "paid" and st.paid is not None:
                await self.apply_paid(a["channel"], st.paid)
            return False
        except errors.ProviderError:
            return False
        await self.store.mark_attempt_closed(a["_id"], self.clock.now())
        return True

    async def _close(self, p: dict[str, Any], *, reason: str, actor: dict[str, Any], ip: str | None) -> bool:
        for a in await self.store.attempts_of(p["_id"], ("open",)):
            if not await self._close_attempt_at_provider(a):
                return False  # paid meanwhile, or the provider could not be reached: try again later
        now = self.clock.now()

        async def write(s: Any) -> bool:
            closed = await self.store.transition(p["_id"], "unpaid", {"status": "closed", "closed_at": now,
                                                                       "close_reason": reason, "updated_at": now},
                                                 session=s, unset=("open_key",))
            if closed is None:
                return False
            await self.store.release_fees(p["_id"], session=s)
            await self.store.close_open_attempts(p["_id"], "closing", now, session=s)
            await self.audit.record(actor=actor, action="payment.close", target_type="payment",
                                    target_id=str(p["_id"]), details={"reason": reason}, ip=ip, session=s)
            await self.outbox.emit("payment.closed", user_id=p["payer_id"], session=s,
                                   dedupe_key=f"payment.closed:{p['_id']}", payload=self._event(p, reason=reason))
            return True
        return await self._txn(write)

    async def close_by_staff(self, staff: Staff, payment_id: str, reason: str, ip: str) -> dict[str, Any]:
        p = await self.store.payment(payment_id)
        if p is None:
            raise errors.NotFound()
        if p["status"] != "unpaid":
            raise errors.InvalidState(f"该缴款单{STATUS_ZH[p['status']]}，不能关闭")
        if not await self._close(p, reason=reason or "staff", actor=staff_actor(staff), ip=ip):
            p = await self.store.payment(payment_id) or p
            if p["status"] != "closed":
                raise errors.InvalidState(f"该缴款单{STATUS_ZH[p['status']]}，不能关闭")
        return public_payment(await self.store.payment(payment_id) or p)

    # -- refunds ---------------------------------------------------------------------------------------------

    async def request_refund(self, staff: Staff, payment_id: str, amount_fen: int, reason: str, request_id: str,
                             ip: str) -> tuple[dict[str, Any], bool]:
        """Start a refund; the same ``request_id`` returns the first result (and never refunds twice)."""
        p = await self.store.payment(payment_id)
        if p is None:
            raise errors.NotFound()
        existing = await self.store.refund_by_request(p["_id"], request_id)
        if existing is not None:
            if existing["amount_fen"] != amount_fen:
                raise IdempotencyKeyReused("该请求号已用于另一笔退款")
            return public_refund(existing), False
        if p["status"] == "refunding":
            raise RefundInProgress("该缴款单有退款正在处理，请稍后再试")
        if p["status"] != "paid":
            raise errors.InvalidState(f"该缴款单{STATUS_ZH[p['status']]}，不能退款")
        refundable = p["amount_fen"] - p.get("refunded_fen", 0)
        if amount_fen > refundable:
            raise RefundExceedsPaid("退款金额超过可退金额",
                                  details={"refundable_fen": refundable})
        now = self.clock.now()
        rid = ObjectId()
        doc = {"_id": rid, "payment_id": p["_id"], "request_id": request_id, "out_refund_no": f"R{rid}",
               "out_trade_no": p["paid_out_trade_no"], "channel": p["paid_channel"], "amount_fen": amount_fen,
               "total_fen": p["amount_fen"], "status": "pending", "kind": "staff", "reason": reason,
               "requested_by": staff.id, "created_at": now, "next_try_at": now, "tries": 0}

        async def write(s: Any) -> bool:
            moved = await self.store.transition(p["_id"], "paid", {"status": "refunding", "updated_at": now},
                                                inc={"refunding_fen": amount_fen}, session=s,
                                                extra_filter={"refunded_fen": p.get("refunded_fen", 0)})
            if moved is None:
                return False
            await self.store.insert_refund(doc, session=s)
            await self.audit.record(actor=staff_actor(staff), action="payment.refund.request", target_type="payment",
                                    target_id=str(p["_id"]), details={"amount_fen": amount_fen, "reason": reason,
                                                                      "request_id": request_id, "refund_id": str(rid)},
                                    ip=ip, session=s)
            return True
        try:
            ok = await self._txn(write)
        except DuplicateKeyError:
            ok = False
        if not ok:
            again = await self.store.refund_by_request(p["_id"], request_id)
            if again is not None and again["amount_fen"] == amount_fen:
                return public_refund(again), False
            raise RefundInProgress("该缴款单状态已变化，请刷新后重试")
        await self._try_refund(rid)
        return public_refund(await self.store.refund(rid) or doc), True

    async def _try_refund(self, refund_id: ObjectId) -> None:
        r = await self.store.refund(refund_id)
        if r is None or r["status"] not in ("pending", "processing"):
            return
        channel = self.channels.get(r["channel"])
        if channel is None:
            return
        try:
            if r["status"] == "pending":
                st = await channel.refund(out_trade_no=r["out_trade_no"], out_refund_no=r["out_refund_no"],
                                          amount_fen=r["amount_fen"], total_fen=r["total_fen"],
                                          reason=r.get("reason") or "")
            else:
                st = await channel.query_refund(out_trade_no=r["out_trade_no"], out_refund_no=r["out_refund_no"],
                                                amount_fen=r["amount_fen"])
        except errors.ProviderError:
            return  # the job tries again with the same out_refund_no (refunds once at the provider)
        await self.apply_refund_state(st, source="api")

    async def refund_notice(self, channel: PaymentChannel, headers: Mapping[str, str], body: bytes) -> str:
        channel_name = channel.channel
        st = channel.parse_refund_notice(headers, body, wall_now())  # signature window: real time
        r = await self.store.refund_by_orn(st.out_refund_no)
        if r is None or r["channel"] != channel_name or r["out_trade_no"] != st.out_trade_no \
                or r["amount_fen"] != st.amount_fen:
            raise NoticeRejected("unknown_or_mismatched_refund")
        return await self.apply_refund_state(st, source="notice")

    async def apply_refund_state(self, st: RefundState, *, source: str) -> str:
        r = await self.store.refund_by_orn(st.out_refund_no)
        if r is None:
            return "unknown"
        if st.state == "absent" and r["status"] == "processing":
            st = RefundState(st.out_refund_no, "pending", st.amount_fen)
        if st.state in ("processing", "pending"):
            if st.state == "processing":
                await self.store.mark_refund_processing(r["_id"], st.provider_ref)
            elif r["status"] == "processing":
                await self.store.mark_refund_pending(r["_id"])
            return "processing"
        if st.state == "success" and st.amount_fen and st.amount_fen != r["amount_fen"]:
            log.error("refund amount differs at provider", extra={"out_refund_no": r["out_refund_no"]})
            return "mismatch"
        now = self.clock.now()
        final = "success" if st.state == "success" else "failed"
        fields: dict[str, Any] = {"succeeded_at" if final == "success" else "failed_at": now,
                                  "provider_ref": st.provider_ref, "result_via": source}
        if final == "success" and r["kind"] == "staff":
            # its red-letter receipt: decided with the success itself (so once per refund, however
            # often the notice comes), numbered right after the transaction (receipting.py)
            fields.update(red_receipt_id=ObjectId(), red_receipt_issued_at=now, red_receipt_pending=True)

        async def write(s: Any) -> str:
            took = await self.store.finish_refund(r["_id"], final, fields, session=s)
            if not took:
                return "repeat"
            if r["kind"] == "late_payment":
                await self.audit.record(actor=system_actor("payments"), action=f"payment.late_refund.{final}",
                                        target_type="payment", target_id=str(r["payment_id"]),
                                        details={"refund_id": str(r["_id"]), "amount_fen": r["amount_fen"]}, session=s)
                if final == "success":  # the resident paid twice (or too late) and is told it went back
                    order = await self.store.payment(r["payment_id"], session=s)
                    if order is not None:
                        await self.outbox.emit("payment.refunded", user_id=order["payer_id"], session=s,
                                               dedupe_key=f"payment.refunded:{r['_id']}",
                                               payload=self._event(order, refund_fen=r["amount_fen"],
                                                                   auto=r.get("cause") or "duplicate",
                                                                   channel=r["channel"]))
                return final
            amt = r["amount_fen"]
            if final == "success":
                p = await self.store.transition(r["payment_id"], "refunding", {"updated_at": now},
                                                inc={"refunded_fen": amt, "refunding_fen": -amt}, session=s)
                if p is None:
                    raise errors.InternalError()  # cannot happen: refunding is held while a refund is open
                status = "refunded" if p["refunded_fen"] >= p["amount_fen"] else "paid"
                await self.store.settle_status(p["_id"], status, session=s)
                # one message for the refund, sent with its red-letter receipt's number once that is
                # numbered (receipting.py); what it says about the order is fixed here
                await self.store.set_refund_notice(r["_id"], {"refunded_fen": p["refunded_fen"], "status": status},
                                                   session=s)
            else:
                p = await self.store.transition(r["payment_id"], "refunding", {"status": "paid", "updated_at": now},
                                                inc={"refunding_fen": -amt}, session=s)
            await self.audit.record(actor=system_actor(f"{r['channel']}-{source}"), action=f"payment.refund.{final}",
                                    target_type="payment", target_id=str(r["payment_id"]),
                                    details={"refund_id": str(r["_id"]), "amount_fen": amt}, session=s)
            return final
        outcome = await self._txn(write)
        if outcome == "success" and "red_receipt_id" in fields:
            await self.receipts.number_pending_red({**r, **fields})
        return outcome

    async def refunds_due(self) -> int:
        n = 0
        for r in await self.store.claim_due_refunds(self.clock.now(), dt.timedelta(seconds=self.backoff[0])):
            await self._try_refund(r["_id"])
            n += 1
        return n
