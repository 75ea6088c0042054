"""清分: which payee unit (收款单位) each fee belongs to, and a day's money per unit.

Every order is collected into the centre's merchant accounts (one per channel); the money then
belongs to the departments' payee units. An order takes its payee unit from its case's department
when it is created (``payee_units`` by department code), and each item its non-tax revenue item
code (非税收入项目编码) by name within that unit, else the unit's default code. Both are kept on
the order, so a later change of the table never rewrites history. A department without a unit
clears to the centre itself.

A day's clearing counts money as the providers do: payments by the provider's payment time and
refunds by their success time, on both channels, so its total is the day's net in the bills
(``agrees_with_bills`` compares it with the stored reconciliation reports).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from backend.core.clock import TZ
from payments.store import PaymentStore

CENTRE = "CENTRE"


class Departments(Protocol):
    """The catalogue's departments (``id``, ``code``, ``name``)."""

    async def departments(self) -> list[dict[str, Any]]: ...


class PayeeUnits:
    def __init__(self, store: PaymentStore, catalogue: Departments, centre_name: str):
        self.store = store
        self.catalogue = catalogue
        self.centre_name = centre_name

    def centre(self) -> dict[str, Any]:
        return {"_id": CENTRE, "name": self.centre_name, "unit_code": "", "items": [], "default_item_code": ""}

    async def for_department(self, department_id: str | None) -> dict[str, Any]:
        code = None
        if department_id:
            code = next((d["code"] for d in await self.catalogue.departments() if d["id"] == str(department_id)), None)
        unit = await self.store.payee_unit(code) if code else None
        return unit or self.centre()

    @staticmethod
    def item_code(unit: dict[str, Any], name: str) -> str:
        return next((i["code"] for i in unit.get("items", []) if i["name"] == name),
                    unit.get("default_item_code") or "")

    async def listing(self) -> list[dict[str, Any]]:
        return [public_unit(u) for u in await self.store.payee_units()] + [public_unit(self.centre())]


def public_unit(u: dict[str, Any]) -> dict[str, Any]:
    return {"id": u["_id"], "name": u["name"], "unit_code": u.get("unit_code") or "",
            "account": u.get("account") or "", "default_item_code": u.get("default_item_code") or "",
            "items": [{"code": i["code"], "name": i["name"]} for i in u.get("items", [])]}


def _bucket(units: dict[str, dict[str, Any]], p: dict[str, Any], centre_name: str) -> dict[str, Any]:
    unit = p.get("payee_unit") or {"id": CENTRE, "name": centre_name, "unit_code": ""}
    row = units.get(unit["id"])
    if row is None:
        row = units[unit["id"]] = {"unit_id": unit["id"], "name": unit["name"], "unit_code": unit.get("unit_code", ""),
                                   "collected_fen": 0, "refunded_fen": 0, "due_fen": 0, "items": {}}
    return row


async def clearing_report(store: PaymentStore, channels: list[str], day: dt.date, centre_name: str) -> dict[str, Any]:
    start = dt.datetime.combine(day, dt.time(), TZ)
    end = start + dt.timedelta(days=1)
    attempts: list[dict[str, Any]] = []
    refunds: list[dict[str, Any]] = []
    for ch in channels:
        attempts += await store.paid_attempts_between(ch, start, end)
        refunds += await store.refunds_succeeded_between(ch, start, end)
    orders = await store.payments_by_ids([a["payment_id"] for a in attempts] + [r["payment_id"] for r in refunds])
    units: dict[str, dict[str, Any]] = {}
    for a in attempts:
        p = orders.get(a["payment_id"], {})  # (an attempt without its order still counts, at the centre)
        row = _bucket(units, p, centre_name)
        row["collected_fen"] += a["amount_fen"]
        for item in p.get("items", []):
            key = item.get("item_code") or ""
            it = row["items"].setdefault(key, {"item_code": key, "name": item["name"], "collected_fen": 0})
            it["collected_fen"] += item["amount_fen"]
    for r in refunds:
        _bucket(units, orders.get(r["payment_id"], {}), centre_name)["refunded_fen"] += r["amount_fen"]
    rows = []
    for row in sorted(units.values(), key=lambda u: (u["unit_id"] == CENTRE, u["unit_id"])):
        row["due_fen"] = row["collected_fen"] - row["refunded_fen"]
        row["items"] = sorted(row["items"].values(), key=lambda i: i["item_code"])
        rows.append(row)
    total = {k: sum(r[k] for r in rows) for k in ("collected_fen", "refunded_fen", "due_fen")}
    per_channel = []
    for ch in channels:
        local = sum(a["amount_fen"] for a in attempts if a["channel"] == ch) \
            - sum(r["amount_fen"] for r in refunds if r["channel"] == ch)
        report = await store.report(ch, day)
        done = report is not None and report.get("state") == "done"
        per_channel.append({"channel": ch, "net_fen": local, "bill_net_fen": report["bill_net_fen"] if done else None,
                            "balanced": report["balanced"] if done else None})
    bills = [c["bill_net_fen"] for c in per_channel]
    agrees = None if any(b is None for b in bills) else sum(bills) == total["due_fen"]
    return {"date": day.isoformat(), "units": rows, "total": total, "channels": per_channel,
            "agrees_with_bills": agrees}
