"""清分: which payee unit (收款单位) each fee belongs to, and a day's money per unit.

Every order is collected into the centre's merchant accounts (one per channel); the money then
belongs to the payee units. Each item of an order carries its own item code (非税收入项目编码) and
payee unit from its creation (``payments/fees.py``), so a 一件事 order paying three departments'
fees is credited to three units, each item under its own code and name; the order keeps both, so a
later change of the tables never rewrites history. An item with no unit is refused when the order
is made; an order from before items carried units clears to the order's unit, and one with none
at all is listed as unassigned, never credited to anyone silently.

A day's clearing counts money as the providers do: payments by the provider's payment time and
refunds by their success time, on both channels, so its total is the day's net in the bills
(``agrees_with_bills`` compares it with the stored reconciliation reports). A refund is taken
from the order's items in proportion to their amounts (largest remainder, in item order), so a full
refund gives every unit back exactly what it was credited.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from backend.core.clock import TZ
from payments.store import PaymentStore
from payments.values import Attempt, Item, PayeeUnit, Payment, Refund, ReportState, UnitItem, UnitRef


class Departments(Protocol):
    """The catalogue's departments (``id``, ``code``, ``name``)."""

    async def departments(self) -> list[dict[str, Any]]: ...


class PayeeUnits:
    def __init__(self, store: PaymentStore, catalogue: Departments):
        self.store = store
        self.catalogue = catalogue

    async def for_department(self, department_id: str | None) -> PayeeUnit | None:
        """The payee unit of a department, or None when it has none."""
        code = None
        if department_id:
            code = next((d["code"] for d in await self.catalogue.departments() if d["id"] == str(department_id)), None)
        return await self.store.payee_unit(code) if code else None

    async def by_unit_code(self, unit_code: str) -> PayeeUnit | None:
        """The payee unit with this 执收单位编码 (as a guide's fee item names it)."""
        return await self.store.payee_unit_by_code(unit_code)

    async def listing(self) -> list[dict[str, Any]]:
        return [public_unit(u) for u in await self.store.payee_units()]


def public_unit(u: PayeeUnit) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "unit_code": u.unit_code, "account": u.account,
            "default_item_code": u.default_item_code, "items": [{"code": i.code, "name": i.name} for i in u.items]}


class SeedUnits:
    """Where the sandbox adds its demo payee units (given as documents, ``_id`` the department code)."""

    def __init__(self, store: PaymentStore):
        self.store = store

    async def add_payee_unit(self, doc: dict[str, Any]) -> None:
        await self.store.add_payee_unit(PayeeUnit(
            id=doc["_id"], name=doc["name"], unit_code=doc.get("unit_code") or "", account=doc.get("account") or "",
            default_item_code=doc.get("default_item_code") or "", department_code=doc.get("department_code"),
            items=tuple(UnitItem(code=i["code"], name=i["name"]) for i in doc.get("items", []))))


def _item_unit(p: Payment, item: Item) -> UnitRef | None:
    return item.unit or p.payee_unit


def apportion(items: Sequence[Item], amount: int) -> list[int]:
    """``amount`` spread over ``items`` in proportion to their amounts (largest remainder, ties in
    item order); the parts add up to ``amount``."""
    total = sum(i.amount_fen for i in items)
    if total <= 0:
        return [0 for _ in items]
    exact = [amount * i.amount_fen for i in items]
    parts = [e // total for e in exact]
    rest = amount - sum(parts)
    order = sorted(range(len(items)), key=lambda k: (-(exact[k] % total), k))
    for k in order[:rest]:
        parts[k] += 1
    return parts


class _Ledger:
    def __init__(self) -> None:
        self.units: dict[str, dict[str, Any]] = {}
        self.unassigned: list[dict[str, Any]] = []

    def row(self, unit: UnitRef) -> dict[str, Any]:
        row = self.units.get(unit["id"])
        if row is None:
            row = self.units[unit["id"]] = {"unit_id": unit["id"], "name": unit["name"],
                                            "unit_code": unit.get("unit_code", ""), "collected_fen": 0,
                                            "refunded_fen": 0, "due_fen": 0, "items": {}}
        return row

    def credit(self, p: Payment | None, amount: int, *, ref: dict[str, Any], refund: bool) -> None:
        """Credit (or, for a refund, debit) ``amount`` of order ``p`` to the units of its items."""
        items = p.items if p is not None else ()
        parts = apportion(items, amount) if refund else [i.amount_fen for i in items]
        if p is None or not items or sum(parts) != amount:  # an order we cannot read: listed, never guessed
            self.unassigned.append({**ref, "amount_fen": -amount if refund else amount, "reason": "order_unreadable"})
            return
        for item, part in zip(items, parts, strict=True):
            unit = _item_unit(p, item)
            if unit is None or not unit.get("id"):
                self.unassigned.append({**ref, "payment_id": str(p.id), "item_name": item.name,
                                        "amount_fen": -part if refund else part, "reason": "no_payee_unit"})
                continue
            row = self.row(unit)
            code = item.item_code
            it = row["items"].setdefault((code, item.name), {"item_code": code, "name": item.name,
                                                                "unit_code": row["unit_code"],
                                                                "collected_fen": 0, "refunded_fen": 0})
            if refund:
                row["refunded_fen"] += part
                it["refunded_fen"] += part
            else:
                row["collected_fen"] += part
                it["collected_fen"] += part


async def clearing_report(store: PaymentStore, channels: list[str], day: dt.date) -> dict[str, Any]:
    start = dt.datetime.combine(day, dt.time(), TZ)
    end = start + dt.timedelta(days=1)
    attempts: list[Attempt] = []
    refunds: list[Refund] = []
    for ch in channels:
        attempts += await store.paid_attempts_between(ch, start, end)
        refunds += await store.refunds_succeeded_between(ch, start, end)
    orders = await store.payments_by_ids([a.payment_id for a in attempts] + [r.payment_id for r in refunds])
    ledger = _Ledger()
    for a in attempts:
        ledger.credit(orders.get(a.payment_id), a.amount_fen, refund=False,
                      ref={"kind": "payment", "channel": a.channel, "out_trade_no": a.out_trade_no})
    for r in refunds:
        ledger.credit(orders.get(r.payment_id), r.amount_fen, refund=True,
                      ref={"kind": "refund", "channel": r.channel, "out_trade_no": r.out_trade_no,
                           "out_refund_no": r.out_refund_no})
    rows = []
    for row in sorted(ledger.units.values(), key=lambda u: u["unit_id"]):
        row["due_fen"] = row["collected_fen"] - row["refunded_fen"]
        row["items"] = [{**i, "due_fen": i["collected_fen"] - i["refunded_fen"]}
                        for _, i in sorted(row["items"].items(), key=lambda kv: kv[0])]
        rows.append(row)
    unassigned_fen = sum(u["amount_fen"] for u in ledger.unassigned)
    total = {k: sum(r[k] for r in rows) for k in ("collected_fen", "refunded_fen", "due_fen")}
    per_channel: list[dict[str, Any]] = []
    for ch in channels:
        local = sum(a.amount_fen for a in attempts if a.channel == ch) \
            - sum(r.amount_fen for r in refunds if r.channel == ch)
        report = await store.report(ch, day)
        found = report.findings if report is not None and report.state is ReportState.DONE else None
        bill_net = found.bill_net_fen if found is not None else None
        # a channel balances only when its report does and its net here is its bill's net
        per_channel.append({"channel": ch, "net_fen": local, "bill_net_fen": bill_net,
                            "balanced": (found.balanced and local == bill_net) if found is not None else None})
    bills = [c["bill_net_fen"] for c in per_channel]
    agrees = None if any(b is None for b in bills) else \
        (sum(bills) == total["due_fen"] and not ledger.unassigned and all(c["balanced"] for c in per_channel))
    return {"date": day.isoformat(), "units": rows, "total": {**total, "unassigned_fen": unassigned_fen},
            "unassigned": ledger.unassigned, "channels": per_channel, "agrees_with_bills": agrees}
