"""The page a receipt's QR code opens: the public verification, for people (Chinese, fits a phone).

It shows exactly what ``GET /api/v1/receipts/verify`` answers (the payer stays masked), in the
shell of ``backend.core.public_page`` (nothing on it loads anything else).
"""
from __future__ import annotations

from html import escape
from typing import Any

from backend.core.clock import iso
from backend.core.public_page import definition_list, page
from payments.receipts import yuan

STATUS = {"issued": ("有效", "ok", "该票据真实有效。"),
          "partially_refunded": ("有效（已部分退款）", "warn", "该票据真实有效，但已部分退款，已退金额见下。"),
          "voided": ("已作废", "bad", "该票据已因全额退款被红字票据冲销，不能再作为报销或抵扣凭证。")}

HEADING = "财政电子票据查验"


def render_result(v: dict[str, Any]) -> str:
    red = v.get("kind") == "red"
    if red:
        label, css, note = "有效（红字票据）", "ok", "这是一张红字票据，冲销下方原票据的退款金额。"
    else:
        label, css, note = STATUS[v["status"]]
    rows = [("票据代码", v["code"]), ("票据号码", v["number"]), ("开票时间", iso(v["issued_at"]) or ""),
            ("交款人", v["payer_masked"]), ("收款单位", v["payee"]), ("金额（元）", yuan(v["amount_fen"]))]
    if red:
        o = v["original"]
        rows.append(("冲红原票据", f"{o['code']}-{o['number']}"))
    elif v.get("refunded_fen"):
        rows.append(("已退款（元）", yuan(v["refunded_fen"])))
    items = "".join(f"<tr><td>{escape(i['name'])}</td><td class=\"amount\">{yuan(i['amount_fen'])}</td></tr>"
                    for i in v.get("items", []))
    reds = "".join(f"<tr><td>红字票据 {escape(x['code'])}-{escape(x['number'])}</td>"
                   f"<td class=\"amount\">{yuan(x['amount_fen'])}</td></tr>" for x in v.get("red_receipts", []))
    body = (f"<div class=\"card\"><span class=\"badge {css}\">{escape(label)}</span><p>{escape(note)}</p></div>"
            f"<div class=\"card\">{definition_list(rows)}</div>"
            f"<div class=\"card\"><table>{items}{reds}</table></div>")
    return page(HEADING, f"票据查验：{label}", body)


def render_problem(status: int, message: str) -> str:
    heading = {404: "未查到该票据", 429: "查验过于频繁", 400: "查验信息不完整"}.get(status, "暂时无法查验")
    body = (f"<div class=\"card\"><span class=\"badge bad\">{escape(heading)}</span>"
            f"<p>{escape(message)}</p><p>请核对票据上的票据代码、票据号码和校验码，或直接扫描票据上的二维码。</p></div>")
    return page(HEADING, heading, body)
