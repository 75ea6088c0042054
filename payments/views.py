"""The JSON the payments API returns for orders and refunds, built from their values."""
from __future__ import annotations

from typing import Any

from payments.issuing import UserRef
from payments.labels import PAYMENT_STATUS
from payments.values import Attempt, Item, Payment, Refund

RAISED_VIA_ZH = {"case": "办件缴款单", "bundle": "一件事缴款单"}


def public_item(i: Item) -> dict[str, Any]:
    unit = i.unit or {}
    return {"name": i.name, "amount_fen": i.amount_fen, "item_code": i.item_code,
            "payee_unit": unit.get("name") or "", "unit_code": unit.get("unit_code") or "",
            **({"application_id": i.application_id, "serial": i.serial} if i.application_id else {})}


def raised_via(p: Payment) -> str:
    return "bundle" if p.bundle_id else "case"


def public_payment(p: Payment) -> dict[str, Any]:
    via = raised_via(p)
    return {
        "id": str(p.id), "status": str(p.status), "status_text": PAYMENT_STATUS[p.status],
        "amount_fen": p.amount_fen,
        "items": [public_item(i) for i in p.items],
        "out_trade_no": p.out_trade_no,
        "receipt_id": str(p.receipt_id) if p.receipt_id else None,
        "application_id": p.application_id, "serial": p.serial,
        "service_name": p.service_name,
        "raised_via": via, "raised_via_text": RAISED_VIA_ZH[via],
        "bundle_id": p.bundle_id, "bundle_serial": p.serial if p.bundle_id else None,
        "refunded_fen": p.refunded_fen, "refunding_fen": p.refunding_fen,
        "paid_channel": p.paid_channel, "paid_at": p.paid_at, "expires_at": p.expires_at,
        "closed_at": p.closed_at, "close_reason": p.close_reason, "created_at": p.created_at,
    }


CASE_NOTE = {"paid": "已通过一件事缴费", "unpaid": "已通过一件事开具缴款单，待支付",
             "refunding": "已通过一件事缴费（退款中）", "refunded": "已通过一件事缴费，已退款",
             "closed": "一件事缴款单已关闭"}


def for_case(view: dict[str, Any], application_id: str) -> dict[str, Any]:
    """An order as one case's screen shows it: a bundle's order says the case was paid through it."""
    if view["raised_via"] != "bundle" or view["application_id"] == application_id:
        return view
    own = [i for i in view["items"] if i.get("application_id") == application_id]
    return {**view, "case_items": own, "case_amount_fen": sum(i["amount_fen"] for i in own),
            "case_note": f"{CASE_NOTE[view['status']]}（一件事编号 {view['bundle_serial']}）"}


def payer_view(payer_id: str, person: UserRef | None) -> dict[str, Any]:
    """Who pays, as staff see it: masked (the full identity only through the audited reveal)."""
    return {"id": payer_id, "name_masked": person.name_masked if person else None,
            "id_number_masked": person.id_number_masked if person else None}


def public_refund(r: Refund) -> dict[str, Any]:
    return {"id": str(r.id), "payment_id": str(r.payment_id), "request_id": r.request_id,
            "out_refund_no": r.out_refund_no, "amount_fen": r.amount_fen, "status": str(r.status),
            "kind": str(r.kind), "reason": r.reason, "created_at": r.created_at,
            "succeeded_at": r.succeeded_at,
            "red_receipt_id": str(r.red_receipt_id) if r.red_receipt_id else None}


def public_attempt(a: Attempt) -> dict[str, Any]:
    """A pay attempt as staff see it on an order."""
    return {"out_trade_no": a.out_trade_no, "channel": a.channel, "status": str(a.status),
            "transaction_id": a.transaction_id, "created_at": a.created_at,
            "paid_at": a.provider_paid_at, "query_count": a.query_count}


def staff_payment(p: Payment, attempts: list[Attempt], refunds: list[Refund],
                  payer: UserRef | None) -> dict[str, Any]:
    """An order as staff see it: its payer masked, its attempts and refunds."""
    return {**public_payment(p), "payer_id": p.payer_id,
            "payee_unit": dict(p.payee_unit) if p.payee_unit is not None else None,
            "item_codes": [i.item_code for i in p.items],
            "fee_keys": [i.fee_key for i in p.items if i.fee_key],
            "payer": payer_view(p.payer_id, payer),
            "attempts": [public_attempt(a) for a in attempts],
            "refunds": [public_refund(r) for r in refunds]}
