"""Daily reconciliation (对账): the provider's bill for a day against our records.

- ``missing``: in the bill, not (or not as paid/refunded) here — money we do not account for;
- ``extra``: paid or refunded here on that day, absent from the bill;
- ``mismatched``: on both sides with different amounts.
Days are cut at 00:00 Beijing time, by payment (or refund) time, as the providers cut them.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.core.clock import TZ
from payments.providers import PaymentChannel
from payments.store import PaymentStore


async def reconcile(store: PaymentStore, channel: PaymentChannel, channel_name: str, day: dt.date,
                    now: dt.datetime) -> dict[str, Any]:
    bill = await channel.bill(day)
    start = dt.datetime.combine(day, dt.time(), TZ)
    end = start + dt.timedelta(days=1)
    local_pay = {a["out_trade_no"]: a for a in await store.paid_attempts_between(channel_name, start, end)}
    local_ref = {r["out_refund_no"]: r for r in await store.refunds_succeeded_between(channel_name, start, end)}
    missing: list[dict[str, Any]] = []
    extra: list[dict[str, Any]] = []
    mismatched: list[dict[str, Any]] = []
    matched = 0
    seen_pay: set[str] = set()
    seen_ref: set[str] = set()
    bill_total = 0
    for row in bill.rows:
        if row.kind == "payment":
            bill_total += row.amount_fen
            seen_pay.add(row.out_trade_no)
            local = local_pay.get(row.out_trade_no) or await store.attempt_by_otn(row.out_trade_no)
            if local is None or local.get("status") not in ("paid", "late"):
                missing.append({"kind": "payment", "out_trade_no": row.out_trade_no, "transaction_id": row.transaction_id,
                                "bill_amount_fen": row.amount_fen, "local_status": (local or {}).get("status")})
            elif local["amount_fen"] != row.amount_fen or local.get("transaction_id") != row.transaction_id:
                mismatched.append({"kind": "payment", "out_trade_no": row.out_trade_no,
                                   "bill_amount_fen": row.amount_fen, "local_amount_fen": local["amount_fen"],
                                   "bill_transaction_id": row.transaction_id,
                                   "local_transaction_id": local.get("transaction_id")})
            else:
                matched += 1
        else:
            bill_total -= row.amount_fen
            key = row.out_refund_no or ""
            seen_ref.add(key)
            local = local_ref.get(key) or await store.refund_by_orn(key)
            if local is None or local.get("status") != "success":
                missing.append({"kind": "refund", "out_trade_no": row.out_trade_no, "out_refund_no": key,
                                "bill_amount_fen": row.amount_fen, "local_status": (local or {}).get("status")})
            elif local["amount_fen"] != row.amount_fen:
                mismatched.append({"kind": "refund", "out_refund_no": key, "bill_amount_fen": row.amount_fen,
                                   "local_amount_fen": local["amount_fen"]})
            else:
                matched += 1
    for otn, a in local_pay.items():
        if otn not in seen_pay:
            extra.append({"kind": "payment", "out_trade_no": otn, "local_amount_fen": a["amount_fen"],
                          "transaction_id": a.get("transaction_id")})
    for orn, r in local_ref.items():
        if orn not in seen_ref:
            extra.append({"kind": "refund", "out_refund_no": orn, "local_amount_fen": r["amount_fen"]})
    local_total = sum(a["amount_fen"] for a in local_pay.values()) - sum(r["amount_fen"] for r in local_ref.values())
    return {"date": day.isoformat(), "channel": channel_name, "generated_at": now,
            "bill_rows": len(bill.rows), "bill_net_fen": bill_total, "local_rows": len(local_pay) + len(local_ref),
            "local_net_fen": local_total, "matched": matched, "missing": missing, "extra": extra,
            "mismatched": mismatched, "balanced": not (missing or extra or mismatched)}
