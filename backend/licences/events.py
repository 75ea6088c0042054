"""The events of electronic licences (电子证照), each with its words (see ``backend.core.phrasing``).

Payloads carry ``name``, ``number``; issued ``expires_at`` (None: no expiry) and, from a case,
``serial`` and ``service_name``; revoked ``reason``.
"""
from __future__ import annotations

from backend.core.phrasing import CASE_PROGRESS, SMS_SIGN, Event, Page, Payload, Words, sentence, wechat_time

LICENCES = Page.list_only("pages/me/licences/index")


def _issued(p: Payload) -> Words:
    expires = p.opt("expires_at")
    until = f"有效期至{p.day('expires_at')}" if expires else "长期有效"
    case = f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）已办结，" if p.opt("serial") else ""
    return Words(
        title="电子证照已签发",
        text=f"{case}电子证照“{p['name']}”（证照编号 {p['number']}）已签发，{until}。"
             f"可在小程序“我的证照”中查看和出示。",
        sms=f"{SMS_SIGN}您的电子证照“{p['name']}”已签发，可在指尖办小程序“我的证照”中查看。",
        wechat={"thing1": p["name"], "phrase2": "已签发", "character_string3": p.opt("serial") or p["number"],
                "time4": wechat_time(p.at), "thing5": "可在“我的证照”中查看"})


def _revoked(p: Payload) -> Words:
    return Words(
        title="电子证照已撤销",
        text=f"您的电子证照“{p['name']}”（证照编号 {p['number']}）已由签发机关撤销，不能再使用。"
             f"原因：{sentence(p['reason'])}如有疑问，请联系签发部门或拨打 12345。",
        sms=f"{SMS_SIGN}您的电子证照“{p['name']}”已撤销，不能再使用，详情请在指尖办小程序查看。",
        wechat={"thing1": p["name"], "phrase2": "已撤销", "character_string3": p.opt("serial") or p["number"],
                "time4": wechat_time(p.at), "thing5": "该证照不能再使用"})


EVENTS = (
    Event("licence.issued", _issued, CASE_PROGRESS, LICENCES),
    Event("licence.revoked", _revoked, CASE_PROGRESS, LICENCES),
)
