"""The events of 一件事 (bundles), each with its words (see ``backend.core.phrasing``).

Payloads carry ``serial``, ``name`` (the life event), ``count`` (its cases); completed adds
``status`` and ``outcomes`` (not_accepted, not_approved, withdrawn → how many); progress (its first
acceptance, emitted by cases) ``serial``, ``status`` and optional ``name``.
"""
from __future__ import annotations

from backend.core.phrasing import CASE_PROGRESS, SMS_SIGN, Event, Page, Payload, Words, wechat_time

BUNDLE_PAGE = Page("pages/bundle/detail/index", "bundle_id", "pages/bundle/list/index")
# A finished bundle's outcome: (title, WeChat phrase, what the inbox says after the bundle's name).
# A case the resident withdrew counts as withdrawn, never as refused.
DONE = {"completed": ("“一件事”已办结", "全部办结", "所含 {count} 个事项已全部办结。"),
        "partly_completed": ("“一件事”已办结", "部分办结",
                             "已办理完毕，其中部分事项未办结（不予受理、不予批准或已撤回），详情请查看各办件。"),
        "closed": ("“一件事”未获批准", "未获批准", "所含事项均未办结{refused}，详情请查看各办件。"),
        "withdrawn": ("“一件事”已撤回", "已撤回", "所含 {count} 个事项均已由您撤回。")}
OUTCOME_NAMES = {"not_accepted": "不予受理", "not_approved": "不予批准", "withdrawn": "已撤回"}


def _submitted(p: Payload) -> Words:
    return Words(
        title="“一件事”已提交",
        text=f"您的“{p['name']}”已提交（一件事编号 {p['serial']}），{p['count']} 个事项同时办理，全部办结后会通知您。",
        sms=f"{SMS_SIGN}您的“{p['name']}”已提交，编号{p['serial']}，{p['count']}个事项同时办理。",
        wechat={"thing1": p["name"], "phrase2": "已提交", "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": f"{p['count']}个事项同时办理"})


def _refused(p: Payload) -> str:
    """"：2 个事项不予批准、1 个事项已撤回" from the payload's ``outcomes`` (outcome → count); empty
    without them."""
    counts = p.data.get("outcomes") or {}
    parts = [f"{int(counts[k])} 个事项{name}" for k, name in OUTCOME_NAMES.items() if counts.get(k)]
    return "：" + "、".join(parts) if parts else ""


def _completed(p: Payload) -> Words:
    if p["status"] not in DONE:
        raise p.missing("status")
    title, phrase, tail = DONE[p["status"]]
    rate = "" if p["status"] == "withdrawn" else "欢迎在小程序中对各事项的服务进行评价。"
    return Words(
        title=title,
        text=f"您的“{p['name']}”（一件事编号 {p['serial']}）" + tail.format(count=p["count"], refused=_refused(p))
             + rate,
        sms=f"{SMS_SIGN}您的“{p['name']}”（{p['serial']}）{phrase}，详情请在指尖办小程序查看。",
        wechat={"thing1": p["name"], "phrase2": phrase, "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": "点击查看各事项结果"})


def _progress(p: Payload) -> Words:
    if p["status"] != "accepted":
        raise p.missing("status")
    name = p.opt("name")
    what = f"您的“{name}”" if name else "您申请的“一件事”"
    return Words(
        title="“一件事”已受理",
        text=f"{what}（一件事编号 {p['serial']}）已开始受理办理。各事项的进度可在小程序中查看，全部办结后会通知您。",
        sms=f"{SMS_SIGN}{what}（{p['serial']}）已开始受理办理，全部办结后会通知您。",
        wechat={"thing1": name or "一件事", "phrase2": "办理中", "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": "全部办结后会通知您"})


EVENTS = (
    Event("bundle.submitted", _submitted, CASE_PROGRESS, BUNDLE_PAGE),
    Event("bundle.completed", _completed, CASE_PROGRESS, BUNDLE_PAGE),
    Event("bundle.progress", _progress, CASE_PROGRESS, BUNDLE_PAGE),
)
