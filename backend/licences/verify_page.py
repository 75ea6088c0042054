"""The page a licence's QR code opens: the public verification, for people (Chinese, fits a phone).

It shows what ``GET /api/v1/licences/verify`` answers that a verifier needs: whether the licence
is genuine and still stands, what it is, who issued it, and its holder masked; never an ID number.
The signed text and signature for checking offline are in the JSON answer, named on the page.
"""
from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from backend.core.clock import TZ
from backend.core.public_page import definition_list, page
from backend.licences.types import type_name

HEADING = "电子证照查验"
STATUS = {"valid": ("有效", "ok", "该电子证照真实有效，内容与签名一致。"),
          "expired": ("已过期", "warn", "该电子证照真实，但已超过有效期。"),
          "revoked": ("已撤销", "bad", "该电子证照已被颁发机构撤销（注销），不能再作为有效证明。"),
          "invalid": ("签名不符", "bad", "该证照记录的内容与其签名不一致，不能作为有效证明，请向颁发机构核实。")}
SOURCES = {"issued": "本中心颁发", "library": "电子证照库调取，经本中心核对后签名"}


def _date(value: dt.datetime | None) -> str:
    if value is None:
        return "长期有效"
    local = value.astimezone(TZ)
    return f"{local.year}年{local.month}月{local.day}日"


def render_result(v: dict[str, Any]) -> str:
    label, css, note = STATUS[v["status"]]
    head = f"<div class=\"card\"><span class=\"badge {css}\">{escape(label)}</span><p>{escape(note)}</p></div>"
    if v["status"] == "invalid":
        body = head + f"<div class=\"card\">{definition_list([('证照编号', v['number'])])}</div>"
        return page(HEADING, f"证照查验：{label}", body)
    rows = [("证照名称", v["name"]), ("证照类型", type_name(v["type"])), ("证照编号", v["number"]),
            ("持证人", v["holder_masked"]), ("颁发机构", v["issuer"]), ("颁发日期", _date(v["issued_at"])),
            ("有效期至", _date(v["expires_at"])), ("来源", SOURCES.get(v["source"], "—"))]
    signed = (f"<div class=\"card note\">签名算法 Ed25519，签名密钥 {escape(v['key_id'])}。"
              "签名原文与签名可由查验接口取得，并可用公布的签名公钥离线核验。</div>")
    return page(HEADING, f"证照查验：{label}", head + f"<div class=\"card\">{definition_list(rows)}</div>" + signed)


def render_problem(status: int, message: str) -> str:
    heading = {404: "未查到该证照", 429: "查验过于频繁", 400: "查验信息不完整"}.get(status, "暂时无法查验")
    body = (f"<div class=\"card\"><span class=\"badge bad\">{escape(heading)}</span>"
            f"<p>{escape(message)}</p><p>请核对证照上的证照编号和校验码，或直接扫描证照上的二维码。</p></div>")
    return page(HEADING, heading, body)
