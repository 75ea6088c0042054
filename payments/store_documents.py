"""How the payments domain's values are stored: the mapping between documents and values that
only ``payments/store.py`` uses (kept apart so the store holds the queries)."""
from __future__ import annotations

from typing import Any, cast

from payments.values import (
    Acknowledgement,
    Attempt,
    AttemptStatus,
    Difference,
    Findings,
    Item,
    NumberedEntry,
    PayeeUnit,
    Payment,
    PaymentStatus,
    Receipt,
    ReceiptCounter,
    ReceiptKind,
    ReconciliationReport,
    Refund,
    RefundKind,
    RefundNotice,
    RefundStatus,
    ReportLine,
    ReportState,
    Totals,
    UnitItem,
    UnitRef,
)


def unit_ref(value: Any) -> UnitRef | None:
    if not value:
        return None
    return UnitRef(id=str(value.get("id") or ""), name=str(value.get("name") or ""),
                   unit_code=str(value.get("unit_code") or ""))


def item_from_doc(d: dict[str, Any]) -> Item:
    return Item(name=d["name"], amount_fen=int(d["amount_fen"]), item_code=d.get("item_code") or "",
                unit=unit_ref(d.get("unit")), application_id=d.get("application_id"), serial=d.get("serial") or "",
                fee_key=d.get("fee_key"))


def item_to_doc(i: Item) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": i.name, "amount_fen": i.amount_fen, "item_code": i.item_code}
    if i.unit is not None:
        doc["unit"] = dict(i.unit)
    if i.application_id is not None:
        doc.update(application_id=i.application_id, serial=i.serial)
    if i.fee_key is not None:
        doc["fee_key"] = i.fee_key
    return doc


def payment_from_doc(d: dict[str, Any]) -> Payment:
    return Payment(
        id=d["_id"], application_id=d["application_id"], payer_id=d["payer_id"],
        items=tuple(item_from_doc(i) for i in d["items"]), amount_fen=int(d["amount_fen"]),
        status=PaymentStatus(d["status"]), created_at=d["created_at"], bundle_id=d.get("bundle_id"),
        serial=d.get("serial") or "", service_name=d.get("service_name") or "",
        department_id=d.get("department_id"), payee_unit=unit_ref(d.get("payee_unit")),
        refunded_fen=int(d.get("refunded_fen", 0)), refunding_fen=int(d.get("refunding_fen", 0)),
        attempt_seq=int(d.get("attempt_seq", 0)), expires_at=d.get("expires_at"), created_by=d.get("created_by"),
        version=int(d.get("version", 1)), last_out_trade_no=d.get("last_out_trade_no"),
        paid_out_trade_no=d.get("paid_out_trade_no"), paid_channel=d.get("paid_channel"), paid_at=d.get("paid_at"),
        transaction_id=d.get("transaction_id"), receipt_id=d.get("receipt_id"),
        receipt_issued_at=d.get("receipt_issued_at"), receipt_pending=bool(d.get("receipt_pending")),
        closed_at=d.get("closed_at"), close_reason=d.get("close_reason"), updated_at=d.get("updated_at"))


def payment_to_doc(p: Payment) -> dict[str, Any]:
    """A new order's document (what a later change sets is written by that change)."""
    doc: dict[str, Any] = {
        "_id": p.id, "application_id": p.application_id, "serial": p.serial, "service_name": p.service_name,
        "department_id": p.department_id, "payer_id": p.payer_id, "items": [item_to_doc(i) for i in p.items],
        "payee_unit": dict(p.payee_unit) if p.payee_unit is not None else None, "amount_fen": p.amount_fen,
        "status": str(p.status), "refunded_fen": p.refunded_fen, "refunding_fen": p.refunding_fen,
        "attempt_seq": p.attempt_seq, "expires_at": p.expires_at, "created_by": p.created_by,
        "created_at": p.created_at, "version": p.version}
    if p.bundle_id is not None:
        doc["bundle_id"] = p.bundle_id
    return doc


def attempt_from_doc(d: dict[str, Any]) -> Attempt:
    return Attempt(id=d["_id"], payment_id=d["payment_id"], channel=d["channel"], out_trade_no=d["out_trade_no"],
                   amount_fen=int(d["amount_fen"]), status=AttemptStatus(d["status"]), created_at=d["created_at"],
                   payer_openid=d.get("payer_openid"), query_count=int(d.get("query_count", 0)),
                   next_query_at=d.get("next_query_at"), provider_ref=d.get("provider_ref"),
                   transaction_id=d.get("transaction_id"), provider_paid_at=d.get("provider_paid_at"),
                   closed_at=d.get("closed_at"))


def attempt_to_doc(a: Attempt) -> dict[str, Any]:
    return {"_id": a.id, "payment_id": a.payment_id, "channel": a.channel, "out_trade_no": a.out_trade_no,
            "amount_fen": a.amount_fen, "status": str(a.status), "payer_openid": a.payer_openid,
            "created_at": a.created_at, "query_count": a.query_count, "next_query_at": a.next_query_at}


def refund_from_doc(d: dict[str, Any]) -> Refund:
    notice = d.get("notice")
    return Refund(
        id=d["_id"], payment_id=d["payment_id"], request_id=d["request_id"], out_refund_no=d["out_refund_no"],
        out_trade_no=d["out_trade_no"], channel=d["channel"], amount_fen=int(d["amount_fen"]),
        total_fen=int(d.get("total_fen", d["amount_fen"])), status=RefundStatus(d["status"]),
        kind=RefundKind(d["kind"]), created_at=d["created_at"], reason=d.get("reason") or "", cause=d.get("cause"),
        requested_by=d.get("requested_by"), next_try_at=d.get("next_try_at"), tries=int(d.get("tries", 0)),
        provider_ref=d.get("provider_ref"), result_via=d.get("result_via"), succeeded_at=d.get("succeeded_at"),
        failed_at=d.get("failed_at"), red_receipt_id=d.get("red_receipt_id"),
        red_receipt_issued_at=d.get("red_receipt_issued_at"), red_receipt_pending=bool(d.get("red_receipt_pending")),
        notice=RefundNotice(refunded_fen=int(notice["refunded_fen"]), status=str(notice["status"]))
        if notice else None)


def refund_to_doc(r: Refund) -> dict[str, Any]:
    """A new refund's document."""
    doc: dict[str, Any] = {
        "_id": r.id, "payment_id": r.payment_id, "request_id": r.request_id, "out_refund_no": r.out_refund_no,
        "out_trade_no": r.out_trade_no, "channel": r.channel, "amount_fen": r.amount_fen, "total_fen": r.total_fen,
        "status": str(r.status), "kind": str(r.kind), "reason": r.reason, "created_at": r.created_at,
        "next_try_at": r.next_try_at, "tries": r.tries}
    if r.cause is not None:
        doc["cause"] = r.cause
    if r.requested_by is not None:
        doc["requested_by"] = r.requested_by
    return doc


def receipt_from_doc(d: dict[str, Any]) -> Receipt:
    content: dict[str, Any] = d["content"]
    return Receipt(
        id=d["_id"], kind=ReceiptKind.RED if "refund_id" in d else ReceiptKind.BLUE, payment_id=d["payment_id"],
        payer_id=str(d.get("payer_id") or ""), application_id=str(d.get("application_id") or ""), code=d["code"],
        number=d["number"], year=int(d["year"]), seq=int(d.get("seq") or 0), check_code=d["check_code"],
        amount_fen=int(d["amount_fen"]), issued_at=d["issued_at"], content=content, signature=d["signature"],
        key_id=d.get("key_id") or content.get("key_id") or "", refund_id=d.get("refund_id"),
        original_receipt_id=d.get("original_receipt_id"))


def receipt_to_doc(r: Receipt) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": r.id}
    if r.kind is ReceiptKind.RED:
        doc.update(refund_id=r.refund_id, payment_id=r.payment_id, original_receipt_id=r.original_receipt_id)
    else:
        doc["payment_id"] = r.payment_id
    doc.update(payer_id=r.payer_id, application_id=r.application_id, amount_fen=r.amount_fen, issued_at=r.issued_at,
               code=r.code, number=r.number, year=r.year, seq=r.seq, check_code=r.check_code, content=r.content,
               signature=r.signature, key_id=r.key_id)
    return doc


def counter_from_doc(d: dict[str, Any]) -> ReceiptCounter:
    return ReceiptCounter(seq=int(d["seq"]), block=tuple(
        NumberedEntry(kind=ReceiptKind(e["kind"]), receipt_id=e["receipt_id"], source_id=e["source_id"])
        for e in d.get("block") or []))


_FINDINGS = ("generated_at", "bill_rows", "bill_net_fen", "local_rows", "local_net_fen", "matched", "balanced")
_LINES = ("differences", "missing", "extra", "mismatched", "other_day")


def findings_to_doc(f: Findings) -> dict[str, Any]:
    return {"generated_at": f.generated_at, "bill_rows": f.bill_rows, "bill_net_fen": f.bill_net_fen,
            "local_rows": f.local_rows, "local_net_fen": f.local_net_fen,
            "totals": {"bill": dict(f.bill_totals), "local": dict(f.local_totals)},
            "differences": [dict(x) for x in f.differences], "matched": f.matched,
            "missing": [dict(x) for x in f.missing], "extra": [dict(x) for x in f.extra],
            "mismatched": [dict(x) for x in f.mismatched], "other_day": [dict(x) for x in f.other_day],
            "balanced": f.balanced}


def findings_from_doc(d: dict[str, Any]) -> Findings | None:
    if "balanced" not in d:
        return None
    totals = d["totals"]
    return Findings(
        generated_at=d["generated_at"], bill_rows=int(d["bill_rows"]), bill_net_fen=int(d["bill_net_fen"]),
        local_rows=int(d["local_rows"]), local_net_fen=int(d["local_net_fen"]),
        bill_totals=totals_from_doc(totals["bill"]), local_totals=totals_from_doc(totals["local"]),
        differences=tuple(Difference(total=x["total"], bill=int(x["bill"]), local=int(x["local"]))
                          for x in d["differences"]),
        matched=int(d["matched"]), missing=lines_from_docs(d["missing"]), extra=lines_from_docs(d["extra"]),
        mismatched=lines_from_docs(d["mismatched"]), other_day=lines_from_docs(d["other_day"]),
        balanced=bool(d["balanced"]))


def totals_from_doc(d: dict[str, Any]) -> Totals:
    return Totals(payments=int(d["payments"]), refunds=int(d["refunds"]), gross_fen=int(d["gross_fen"]),
                  refunds_fen=int(d["refunds_fen"]), net_fen=int(d["net_fen"]))


def lines_from_docs(docs: list[dict[str, Any]]) -> tuple[ReportLine, ...]:
    # a stored line holds just the keys reconciling wrote for its kind (each one a ReportLine key)
    return tuple(cast(ReportLine, dict(x)) for x in docs)


def report_from_doc(d: dict[str, Any]) -> ReconciliationReport:
    return ReconciliationReport(
        channel=d["channel"], date=d["date"], state=ReportState(d.get("state", "done")),
        alert=bool(d.get("alert", False)), reason=d.get("reason"), findings=findings_from_doc(d),
        tries=d.get("tries"), last_try_at=d.get("last_try_at"), next_try_at=d.get("next_try_at"),
        acknowledged=acknowledgement_from_doc(d.get("acknowledged")))


def acknowledgement_from_doc(d: dict[str, Any] | None) -> Acknowledgement | None:
    return Acknowledgement(by=d["by"], at=d["at"], note=d["note"]) if d else None


def unit_from_doc(d: dict[str, Any]) -> PayeeUnit:
    return PayeeUnit(id=d["_id"], name=d["name"], unit_code=d.get("unit_code") or "", account=d.get("account") or "",
                     default_item_code=d.get("default_item_code") or "",
                     items=tuple(UnitItem(code=i["code"], name=i["name"]) for i in d.get("items", [])),
                     department_code=d.get("department_code"))


def unit_to_doc(u: PayeeUnit) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": u.id}
    if u.department_code is not None:
        doc["department_code"] = u.department_code
    doc.update(name=u.name, unit_code=u.unit_code, account=u.account,
               items=[{"code": i.code, "name": i.name} for i in u.items], default_item_code=u.default_item_code)
    return doc
