"""The events 12345 complaints emit, each with its words (see ``backend.core.phrasing``).

Payloads carry ``serial``, ``category`` (its Chinese name); received/assigned/reopened add ``due``,
assigned ``department_name``, reopened ``returned_to``; a reply ``replied_by``, ``reply`` and
``close_after_days`` (a merged duplicate's also ``master_serial``); merged ``master_serial``; closed
``reason`` (satisfied, unsatisfied, no_feedback) and ``close_after_days``; a moved due date
``old_due``, ``due`` and ``reason``. Staff alerts: ``serial``, ``category``, ``stage`` (assign,
reply), ``responsible`` and ``due`` (the moved due date: ``old_due``, ``due``, ``reason``).
"""
from __future__ import annotations

from collections.abc import Callable

from backend.core.phrasing import CASE_PROGRESS, SMS_SIGN, Event, Page, Payload, Words, sentence, wechat_time

COMPLAINT_PAGE = Page("pages/complaint/detail/index", "complaint_id", "pages/complaint/list/index")
CLOSED = {"satisfied": "感谢您的评价，工单 {serial} 已办结。",
          "unsatisfied": "工单 {serial} 已办结。您的意见已记录，将作为承办部门考核的依据。",
          "no_feedback": "您的工单 {serial} 答复后 {days} 天未收到评价，已自动办结。"}
STAGES = {"assign": "分派", "reply": "答复"}


def _complaint(title: str, phrase: str, text: Callable[[Payload], str], sms: Callable[[Payload], str],
               hint: Callable[[Payload], str]) -> Callable[[Payload], Words]:
    def words(p: Payload) -> Words:
        return Words(title=title, text=text(p), sms=SMS_SIGN + sms(p),
                     wechat={"thing1": f"12345{p['category']}", "phrase2": phrase, "character_string3": p["serial"],
                             "time4": wechat_time(p.at), "thing5": hint(p)})
    return words


def _due_changed(p: Payload) -> Words:
    text = (f"您反映的问题（工单 {p['serial']}）的办理时限由{p.day('old_due')}调整为{p.day('due')}。"
            f"原因：{sentence(p['reason'])}")
    return Words(title="工单办理时限已调整", text=text,
                 sms=f"{SMS_SIGN}您反映的问题（{p['serial']}）办理时限调整为{p.day('due')}，详情请在指尖办小程序查看。")


def _reply(p: Payload) -> str:
    head = (f"您的工单 {p['serial']} 反映的问题已随工单 {p['master_serial']} 一并办理，" if p.opt("master_serial")
            else f"您的工单 {p['serial']} 已由")
    return (f"{head}{p['replied_by']}答复：{sentence(p['reply'])}请在 {p['close_after_days']} 天内告诉我们是否满意，"
            f"逾期未评价将自动办结。")


def _closed_text(p: Payload) -> str:
    reason = p["reason"]
    if reason not in CLOSED:
        raise p.missing("reason")
    days = p["close_after_days"] if reason == "no_feedback" else ""
    return CLOSED[reason].format(serial=p["serial"], days=days)


_received = _complaint(
    "诉求已登记", "已登记",
    lambda p: f"您反映的{p['category']}已登记，工单编号 {p['serial']}。我们将于{p.day('due')}前转交承办部门办理。",
    lambda p: f"您反映的{p['category']}已登记，工单编号{p['serial']}，可在指尖办小程序查看进度。",
    lambda p: f"{p.short_day('due')}前转交承办部门")
_assigned = _complaint(
    "工单已转交办理", "办理中",
    lambda p: f"您的工单 {p['serial']} 已转交{p['department_name']}办理，将于{p.day('due')}前答复。",
    lambda p: f"您的工单{p['serial']}已转交{p['department_name']}办理，将于{p.day('due')}前答复。",
    lambda p: f"{p.short_day('due')}前答复")
_replied = _complaint(
    "工单已答复", "已答复", _reply,
    lambda p: f"您的工单{p['serial']}已答复，请在指尖办小程序查看并评价是否满意。",
    lambda p: "请查看答复并评价")
_merged = _complaint(
    "工单已合并办理", "合并办理",
    lambda p: f"您的工单 {p['serial']} 反映的问题与工单 {p['master_serial']} 相同，已合并办理，答复后会同时告知您。",
    lambda p: f"您的工单{p['serial']}与工单{p['master_serial']}反映的问题相同，已合并办理。",
    lambda p: "答复后会同时告知您")
_reopened = _complaint(
    "工单已重新办理", "重新办理",
    lambda p: f"您对工单 {p['serial']} 的答复不满意，已退回{p['returned_to']}重新办理，将于{p.day('due')}前再次答复。",
    lambda p: f"您的工单{p['serial']}已退回{p['returned_to']}重新办理，将于{p.day('due')}前再次答复。",
    lambda p: f"{p.short_day('due')}前再次答复")
_closed = _complaint(
    "工单已办结", "已办结", _closed_text,
    lambda p: f"您的工单{p['serial']}已办结，感谢您的参与。",
    lambda p: "感谢您的参与")


# Staff alerts ----------------------------------------------------------------------------------------
def _due_moved(p: Payload) -> str:
    return (f"工单 {p['serial']}（{p['category']}）的办理时限由{p.day('old_due')}调整为{p.day('due')}"
            f"（{p['reason']}），请按新的时限办理。")


def _yellow(p: Payload) -> str:
    return (f"工单 {p['serial']}（{p['category']}）将于{p.when('due')}到期，"
            f"请{p['responsible']}抓紧{p.label('stage', STAGES)}。")


def _red(p: Payload) -> str:
    return (f"工单 {p['serial']}（{p['category']}）已超过{p.label('stage', STAGES)}时限（{p.when('due')}），"
            f"请{p['responsible']}尽快办理。")


EVENTS = (
    Event("complaint.received", _received, CASE_PROGRESS, COMPLAINT_PAGE),
    Event("complaint.assigned", _assigned, CASE_PROGRESS, COMPLAINT_PAGE),
    Event("complaint.replied", _replied, CASE_PROGRESS, COMPLAINT_PAGE),
    Event("complaint.merged", _merged, CASE_PROGRESS, COMPLAINT_PAGE),
    Event("complaint.reopened", _reopened, CASE_PROGRESS, COMPLAINT_PAGE),
    Event("complaint.closed", _closed, CASE_PROGRESS, COMPLAINT_PAGE),
    Event("complaint.due_changed", _due_changed, None, COMPLAINT_PAGE, alert=_due_moved),
    Event("complaint.yellow", alert=_yellow),
    Event("complaint.red", alert=_red),
)
