"""The events of 帮办代办 authorizations, each with its words (see ``backend.core.phrasing``).

Payloads: granted ``grantor_name``, ``services`` (names; empty: all) and ``expires_at``; revoked
``grantor_name``; used ``agent_role``, ``agent_name``, ``service_name``, ``serial`` (and the case's
``application_id``, the page its push opens).
"""
from __future__ import annotations

from backend.core.phrasing import CASE_PROGRESS, SMS_SIGN, Event, Page, Payload, Words, wechat_time

AGENCY = Page.list_only("pages/agency/list/index")
CASE_PAGE = Page("pages/case/detail/index", "application_id", "pages/case/list/index")


def _services_of(p: Payload) -> str:
    names = [str(n) for n in (p.data.get("services") or []) if str(n).strip()]
    return "、".join(f"“{n}”" for n in names) if names else "全部事项"


def _granted(p: Payload) -> Words:
    return Words(
        title="您收到一项代办授权",
        text=f"{p['grantor_name']}授权您代为办理{_services_of(p)}，有效期至{p.day('expires_at')}。代办的办件归授权人所有。",
        sms=f"{SMS_SIGN}{p['grantor_name']}授权您代为办理{_services_of(p)}，详情请在指尖办小程序查看。")


def _revoked(p: Payload) -> Words:
    return Words(
        title="代办授权已撤销", text=f"{p['grantor_name']}已撤销对您的代办授权，您不能再代其办理事项。",
        sms=f"{SMS_SIGN}{p['grantor_name']}已撤销对您的代办授权。")


def _used(p: Payload) -> Words:
    who = f"{p['agent_role']}{p['agent_name']}"
    return Words(
        title="有人按您的授权代办了事项",
        text=f"{who}按您的授权为您申请了“{p['service_name']}”（办件编号 {p['serial']}）。"
             f"如非本人授权，请立即在小程序中撤销授权并拨打 12345 反映。",
        sms=f"{SMS_SIGN}{who}按您的授权为您申请了“{p['service_name']}”（{p['serial']}），如非本人授权请立即撤销。",
        wechat={"thing1": p["service_name"], "phrase2": "代为提交", "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": f"{who}代您提交"})


EVENTS = (
    Event("authorization.granted", _granted, None, AGENCY),
    Event("authorization.revoked", _revoked, None, AGENCY),
    Event("authorization.used", _used, CASE_PROGRESS, CASE_PAGE),
)
