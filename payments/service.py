"""The payment rules: orders, pay attempts, notices, queries, expiry (refunds: ``refunding.py``).

State machine of an order (缴款单)::

    unpaid ──paid notice/query──▶ paid ──refund──▶ refunding ──success──▶ refunded (all refunded)
      │                            ▲                   │
      └──expired / staff──▶ closed └─────partial / failed┘

Every change is one guarded conditional update from the previous state (the store's
``mark_paid``, ``mark_closed``, ``start_refunding``, ``record_refund_*``), written in one
transaction with its audit entry, its outbox event and (for ``paid``) its receipt. So a repeated
notice, a racing query and a notice, or two processes running the same job can only ever apply a
change once: the loser's conditional update matches nothing.

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
from backend.core.access import Resident, Staff, access_realname
from backend.core.clock import Clock, wall_now
from notify.outbox import Outbox
from payments.access import PaymentAccess
from payments.clearing import PayeeUnits
from payments.errors import DuplicateOrder, NothingToPay, PaymentBusy, PaymentExpired, TooManyAttempts
from payments.fees import FeeResolver
from payments.issuing import ReceiptService, UserDirectory, payment_event
from payments.labels import PAYMENT_STATUS
from payments.providers import AlreadyPaid, AttemptRequest, NoticeAnswer, NoticeRejected, PaidTrade, PaymentChannel
from payments.refunding import Refunding
from payments.store import PaymentStore
from payments.values import Attempt, AttemptStatus, Item, Paid, Payment, PaymentStatus, UnitRef
from payments.views import for_case, payer_view, public_payment, raised_via, staff_payment

log = logging.getLogger("zjb.payments")


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


def _item(resolved: dict[str, Any]) -> Item:
    """A fee item as ``payments/fees.py`` resolved it."""
    unit = resolved.get("unit")
    return Item(name=resolved["name"], amount_fen=int(resolved["amount_fen"]),
                item_code=resolved.get("item_code") or "",
                unit=UnitRef(id=str(unit["id"]), name=str(unit["name"]), unit_code=str(unit.get("unit_code") or ""))
                if unit else None,
                application_id=resolved.get("application_id"), serial=resolved.get("serial") or "",
                fee_key=resolved.get("fee_key"))


def _not_payable(p: Payment) -> errors.InvalidState:
    return errors.InvalidState(f"该缴款单{PAYMENT_STATUS[p.status]}，不能支付")


class PaymentService(Refunding):
    def __init__(self, *, store: PaymentStore, clock: Clock, audit: AuditLog, outbox: Outbox,
                 channels: Mapping[str, PaymentChannel], receipts: ReceiptService, cases: CaseDirectory,
                 payees: PayeeUnits, users: UserDirectory, fees: FeeResolver, config: PaymentsConfig):
        self.store = store
        self.access = PaymentAccess(store)
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

    def _channel(self, name: str) -> PaymentChannel:
        ch = self.channels.get(name)
        if ch is None:
            raise errors.InvalidInput({"channel": "不支持该支付方式"})
        return ch

    # -- orders ----------------------------------------------------------------------------------------

    async def create_order(self, staff: Staff, application_id: str | None, items: list[dict[str, Any]], ip: str, *,
                           serial: str | None = None) -> dict[str, Any]:
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
        resolved = [_item(i) for i in await self.fees.for_case(case, items)]
        await self._refuse_taken([i.fee_key for i in resolved if i.fee_key])
        unit = resolved[0].unit
        same_unit = unit is not None and all(i.unit is not None and i.unit["id"] == unit["id"] for i in resolved)
        order = Payment(id=ObjectId(), application_id=case.id, serial=case.serial, service_name=case.service_name,
                        department_id=case.department_id, payer_id=case.applicant_id, items=tuple(resolved),
                        payee_unit=unit if same_unit else None, amount_fen=total, status=PaymentStatus.UNPAID,
                        created_by=staff.id, created_at=self.clock.now())
        await self._insert_order(order, staff, ip, details={"application_id": case.id, "amount_fen": total})
        return public_payment(order)

    async def _insert_order(self, order: Payment, staff: Staff, ip: str, *, details: dict[str, Any]) -> bool:
        """Write a new order with its open-fee keys, audit entry and message, in one transaction.
        False when an order with this id exists already; 409 ``duplicate_order`` naming the order
        that holds one of its fees."""
        async def write(s: Any) -> None:
            await self.store.insert_payment(order, raised_via=raised_via(order), session=s)
            await self.audit.record(actor=staff_actor(staff), action="payment.create", target_type="payment",
                                    target_id=str(order.id), details=details, ip=ip, session=s)
            await self.outbox.emit("payment.created", user_id=order.payer_id, session=s,
                                   dedupe_key=f"payment.created:{order.id}", payload=payment_event(order))
        try:
            await self._txn(write)
        except DuplicateKeyError:
            if await self.store.payment(order.id) is not None:
                return False  # asked twice for the same order: it exists
            await self._refuse_taken([i.fee_key for i in order.items if i.fee_key])  # another order took a fee first
            raise PaymentBusy("请稍后重试") from None  # it was closed meanwhile
        return True

    async def _refuse_taken(self, keys: list[str]) -> None:
        """409 ``duplicate_order`` when an open or paid order already charges one of these fees."""
        for held in await self.store.fee_holders(keys):
            p = await self.store.payment(held.payment_id)
            if p is None:
                continue
            raise DuplicateOrder(details={
                "payment_id": str(p.id), "status": str(p.status), "out_trade_no": p.out_trade_no,
                "raised_via": held.raised_via or raised_via(p),
                "bundle_serial": p.serial if p.bundle_id else None,
                "application_id": held.application_id, "item_code": held.item_code, "item_name": held.item_name})

    async def create_bundle_order(self, staff: Staff, *, order_id: ObjectId, bundle_id: str, serial: str, title: str,
                                  payer_id: str, application_ids: list[str], ip: str) -> dict[str, Any]:
        """One order for a life-event bundle (一件事): every fee item its cases' guides charge, each
        with its case, code and payee unit, paid once, one receipt listing every item. Idempotent
        on ``order_id`` (the bundle records it before asking); 409 ``duplicate_order`` when a fee of
        one of its cases is already charged by another order."""
        existing = await self.store.payment(order_id)
        if existing is not None:
            return public_payment(existing)
        items: list[Item] = []
        for application_id in application_ids:
            case = await self.cases.get(application_id)
            if case is not None:
                items += [_item(i) for i in await self.fees.from_guide(case)]
        if not items:
            raise NothingToPay()
        await self._refuse_taken([i.fee_key for i in items if i.fee_key])
        total = sum(i.amount_fen for i in items)
        order = Payment(id=order_id, application_id=bundle_id, bundle_id=bundle_id, serial=serial, service_name=title,
                        department_id=None, payer_id=payer_id, items=tuple(items), payee_unit=None, amount_fen=total,
                        status=PaymentStatus.UNPAID, created_by=staff.id, created_at=self.clock.now())
        await self._insert_order(order, staff, ip, details={"bundle_id": bundle_id, "amount_fen": total})
        return public_payment(await self.store.payment(order_id) or order)

    async def order_view(self, payment_id: str) -> dict[str, Any] | None:
        """The public view of an order, or None (for the domains that raise orders)."""
        p = await self.store.payment(payment_id)
        return None if p is None else public_payment(p)

    async def for_resident(self, resident: Resident, payment_id: str, action: str = "view") -> Payment:
        p = await self.access.access_payment(resident, payment_id, action)
        await self.receipts.number_pending(p)  # the receipt it names is complete when it is shown
        return p

    async def list_for_resident(self, resident: Resident, cursor: str | None,
                                limit: int) -> tuple[list[dict[str, Any]], str | None]:
        docs, nxt = await self.store.payments_page(payer_id=resident.id, before=cursor, limit=limit)
        return [public_payment(d) for d in docs], nxt

    async def list_for_staff(self, staff: Staff, q: Mapping[str, Any],
                             ip: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """Orders, newest first (``order=oldest``: oldest first); of one case when it is named by its
        id or its serial; or found by ``q``: a case's serial, or the payer's full name or ID number
        (matched by identity's keyed hashes; such a search is audited)."""
        status, application_id, cursor, limit = q.get("status"), q.get("application_id"), q.get("cursor"), \
            q.get("limit", 50)
        serial, text = q.get("serial"), (q.get("q") or "").strip()
        payer_ids: list[str] | None = None
        if text and not application_id and not serial:
            case = await self.cases.by_serial(text)
            if case is not None:
                application_id, status = case.id, None
            else:
                payer_ids = await self._payers_named(staff, text, first_page=not cursor, ip=ip)
        if serial and not application_id:
            case = await self.cases.by_serial(serial)
            if case is None:
                return [], None
            application_id = case.id
        nxt: str | None
        if application_id:  # one case: its own orders and its bundle's (one short list)
            orders = [d for d in await self.store.orders_of_case(application_id) if not status or d.status == status]
            nxt = None
        elif payer_ids is not None:
            orders, nxt = ([], None) if not payer_ids else \
                await self.store.payments_page(payer_ids=payer_ids, before=cursor, limit=limit)
        else:
            orders, nxt = await self.store.payments_page(status=status, before=cursor, limit=limit,
                                                         oldest=q.get("order") == "oldest")
        payers = await self.users.get_many([d.payer_id for d in orders]) if orders else {}
        return [{**(for_case(public_payment(d), application_id) if application_id else public_payment(d)),
                 "payer": payer_view(d.payer_id, payers.get(d.payer_id))} for d in orders], nxt

    async def _payers_named(self, staff: Staff, text: str, *, first_page: bool, ip: str | None) -> list[str]:
        """The residents with exactly this ID number or full name; the search is audited once (its
        first page), naming the resident when there is one, never what was typed."""
        people = await self.users.find(text)
        if first_page:
            await self.audit.record(actor=staff_actor(staff), action="payment.search", target_type="resident",
                                    target_id=people[0].id if len(people) == 1 else None,
                                    details={"residents": len(people)}, ip=ip)
        return [p.id for p in people]

    async def waiting(self) -> dict[str, Any]:
        """What waits on finance: unpaid orders and refunds under way, with the oldest's time."""
        rows = await self.store.waiting([PaymentStatus.UNPAID, PaymentStatus.REFUNDING])
        return {"items": [{"status": str(w.status), "count": w.count, "oldest_at": w.oldest_at} for w in rows]}

    async def list_for_case(self, resident: Resident, application_id: str) -> list[dict[str, Any]]:
        """A resident's orders for one of their cases, its bundle's included (another's case: none)."""
        return [for_case(public_payment(d), application_id) for d in await self.store.orders_of_case(application_id)
                if d.payer_id == resident.id]

    async def staff_view(self, staff: Staff, payment_id: str) -> dict[str, Any]:
        p = await self.access.access_payment(staff, payment_id, "inspect")
        return staff_payment(p, await self.store.attempts_of(p.id), await self.store.refunds_of(p.id),
                             await self.users.get(p.payer_id))

    # -- paying ------------------------------------------------------------------------------------------

    async def start_pay(self, resident: Resident, payment_id: str, channel_name: str,
                        mode: str = "default") -> dict[str, Any]:
        access_realname(resident)
        p = await self.for_resident(resident, payment_id, "pay")
        channel = self._channel(channel_name)
        if p.status is not PaymentStatus.UNPAID:
            raise _not_payable(p)
        now = self.clock.now()
        if p.expires_at is None:  # the expiry starts with the first pay attempt
            await self.store.start_expiry(p.id, now + dt.timedelta(minutes=self.config.expire_minutes))
            p = await self.store.payment(p.id) or p
            if p.status is not PaymentStatus.UNPAID:
                raise _not_payable(p)
        if p.expires_at is None or p.expires_at <= now:
            raise PaymentExpired("缴款单已过期，请联系窗口重新开具")
        attempt = await self.store.open_attempt(p.id, channel_name)
        if attempt is None:
            seq = await self.store.next_attempt_seq(p.id)
            if seq is None:
                raise errors.InvalidState("缴款单当前不能支付")
            if seq > 99:
                raise TooManyAttempts("支付尝试次数过多，请联系窗口")
            attempt = Attempt(id=ObjectId(), payment_id=p.id, channel=channel_name,
                              out_trade_no=f"ZJB{p.id}{seq:02d}", amount_fen=p.amount_fen,
                              status=AttemptStatus.OPEN, payer_openid=resident.openid, created_at=now,
                              query_count=0, next_query_at=now + dt.timedelta(seconds=self.backoff[0]))
            try:
                await self.store.insert_attempt(attempt)
            except DuplicateKeyError:  # a racing request opened it first: share it
                attempt = await self.store.open_attempt(p.id, channel_name)
                if attempt is None:
                    raise PaymentBusy("请稍后重试") from None
            await self.store.note_attempt(p.id, attempt.out_trade_no)
        try:
            start = await channel.create(AttemptRequest(
                out_trade_no=attempt.out_trade_no, amount_fen=attempt.amount_fen,
                description=f"{p.service_name or '政务服务'}-缴费"[:60], expires_at=p.expires_at,
                payer_openid=attempt.payer_openid or resident.openid, mode=mode))
        except AlreadyPaid:
            raise errors.InvalidState("该缴款单已支付") from None
        await self.store.set_attempt_provider_ref(attempt.id, start.provider_ref)
        return {"channel": channel_name, "out_trade_no": attempt.out_trade_no, "expires_at": p.expires_at,
                **start.client}

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
        if attempt is None or attempt.channel != channel_name:
            return "unknown_order"
        if trade.amount_fen != attempt.amount_fen:
            return "amount_mismatch"
        if attempt.transaction_id:
            return "repeat" if attempt.transaction_id == trade.transaction_id else "transaction_mismatch"
        now = self.clock.now()
        paid_at = trade.paid_at or now
        late_refund: list[ObjectId] = []
        paid: list[Payment] = []

        async def write(s: Any) -> str:
            late_refund.clear()
            paid.clear()
            took = await self.store.mark_attempt_paid(
                attempt.id, Paid(transaction_id=trade.transaction_id, provider_paid_at=paid_at, paid_seen_at=now,
                                 paid_via=trade.source, notice_id=trade.notice_id), session=s)
            if not took:
                return "repeat"
            p = await self.store.mark_paid(attempt.payment_id, channel=channel_name, out_trade_no=trade.out_trade_no,
                                           transaction_id=trade.transaction_id, paid_at=paid_at,
                                           receipt_id=ObjectId(), now=now, session=s)
            if p is None:
                # The order was closed, or paid through another attempt: the money goes back.
                late_refund.append(await self._late_refund(attempt, trade, now, s))
                return "late"
            if p.attempt_seq != 1:
                # Another attempt may be open (attempts are numbered by a conditional increment of
                # the unpaid order, which this transaction has just made paid): close it.
                await self.store.close_open_attempts(p.id, now, session=s, except_id=attempt.id)
            await self.audit.record(actor=system_actor(f"{channel_name}-{trade.source}"), action="payment.paid",
                                    target_type="payment", target_id=str(p.id),
                                    details={"out_trade_no": trade.out_trade_no, "transaction_id": trade.transaction_id,
                                             "amount_fen": trade.amount_fen}, session=s)
            await self.outbox.emit("payment.paid", user_id=p.payer_id, session=s,
                                   dedupe_key=f"payment.paid:{p.id}",
                                   payload=payment_event(p, channel=channel_name, paid_at=paid_at.isoformat()))
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

    # -- jobs ------------------------------------------------------------------------------------------------

    def _next_query(self, a: Attempt) -> dt.datetime:
        n = a.query_count + 1
        return self.clock.now() + dt.timedelta(seconds=self.backoff[min(n, len(self.backoff) - 1)])

    async def query_due(self) -> int:
        """查单: attempts with no notice yet are asked about, on a growing backoff."""
        done = 0
        for a in await self.store.claim_due_attempts(AttemptStatus.OPEN, self.clock.now(), self._next_query):
            channel = self.channels.get(a.channel)
            if channel is None:
                continue
            try:
                st = await channel.query(a.out_trade_no)
            except errors.ProviderError:
                continue
            if st.state == "paid" and st.paid is not None:
                await self.apply_paid(a.channel, st.paid)
            done += 1
        return done

    async def expire_due(self) -> int:
        """Close expired unpaid orders: first at the provider (so no one can pay them), then here;
        and close leftover attempts of orders paid through another attempt."""
        n = 0
        for p in await self.store.due_to_expire(self.clock.now()):
            if await self._close(p, reason="expired", actor=system_actor("payments"), ip=None):
                n += 1
        for a in await self.store.claim_due_attempts(AttemptStatus.CLOSING, self.clock.now(), self._next_query):
            await self._close_attempt_at_provider(a)
        return n

    async def _close_attempt_at_provider(self, a: Attempt) -> bool:
        channel = self.channels.get(a.channel)
        if channel is None:
            return False
        try:
            await channel.close(a.out_trade_no)
        except AlreadyPaid:
            st = await channel.query(a.out_trade_no)
            if st.state == "paid" and st.paid is not None:
                await self.apply_paid(a.channel, st.paid)
            return False
        except errors.ProviderError:
            return False
        await self.store.mark_attempt_closed(a.id, self.clock.now())
        return True

    async def _close(self, p: Payment, *, reason: str, actor: dict[str, Any], ip: str | None) -> bool:
        for a in await self.store.attempts_of(p.id, open_only=True):
            if not await self._close_attempt_at_provider(a):
                return False  # paid meanwhile, or the provider could not be reached: try again later
        now = self.clock.now()

        async def write(s: Any) -> bool:
            if not await self.store.mark_closed(p.id, reason=reason, now=now, session=s):
                return False
            await self.store.close_open_attempts(p.id, now, session=s)
            await self.audit.record(actor=actor, action="payment.close", target_type="payment",
                                    target_id=str(p.id), details={"reason": reason}, ip=ip, session=s)
            await self.outbox.emit("payment.closed", user_id=p.payer_id, session=s,
                                   dedupe_key=f"payment.closed:{p.id}", payload=payment_event(p, reason=reason))
            return True
        return await self._txn(write)

    async def close_by_staff(self, staff: Staff, payment_id: str, reason: str, ip: str) -> dict[str, Any]:
        p = await self.access.access_payment(staff, payment_id, "close")
        if p.status is not PaymentStatus.UNPAID:
            raise errors.InvalidState(f"该缴款单{PAYMENT_STATUS[p.status]}，不能关闭")
        if not await self._close(p, reason=reason or "staff", actor=staff_actor(staff), ip=ip):
            p = await self.store.payment(payment_id) or p
            if p.status is not PaymentStatus.CLOSED:
                raise errors.InvalidState(f"该缴款单{PAYMENT_STATUS[p.status]}，不能关闭")
        return public_payment(await self.store.payment(payment_id) or p)

    async def refund(self, staff: Staff, payment_id: str, amount_fen: int, reason: str, request_id: str,
                     ip: str) -> tuple[dict[str, Any], bool]:
        """Finance refunds (part of) an order (``refunding.py``)."""
        p = await self.access.access_payment(staff, payment_id, "refund")
        return await self.request_refund(staff, p, amount_fen, reason, request_id, ip)
