"""The page a receipt's QR code opens: the public verification, for people (Chinese, fits a phone).

It shows exactly what ``GET /api/v1/receipts/verify`` answers (the payer stays masked); nothing
on it loads anything else (no scripts, no external styles or images).
"""
from __future__ import annotations

from html import escape
from typing import Any

from backend.core.clock import iso
from payments.receipts import yuan

STATUS = {"issued": ("有效", "ok", "该票据真实有效。"),
          "partially_refunded": ("有效（已部分退款）", "warn", "该票据真实有效，但已部分退款，已退金额见下。"),
          "voided": ("已作废", "bad", "该票据已因全额退款被红字票据冲销，不能再作为报销或抵扣凭证。")}

_STYLE = """
body{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f3f4f6;color:#1f2937}
main{max-width:34rem;margin:0 auto;padding:1rem}
h1{font-size:1.25rem;margin:.5rem 0 1rem}
.card{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:1rem}
.badge{display:inline-block;padding:.25rem .75rem;border-radius:999px;font-weight:600;font-size:1.1rem}
.ok{background:#dcfce7;color:#166534}.warn{background:#fef3c7;color:#92400e}.bad{background:#fee2e2;color:#991b1b}
dl{display:grid;grid-template-columns:6.5rem 1fr;gap:.5rem .75rem;margin:0}
dt{color:#6b7280}dd{margin:0;word-break:break-all}
table{width:100%;border-collapse:collapse}td{padding:.35rem 0;border-bottom:1px solid #e5e7eb}
td.amount{text-align:right;white-space:nowrap}
footer{color:#6b7280;font-size:.8rem;text-align:center;margin:1.5rem 0}
"""


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><main><h1>财政电子票据查验</h1>{body}"
            "<footer>本页由指尖办政务服务平台提供，查验结果以签名数据为准。</footer></main></body></html>")


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
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(val))}</dd>" for k, val in rows)
    body = (f"<div class=\"card\"><span class=\"badge {css}\">{escape(label)}</span><p>{escape(note)}</p></div>"
            f"<div class=\"card\"><dl>{dl}</dl></div>"
            f"<div class=\"card\"><table>{items}{reds}</table></div>")
    return _page(f"票据查验：{label}", body)


def render_problem(status: int, message: str) -> str:
    heading = {404: "未查到该票据", 429: "查验过于频繁", 400: "查验信息不完整"}.get(status, "暂时无法查验")
    body = (f"<div class=\"card\"><span class=\"badge bad\">{escape(heading)}</span>"
            f"<p>{escape(message)}</p><p>请核对票据上的票据代码、票据号码和校验码，或直接扫描票据上的二维码。</p></div>")
    return _page(heading, body)
