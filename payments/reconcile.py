"""Daily reconciliation (对账): the provider's bill for a day against our records, payments and refunds.

- ``missing``: in the bill, not (or not as paid/refunded) here — money we do not account for;
- ``extra``: paid or refunded here on that day, absent from the bill;
- ``mismatched``: on both sides with different amounts;
- ``other_day``: in the bill of this day, recorded here on another day.
A report balances only when it lists no line and every total agrees — the count of payments and
refunds, the gross, the refunds and the net — on both sides; ``totals`` gives both sides' figures
and ``differences`` names each total that differs. Days are cut at 00:00 Beijing time, by payment
(or refund) time, as the providers cut them.

The ``payments.reconcile`` job reconciles, per channel, every day whose bills are out (from
``payments.reconcile_after`` on the next day) through a ``DayLedger`` (``backend.core.daily``):
each day exactly once, however long the processes were down or the clock jumped, and by one
process when several run. It stores each report, tries again later while a bill is not published,
and raises an alert for finance (shown in the console until acknowledged) when a report does not
balance, or when a gap longer than ``workers.catch_up_max_days`` leaves days to reconcile by hand.
A day that has not ended is refused.
"""
from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any, Mapping

from backend.audit.service import AuditLog, staff_actor, system_actor
from backend.config import PaymentsConfig
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import TZ, Clock
from backend.core.daily import DayLedger, TryDayLater
from backend.core.store import JobDayStore
from payments.clearing import clearing_report
from payments.errors import BillNotReady, DayNotOver
from payments.providers import BillNotPublished, PaymentChannel
from payments.store import PaymentStore
from payments.values import (
    Acknowledgement,
    AttemptStatus,
    Difference,
    Findings,
    ReconciliationReport,
    RefundStatus,
    ReportLine,
    ReportState,
    Totals,
)

log = logging.getLogger("zjb.payments.reconcile")
LEASE = dt.timedelta(minutes=5)  # a run that dies is taken up again after this
PAID_ATTEMPT = (AttemptStatus.PAID, AttemptStatus.LATE)  # the provider took the money (a late one went back)


async def reconcile(store: PaymentStore, channel: PaymentChannel, channel_name: str, day: dt.date,
                    now: dt.datetime) -> Findings:
    bill = await channel.bill(day)
    start = dt.datetime.combine(day, dt.time(), TZ)
    end = start + dt.timedelta(days=1)
    local_pay = {a.out_trade_no: a for a in await store.paid_attempts_between(channel_name, start, end)}
    local_ref = {r.out_refund_no: r for r in await store.refunds_succeeded_between(channel_name, start, end)}
    missing: list[ReportLine] = []
    extra: list[ReportLine] = []
    mismatched: list[ReportLine] = []
    other_day: list[ReportLine] = []
    matched = 0
    seen_pay: set[str] = set()
    seen_ref: set[str] = set()
    for row in bill.rows:
        if row.kind == "payment":
            seen_pay.add(row.out_trade_no)
            local = local_pay.get(row.out_trade_no)
            elsewhere = None if local is not None else await store.attempt_by_otn(row.out_trade_no)
            if elsewhere is not None and elsewhere.status in PAID_ATTEMPT:
                other_day.append({"kind": "payment", "out_trade_no": row.out_trade_no,
                                  "bill_amount_fen": row.amount_fen, "local_amount_fen": elsewhere.amount_fen,
                                  "local_date": _day_of(elsewhere.provider_paid_at)})
            elif local is None or local.status not in PAID_ATTEMPT:
                missing.append({"kind": "payment", "out_trade_no": row.out_trade_no,
                                "transaction_id": row.transaction_id,
                                "bill_amount_fen": row.amount_fen,
                                "local_status": str(local.status) if local else None})
            elif local.amount_fen != row.amount_fen or local.transaction_id != row.transaction_id:
                mismatched.append({"kind": "payment", "out_trade_no": row.out_trade_no,
                                   "bill_amount_fen": row.amount_fen, "local_amount_fen": local.amount_fen,
                                   "bill_transaction_id": row.transaction_id,
                                   "local_transaction_id": local.transaction_id})
            else:
                matched += 1
        else:
            key = row.out_refund_no or ""
            seen_ref.add(key)
            local_r = local_ref.get(key)
            elsewhere_r = None if local_r is not None else await store.refund_by_orn(key)
            if elsewhere_r is not None and elsewhere_r.status is RefundStatus.SUCCESS:
                other_day.append({"kind": "refund", "out_trade_no": row.out_trade_no, "out_refund_no": key,
                                  "bill_amount_fen": row.amount_fen, "local_amount_fen": elsewhere_r.amount_fen,
                                  "local_date": _day_of(elsewhere_r.succeeded_at)})
            elif local_r is None or local_r.status is not RefundStatus.SUCCESS:
                missing.append({"kind": "refund", "out_trade_no": row.out_trade_no, "out_refund_no": key,
                                "bill_amount_fen": row.amount_fen,
                                "local_status": str(local_r.status) if local_r else None})
            elif local_r.amount_fen != row.amount_fen:
                mismatched.append({"kind": "refund", "out_refund_no": key, "bill_amount_fen": row.amount_fen,
                                   "local_amount_fen": local_r.amount_fen})
            else:
                matched += 1
    for otn, a in local_pay.items():
        if otn not in seen_pay:
            extra.append({"kind": "payment", "out_trade_no": otn, "local_amount_fen": a.amount_fen,
                          "transaction_id": a.transaction_id})
    for orn, r in local_ref.items():
        if orn not in seen_ref:
            extra.append({"kind": "refund", "out_refund_no": orn, "local_amount_fen": r.amount_fen})
    bill_totals = _totals([r.amount_fen for r in bill.rows if r.kind == "payment"],
                          [r.amount_fen for r in bill.rows if r.kind != "payment"])
    local_totals = _totals([a.amount_fen for a in local_pay.values()], [r.amount_fen for r in local_ref.values()])
    differences = _differences(bill_totals, local_totals)
    balanced = not (missing or extra or mismatched or other_day or differences)
    return Findings(generated_at=now, bill_rows=len(bill.rows), bill_net_fen=bill_totals["net_fen"],
                    local_rows=len(local_pay) + len(local_ref), local_net_fen=local_totals["net_fen"],
                    bill_totals=bill_totals, local_totals=local_totals, differences=tuple(differences),
                    matched=matched, missing=tuple(missing), extra=tuple(extra), mismatched=tuple(mismatched),
                    other_day=tuple(other_day), balanced=balanced)


def _totals(payments: list[int], refunds: list[int]) -> Totals:
    """What both sides of a reconciliation must agree on."""
    return Totals(payments=len(payments), refunds=len(refunds), gross_fen=sum(payments),
                  refunds_fen=sum(refunds), net_fen=sum(payments) - sum(refunds))


def _differences(bill: Totals, local: Totals) -> list[Difference]:
    """Each total the two sides do not agree on."""
    pairs = (("payments", bill["payments"], local["payments"]), ("refunds", bill["refunds"], local["refunds"]),
             ("gross_fen", bill["gross_fen"], local["gross_fen"]),
             ("refunds_fen", bill["refunds_fen"], local["refunds_fen"]),
             ("net_fen", bill["net_fen"], local["net_fen"]))
    return [Difference(total=k, bill=b, local=loc) for k, b, loc in pairs if b != loc]


def _day_of(at: dt.datetime | None) -> str | None:
    return at.astimezone(TZ).date().isoformat() if at else None


def public_report(r: ReconciliationReport) -> dict[str, Any]:
    """A report as finance reads it: the job's state, and once reconciled what was found. A field
    the report has not got yet (its findings, the job's tries, an acknowledgement) is absent."""
    out: dict[str, Any] = {"channel": r.channel, "date": r.date, "state": str(r.state), "alert": r.alert,
                           "reason": r.reason}
    for key, value in (("tries", r.tries), ("last_try_at", r.last_try_at), ("acknowledged", r.acknowledged)):
        if value is not None:
            out[key] = value
    f = r.findings
    if f is not None:
        out.update(generated_at=f.generated_at, bill_rows=f.bill_rows, bill_net_fen=f.bill_net_fen,
                   local_rows=f.local_rows, local_net_fen=f.local_net_fen,
                   totals={"bill": f.bill_totals, "local": f.local_totals}, differences=list(f.differences),
                   matched=f.matched, missing=list(f.missing), extra=list(f.extra), mismatched=list(f.mismatched),
                   other_day=list(f.other_day), balanced=f.balanced)
    out["id"] = r.id
    return out


class ReconciliationService:
    def __init__(self, *, store: PaymentStore, clock: Clock, audit: AuditLog, channels: Mapping[str, PaymentChannel],
                 config: PaymentsConfig, job_days: JobDayStore, catch_up_max_days: int):
        self.store = store
        self.clock = clock
        self.audit = audit
        self.channels = dict(channels)
        self.config = config
        self.after = dt.time.fromisoformat(config.reconcile_after)
        self.ledgers = {name: DayLedger(job_days, clock, f"payments.reconcile:{name}", first_days=config.reconcile_days,
                                        max_days=catch_up_max_days, lease=LEASE,
                                        on_skipped=partial(self._skipped, name))
                        for name in self.channels}

    def _channel(self, name: str) -> PaymentChannel:
        ch = self.channels.get(name)
        if ch is None:
            raise errors.InvalidInput({"channel": "不支持该支付方式"})
        return ch

    def _today(self) -> dt.date:
        return self.clock.now().astimezone(TZ).date()

    async def reconcile(self, day: dt.date, channel_name: str, staff: Staff | None,
                        ip: str | None = None) -> dict[str, Any]:
        """Reconcile one channel and day now (finance staff or the CLI); the report replaces any earlier one."""
        channel = self._channel(channel_name)
        if day >= self._today():
            raise DayNotOver(details={"date": day.isoformat(), "today": self._today().isoformat()})
        try:
            findings = await self._run(channel, channel_name, day)
        except BillNotPublished:
            raise BillNotReady(details={"channel": channel_name, "date": day.isoformat()}) from None
        await self._record(channel_name, day, findings, staff_actor(staff) if staff else system_actor("cli"), ip)
        return public_report(ReconciliationReport(channel=channel_name, date=day.isoformat(), state=ReportState.DONE,
                                                  alert=not findings.balanced, reason=None, findings=findings))

    async def _run(self, channel: PaymentChannel, channel_name: str, day: dt.date) -> Findings:
        findings = await reconcile(self.store, channel, channel_name, day, self.clock.now())
        await self.store.record_reconciled(channel_name, day, findings)
        if not findings.balanced:
            log.warning("reconciliation does not balance", extra={"channel": channel_name, "date": day.isoformat(),
                                                                   "missing": len(findings.missing),
                                                                   "extra": len(findings.extra),
                                                                   "mismatched": len(findings.mismatched),
                                                                   "other_day": len(findings.other_day),
                                                                   "differences": list(findings.differences)})
        return findings

    async def _record(self, channel_name: str, day: dt.date, f: Findings, actor: dict[str, Any],
                      ip: str | None) -> None:
        await self.audit.record(actor=actor, action="payment.reconcile", target_type="reconciliation",
                                target_id=f"{channel_name}:{day.isoformat()}", ip=ip,
                                details={"balanced": f.balanced, "missing": len(f.missing),
                                         "extra": len(f.extra), "mismatched": len(f.mismatched),
                                         "other_day": len(f.other_day),
                                         "differences": [d["total"] for d in f.differences]})

    def last_due_day(self) -> dt.date:
        """The last day whose bills the providers have published by now."""
        local = self.clock.now().astimezone(TZ)
        return local.date() - dt.timedelta(days=1 if local.time() >= self.after else 2)

    async def reconcile_due(self) -> int:
        """The job: every channel's days up to the last one due, each once (the ledger's watermark
        makes a run in steady state one read per channel)."""
        last = self.last_due_day()
        done = 0
        for name, channel in self.channels.items():
            async def work(day: dt.date, name: str = name, channel: PaymentChannel = channel) -> None:
                await self._reconcile_day(name, channel, day)
            done += await self.ledgers[name].run(last, work)
        return done

    async def _reconcile_day(self, name: str, channel: PaymentChannel, day: dt.date) -> None:
        known = await self.store.report(name, day)
        if known is not None and known.state is ReportState.DONE:
            return  # finance reconciled it by hand before the job came to it
        now = self.clock.now()
        retry = dt.timedelta(minutes=self.config.reconcile_retry_minutes)
        try:
            findings = await self._run(channel, name, day)
        except BillNotPublished:
            await self.store.retry_reconciliation(name, day, ReportState.WAITING_BILL, now + retry, "bill_not_ready",
                                                  now)
            raise TryDayLater("bill_not_ready", retry) from None
        except errors.ProviderError as e:
            reason = str(e.details.get("code") or "provider_error")
            await self.store.retry_reconciliation(name, day, ReportState.FAILED, now + retry, reason, now)
            raise TryDayLater(reason, retry) from None
        await self._record(name, day, findings, system_actor("payments.reconcile"), None)

    async def _skipped(self, name: str, days: list[dt.date]) -> None:
        """Days beyond the catch-up limit: each shows in finance's alerts as a day to reconcile by hand."""
        now = self.clock.now()
        for day in days:
            await self.store.skip_reconciliation(name, day, now)

    async def report(self, day: dt.date, channel_name: str) -> dict[str, Any]:
        report = await self.store.report(channel_name, day)
        if report is None:
            raise errors.NotFound("尚未对该日对账")
        return public_report(report)

    async def reports(self, days: int) -> list[dict[str, Any]]:
        return [public_report(d) for d in await self.store.reports_since(self._today() - dt.timedelta(days=days))]

    async def alerts(self) -> list[dict[str, Any]]:
        return [public_report(d) for d in await self.store.open_alerts()]

    async def acknowledge(self, staff: Staff, report_id: str, note: str, ip: str) -> dict[str, Any]:
        """Finance has looked into an unbalanced report: its alert leaves the console."""
        report = await self.store.report_by_id(report_id)
        if report is None:
            raise errors.NotFound("未找到该对账报告")
        if not report.alert:
            raise errors.InvalidState("该对账报告没有待处理的告警")
        ack = Acknowledgement(by=staff.username, at=self.clock.now(), note=note)
        if await self.store.acknowledge_report(report_id, ack):
            await self.audit.record(actor=staff_actor(staff), action="payment.reconcile.acknowledge",
                                    target_type="reconciliation", target_id=report_id, details={"note": note}, ip=ip)
        return public_report(await self.store.report_by_id(report_id) or report)

    async def clearing(self, day: dt.date) -> dict[str, Any]:
        return await clearing_report(self.store, list(self.channels), day)
