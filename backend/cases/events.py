"""The events cases emit, each with its words (see ``backend.core.phrasing``).

Payloads carry ``serial``, ``service_name``, ``status`` and optional ``note`` (and ``outcome`` for
a refusal); a correction adds ``missing`` and ``due`` (a date); a moved deadline ``old_deadline``,
``deadline``, ``reason`` and optional ``provisional``; a rating invitation may add ``reminder``; a
rectification reply ``reply``; a promise due ``material`` and ``due``. Staff alerts: ``serial``,
``service_name`` and ``deadline`` (supervision), ``score`` and ``due`` (rectification), the moved
deadline's values (deadline.changed).
"""
from __future__ import annotations

from backend.cases.labels import CASE_OUTCOME, CASE_STATUS
from backend.core.phrasing import (
    CASE_PROGRESS,
    RATING,
    SMS_SIGN,
    Event,
    Page,
    Payload,
    Words,
    sentence,
    wechat_time,
)

CASE_PAGE = Page("pages/case/detail/index", "application_id", "pages/case/list/index")


def status(p: Payload, name: str = "status") -> str:
    """A case status in words; an unknown status is as good as none. A refusal says which it was
    when the payload gives its ``outcome`` (不予受理 or 不予批准)."""
    label = p.label(name, CASE_STATUS)
    if p[name] == "rejected" and p.opt("outcome") is not None:
        label = p.label("outcome", CASE_OUTCOME)
    return label


def _status_changed(p: Payload) -> Words:
    label = status(p)
    note = p.opt("note")
    head = f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）当前状态：{label}。"
    return Words(
        title=f"办件{label}" if p["status"] == "rejected" else "办件进度更新",
        text=head + (f"说明：{sentence(note)}" if note else ""),
        sms=f"{SMS_SIGN}您申请的“{p['service_name']}”（{p['serial']}）{label}，详情请在指尖办小程序查看。",
        wechat={"thing1": p["service_name"], "phrase2": label, "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": note or "点击查看办理进度"})


def _correction(p: Payload) -> Words:
    due = p.day("due")
    return Words(
        title="请补正材料",
        text=f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）需要补正：{p.list('missing')}。"
             f"请于{due}前在小程序中补正后重新提交。",
        sms=f"{SMS_SIGN}您申请的“{p['service_name']}”（{p['serial']}）需补正材料，请于{due}前在指尖办小程序补正。",
        wechat={"thing1": p["service_name"], "phrase2": CASE_STATUS["correction_requested"],
                "character_string3": p["serial"], "time4": wechat_time(p.at),
                "thing5": f"请于{p.short_day('due')}前补正材料"})


def _deadline_changed(p: Payload) -> Words:
    old, new = p.day("old_deadline"), p.day("deadline")
    still = "（仍为暂定，以后续公布的放假安排为准）" if p.data.get("provisional") else ""
    return Words(
        title="办理时限已调整",
        text=f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）的承诺办结时限由{old}调整为{new}{still}。"
             f"原因：{sentence(p['reason'])}",
        sms=f"{SMS_SIGN}您申请的“{p['service_name']}”（{p['serial']}）办结时限调整为{new}，详情请在指尖办小程序查看。",
        wechat={"thing1": p["service_name"], "phrase2": status(p), "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": f"办结时限调整为{p.short_day('deadline')}"})


def _promise_due(p: Payload) -> Words:
    due = p.day("due")
    return Words(
        title="请按承诺补齐材料",
        text=f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）已容缺受理，承诺补齐的“{p['material']}”"
             f"请于{due}前在小程序中补交，或带到窗口。",
        sms=f"{SMS_SIGN}您申请的“{p['service_name']}”（{p['serial']}）承诺补齐的材料请于{due}前补交。",
        wechat={"thing1": p["service_name"], "phrase2": "待补材料", "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": f"请于{p.short_day('due')}前补齐{p['material']}"})


def _rating_invited(p: Payload) -> Words:
    result = status(p)
    case = f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）{result}"
    if p.opt("reminder"):
        text = f"{case}，您还没有评价。欢迎对本次服务进行评价，您的意见会帮助我们改进。"
        hint = "您还未评价本次服务"
    else:
        text = f"{case}，欢迎对本次服务进行评价，您的意见会帮助我们改进。"
        hint = "欢迎为本次服务评价"
    return Words(
        title="请为本次服务评价", text=text,
        sms=f"{SMS_SIGN}{case}，欢迎在指尖办小程序对本次服务进行评价。",
        wechat={"thing1": p["service_name"], "character_string2": p["serial"], "phrase3": result,
                "time4": wechat_time(p.at), "thing5": hint})


def _rectification_reply(p: Payload) -> Words:
    case = f"“{p['service_name']}”（办件编号 {p['serial']}）"
    return Words(
        title="评价整改答复", text=f"关于您对{case}的评价，答复如下：{p['reply']}",
        sms=f"{SMS_SIGN}关于您对{case}的评价，我们已整改并答复，请在指尖办小程序查看。")


# Staff alerts ----------------------------------------------------------------------------------------
def _supervision_yellow(p: Payload) -> str:
    return f"办件 {p['serial']}（{p['service_name']}）将于{p.when('deadline')}到期，请抓紧办理。"


def _supervision_red(p: Payload) -> str:
    return f"办件 {p['serial']}（{p['service_name']}）已超过办结时限（{p.when('deadline')}），请尽快办结。"


def _deadline_moved(p: Payload) -> str:
    return (f"办件 {p['serial']}（{p['service_name']}）的承诺办结时限由{p.day('old_deadline')}调整为"
            f"{p.day('deadline')}（{p['reason']}），请按新的时限办理。")


def _rectification_opened(p: Payload) -> str:
    return (f"办件 {p['serial']}（{p['service_name']}）收到差评（{p['score']} 分），请于{p.day('due')}前"
            f"整改并答复评价人。")


EVENTS = (
    Event("case.status_changed", _status_changed, CASE_PROGRESS, CASE_PAGE),
    Event("case.correction_requested", _correction, CASE_PROGRESS, CASE_PAGE),
    Event("case.deadline_changed", _deadline_changed, CASE_PROGRESS, CASE_PAGE),
    Event("case.promise_due", _promise_due, CASE_PROGRESS, CASE_PAGE),
    Event("case.rectification_reply", _rectification_reply, None, CASE_PAGE),
    Event("rating.invited", _rating_invited, RATING,
          Page("pages/case/rate/index", "application_id", "pages/case/list/index")),
    Event("supervision.yellow", alert=_supervision_yellow),
    Event("supervision.red", alert=_supervision_red),
    Event("deadline.changed", alert=_deadline_moved),
    Event("rectification.opened", alert=_rectification_opened),
)
