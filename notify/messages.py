"""What each event says, in every channel: the inbox (站内信) title and text, the SMS text, and the
WeChat subscribe message (template key and field values). The one place words are made.

An event's payload must carry every value its words use: a missing or empty one raises
``MissingField`` (tests render every kind strictly), so no resident ever reads a blank. Times are
written as residents say them ("12月1日（周二）10:00", with the year when it is not the event's
year), amounts in yuan, case statuses with the labels below.

Each emitting domain puts these in its payloads (besides ids):
- cases: ``serial``, ``service_name``, ``status``, optional ``note``; a correction adds ``missing``
  and ``due`` (a date); a moved deadline ``old_deadline``, ``deadline``, ``reason`` and optional
  ``provisional``; a rating invitation may add ``reminder``; a rectification reply ``reply``.
- appointments: ``service_name``, ``hall_name``, ``start`` and ``code`` (a waitlist offer has
  ``offer_until`` instead of ``code``); a booking block adds ``blocked_until`` and ``reason``; a
  cancellation by the centre adds ``reason`` and ``appointment_id`` (a waitlist entry's:
  ``reason`` and ``service_id``, no ``code``).
- payments: ``service_name``, ``serial``, ``amount_fen``; a refund ``refund_fen`` and, with its
  red-letter receipt, ``red_number`` and ``original_number``, or for an automatic refund of a double
  or late payment ``auto`` (duplicate, closed) and ``channel``; a receipt ``number``; a closed
  order may give ``reason``.
- complaints: ``serial``, ``category`` (its Chinese name); received/assigned/reopened add ``due``,
  assigned ``department_name``, reopened ``returned_to``; a reply ``replied_by``, ``reply`` and
  ``close_after_days`` (a merged duplicate's also ``master_serial``); merged ``master_serial``;
  closed ``reason`` (satisfied, unsatisfied, no_feedback) and ``close_after_days``. Staff alerts:
  ``serial``, ``category``, ``stage`` (assign, reply), ``responsible`` and ``due``.
- bundles: ``serial``, ``name`` (the life event), ``count`` (its cases); completed adds ``status`` and
  ``outcomes`` (not_accepted, not_approved, withdrawn → how many); progress (its first acceptance)
  ``serial``, ``status`` and optional ``name``.
- licences: ``name``, ``number``; issued ``expires_at`` (None: no expiry) and, from a case,
  ``serial`` and ``service_name``; revoked ``reason``.
- authorizations: granted ``grantor_name``, ``services`` (names; empty: all) and ``expires_at``;
  revoked ``grantor_name``; used ``agent_role``, ``agent_name``, ``service_name``, ``serial``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.core.clock import TZ
from notify.wechat_fields import FieldRuleError, fit_data

# Case statuses as residents and staff read them (each also a WeChat ``phrase``); the same words as
# the shared label table backend.core.labels.CASE_STATUS.
CASE_STATUS = {"submitted": "已提交", "accepted": "已受理", "in_review": "审查中", "correction_requested": "待补正",
               "approved": "已批准", "rejected": "不予批准", "completed": "已办结", "withdrawn": "已撤回"}
# A refusal in words: at intake (不予受理) or after review (不予批准); backend.core.labels.CASE_OUTCOME.
CASE_OUTCOME = {"not_accepted": "不予受理", "not_approved": "不予批准"}

TEMPLATE_TITLES = {"case_progress": "办件进度通知", "appointment": "预约结果通知", "payment": "缴费结果通知",
                   "rating": "服务评价邀请"}

# Field layout of each subscribe-message template (the templates chosen in the mini-program's
# admin console must have these keywords, in this order).
TEMPLATE_FIELDS = {
    "case_progress": {"thing1": "事项名称", "phrase2": "办理状态", "character_string3": "办件编号",
                      "time4": "更新时间", "thing5": "备注"},
    "appointment": {"thing1": "预约事项", "time2": "预约时间", "thing3": "办理地点", "phrase4": "预约状态",
                    "thing5": "温馨提示"},
    "payment": {"thing1": "缴费事项", "amount2": "金额", "phrase3": "缴费状态", "character_string4": "办件编号",
                "time5": "时间"},
    "rating": {"thing1": "事项名称", "character_string2": "办件编号", "phrase3": "办理结果", "time4": "办结时间",
               "thing5": "温馨提示"},
}

WEEKDAYS = "一二三四五六日"
SMS_SIGN = "【指尖办】"
PAYMENT_CLOSE_REASONS = {"expired": "超过缴费期限", "staff": "工作人员已撤销"}


class UnknownKind(KeyError):
    """No words are made for this kind of event."""


class MissingField(KeyError):
    """The payload lacks a value the words need."""

    def __init__(self, kind: str, name: str):
        super().__init__(f"{kind}: payload has no {name!r}")
        self.kind, self.name = kind, name


@dataclass(frozen=True)
class Words:
    title: str
    text: str                              # inbox
    sms: str
    wechat: dict[str, str] = field(default_factory=dict)   # field key → value, before fitting
    template: str | None = None            # WeChat template key (set by ``render``)
    page: str | None = None                # mini-program page the push opens (None: the configured one)

    def wechat_data(self) -> dict[str, dict[str, str]]:
        """The template data, every value fitted to WeChat's rule for its field."""
        return fit_data(self.wechat)


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value))


def when(value: dt.datetime, at: dt.datetime) -> str:
    """"12月1日（周二）10:00"; with the year when it is not the year of ``at``."""
    local = value.astimezone(TZ)
    return f"{day(local.date(), at)}{local:%H:%M}"


def day(value: dt.date, at: dt.datetime) -> str:
    """"12月15日（周二）"; with the year when it is not the year of ``at``."""
    year = f"{value.year}年" if value.year != at.astimezone(TZ).year else ""
    return f"{year}{value.month}月{value.day}日（周{WEEKDAYS[value.weekday()]}）"


def short_day(value: dt.datetime) -> str:
    """"12月31日" (for the 20 characters of a WeChat ``thing``)."""
    local = value.astimezone(TZ)
    return f"{local.month}月{local.day}日"


def wechat_time(value: dt.datetime) -> str:
    """WeChat's ``time`` field: "2026年12月1日 10:00"."""
    local = value.astimezone(TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def yuan(fen: int) -> str:
    """"120.00元"."""
    return f"{int(fen) / 100:.2f}元"


# What a number is, by its shape: a case's 办件编号 (ZJB…), a 一件事编号 (YJS…), a 12345 工单编号 (GD…).
NUMBER_NAMES = (("YJS", "一件事编号"), ("GD", "工单编号"), ("ZJB", "办件编号"))


def number_name(serial: str) -> str:
    """The name of the number ``serial`` is ("办件编号" when its shape says nothing else)."""
    return next((name for prefix, name in NUMBER_NAMES if serial.startswith(prefix)), "办件编号")


def _sentence(text: str) -> str:
    """Free text (a staff note) ended as a sentence."""
    return text if text[-1] in "。！？.!?）)”" else text + "。"


def _tight(text: str) -> str:
    """No spaces between Chinese and digits ("30 天内爽约 2 次" → "30天内爽约2次")."""
    return re.sub(r"(?<=[\u4e00-\u9fff\d]) (?=[\u4e00-\u9fff\d])", "", text)


class Payload:
    """An event's payload, read strictly: every value asked for must be there and not empty."""

    def __init__(self, kind: str, data: dict[str, Any], at: dt.datetime):
        self.kind, self.data, self.at = kind, data, at

    def raw(self, name: str) -> Any:
        value = self.data.get(name)
        if value is None or value == "" or value == []:
            raise MissingField(self.kind, name)
        return value

    def __getitem__(self, name: str) -> str:
        return str(self.raw(name)).strip()

    def opt(self, name: str) -> str | None:
        """An optional value: None when absent or empty."""
        value = self.data.get(name)
        if value is None or value == [] or not str(value).strip():
            return None
        return str(value).strip()

    def time(self, name: str) -> dt.datetime:
        value = self.raw(name)
        try:
            if isinstance(value, str) and len(value) == 10:  # a date: its end, as deadlines are
                return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(23, 59, 59), TZ)
            return _as_datetime(value)
        except ValueError:
            raise MissingField(self.kind, name) from None

    def when(self, name: str) -> str:
        return when(self.time(name), self.at)

    def day(self, name: str) -> str:
        return day(self.time(name).astimezone(TZ).date(), self.at)

    def case_status(self, name: str) -> str:
        """A case status in words; an unknown status is as good as none. A refusal says which it
        was when the payload gives its ``outcome`` (不予受理 or 不予批准)."""
        label = CASE_STATUS.get(self[name])
        if label is None:
            raise MissingField(self.kind, name)
        if self[name] == "rejected" and self.opt("outcome") is not None:
            label = CASE_OUTCOME.get(self.opt("outcome") or "")
            if label is None:
                raise MissingField(self.kind, "outcome")
        return label

    def short_day(self, name: str) -> str:
        return short_day(self.time(name))

    def number(self, name: str = "serial") -> str:
        """A number with its name: "办件编号 ZJB…", "一件事编号 YJS…"."""
        return f"{number_name(self[name])} {self[name]}"

    def fen(self, name: str) -> int:
        value = self.raw(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise MissingField(self.kind, name)
        return value

    def yuan(self, name: str) -> str:
        return yuan(self.fen(name))

    def amount(self, name: str) -> str:
        return f"¥{self.fen(name) / 100:.2f}"

    def list(self, name: str) -> str:
        value = self.raw(name)
        return "、".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


# Cases -----------------------------------------------------------------------------------------------
def _case_status_changed(p: Payload) -> Words:
    label = p.case_status("status")
    note = p.opt("note")
    head = f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）当前状态：{label}。"
    return Words(
        title=f"办件{label}" if p["status"] == "rejected" else "办件进度更新",
        text=head + (f"说明：{_sentence(note)}" if note else ""),
        sms=f"{SMS_SIGN}您申请的“{p['service_name']}”（{p['serial']}）{label}，详情请在指尖办小程序查看。",
        wechat={"thing1": p["service_name"], "phrase2": label, "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": note or "点击查看办理进度"})


def _case_correction(p: Payload) -> Words:
    due = p.day("due")
    return Words(
        title="请补正材料",
        text=f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）需要补正：{p.list('missing')}。"
             f"请于{due}前在小程序中补正后重新提交。",
        sms=f"{SMS_SIGN}您申请的“{p['service_name']}”（{p['serial']}）需补正材料，请于{due}前在指尖办小程序补正。",
        wechat={"thing1": p["service_name"], "phrase2": CASE_STATUS["correction_requested"],
                "character_string3": p["serial"], "time4": wechat_time(p.at),
                "thing5": f"请于{p.short_day('due')}前补正材料"})


def _case_deadline_changed(p: Payload) -> Words:
    old, new = p.day("old_deadline"), p.day("deadline")
    still = "（仍为暂定，以后续公布的放假安排为准）" if p.data.get("provisional") else ""
    return Words(
        title="办理时限已调整",
        text=f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）的承诺办结时限由{old}调整为{new}{still}。"
             f"原因：{_sentence(p['reason'])}",
        sms=f"{SMS_SIGN}您申请的“{p['service_name']}”（{p['serial']}）办结时限调整为{new}，详情请在指尖办小程序查看。",
        wechat={"thing1": p["service_name"], "phrase2": p.case_status("status"), "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": f"办结时限调整为{p.short_day('deadline')}"})


def _case_promise_due(p: Payload) -> Words:
    due = p.day("due")
    return Words(
        title="请按承诺补齐材料",
        text=f"您申请的“{p['service_name']}”（办件编号 {p['serial']}）已容缺受理，承诺补齐的“{p['material']}”"
             f"请于{due}前在小程序中补交，或带到窗口。",
        sms=f"{SMS_SIGN}您申请的“{p['service_name']}”（{p['serial']}）承诺补齐的材料请于{due}前补交。",
        wechat={"thing1": p["service_name"], "phrase2": "待补材料", "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": f"请于{p.short_day('due')}前补齐{p['material']}"})


def _rating_invited(p: Payload) -> Words:
    result = p.case_status("status")
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


# Appointments ----------------------------------------------------------------------------------------
def _appointment(title: str, phrase: str, text: Callable[[Payload], str], hint: Callable[[Payload], str],
                 sms: Callable[[Payload], str]) -> Callable[[Payload], Words]:
    def words(p: Payload) -> Words:
        return Words(title=title, text=text(p), sms=SMS_SIGN + sms(p),
                     wechat={"thing1": p["service_name"], "time2": wechat_time(p.time("start")),
                             "thing3": p["hall_name"], "phrase4": phrase, "thing5": hint(p)})
    return words


def _place(p: Payload) -> str:
    return f"{p.when('start')}，{p['hall_name']}"


_appointment_booked = _appointment(
    "预约成功", "预约成功",
    lambda p: f"您已预约“{p['service_name']}”：{_place(p)}，预约码 {p['code']}。请凭预约码按时到大厅签到。",
    lambda p: f"预约码{p['code']}，请按时签到",
    lambda p: f"您已预约“{p['service_name']}”，{_place(p)}，预约码{p['code']}。")
_appointment_reminder = _appointment(
    "预约提醒", "即将开始",
    lambda p: f"您预约的“{p['service_name']}”将于{p.when('start')}开始，地点：{p['hall_name']}，预约码 {p['code']}。"
              f"请提前到达，凭预约码签到。",
    lambda p: f"预约码{p['code']}，请提前到达",
    lambda p: f"您预约的“{p['service_name']}”将于{p.when('start')}开始，{p['hall_name']}，预约码{p['code']}。")
_appointment_cancelled = _appointment(
    "预约已取消", "已取消",
    lambda p: f"您预约的“{p['service_name']}”（{_place(p)}）已取消，预约码 {p['code']} 不再有效。",
    lambda p: "如需办理，请重新预约",
    lambda p: f"您预约的“{p['service_name']}”（{_place(p)}）已取消。")
_waitlist_offer = _appointment(
    "候补成功，请确认", "候补成功",
    lambda p: f"您候补的“{p['service_name']}”（{_place(p)}）有了空位，已为您保留。"
              f"请于{p.when('offer_until')}前在小程序中确认，逾期将让给下一位。",
    lambda p: f"请于{p.short_day('offer_until')} {p.time('offer_until').astimezone(TZ):%H:%M}前确认",
    lambda p: f"您候补的“{p['service_name']}”（{_place(p)}）有空位，请于{p.when('offer_until')}前在指尖办小程序确认。")
_no_show = _appointment(
    "预约爽约记录", "已爽约",
    lambda p: f"您预约的“{p['service_name']}”（{_place(p)}，预约码 {p['code']}）未按时签到，已记爽约一次。"
              f"多次爽约将暂停网上预约。",
    lambda p: "多次爽约将暂停网上预约",
    lambda p: f"您预约的“{p['service_name']}”（{_place(p)}）未按时签到，已记爽约一次。")
_booking_blocked = _appointment(
    "网上预约已暂停", "暂停预约",
    lambda p: f"因{_tight(p['reason'])}，您的网上预约暂停至{p.when('blocked_until')}。期间仍可到大厅现场取号办理。",
    lambda p: f"网上预约暂停至{p.short_day('blocked_until')}",
    lambda p: f"因{_tight(p['reason'])}，您的网上预约暂停至{p.when('blocked_until')}，期间可到大厅现场取号。")



def _cancelled_by_centre(p: Payload) -> Words:
    reason = _tight(p["reason"]).rstrip("。")
    where = _place(p)
    return Words(
        title="预约已由中心取消",
        text=f"因{reason}，您预约的“{p['service_name']}”（{where}，预约码 {p['code']}）已由政务服务中心取消，"
             f"不记爽约。请在小程序中重新预约其他时间，给您带来不便，敬请谅解。",
        sms=f"{SMS_SIGN}因{reason}，您预约的“{p['service_name']}”（{where}）已由中心取消，不记爽约，"
            f"请在指尖办小程序重新预约。",
        wechat={"thing1": p["service_name"], "time2": wechat_time(p.time("start")), "thing3": p["hall_name"],
                "phrase4": "已取消", "thing5": "不记爽约，请重新预约"},
        page=f"pages/booking/detail/index?id={p['appointment_id']}")


def _waitlist_cancelled_by_centre(p: Payload) -> Words:
    reason = _tight(p["reason"]).rstrip("。")
    where = _place(p)
    return Words(
        title="候补已由中心取消",
        text=f"因{reason}，您候补的“{p['service_name']}”（{where}）已由政务服务中心取消。"
             f"请在小程序中重新预约其他时间，给您带来不便，敬请谅解。",
        sms=f"{SMS_SIGN}因{reason}，您候补的“{p['service_name']}”（{where}）已由中心取消，请在指尖办小程序重新预约。",
        wechat={"thing1": p["service_name"], "time2": wechat_time(p.time("start")), "thing3": p["hall_name"],
                "phrase4": "已取消", "thing5": "请重新预约其他时间"},
        page=f"pages/booking/book/index?service_id={p['service_id']}")


# Payments --------------------------------------------------------------------------------------------
def _payment(title: str, phrase: str, text: Callable[[Payload], str], sms: Callable[[Payload], str],
             amount_field: str = "amount_fen") -> Callable[[Payload], Words]:
    def words(p: Payload) -> Words:
        return Words(title=title, text=text(p), sms=SMS_SIGN + sms(p),
                     wechat={"thing1": p["service_name"], "amount2": p.amount(amount_field), "phrase3": phrase,
                             "character_string4": p["serial"], "time5": wechat_time(p.at)})
    return words


def _closed_reason(p: Payload) -> str:
    reason = PAYMENT_CLOSE_REASONS.get(p.opt("reason") or "")
    return f"（{reason}）" if reason else ""


_payment_created = _payment(
    "待缴费", "待缴费",
    lambda p: f"您申请的“{p['service_name']}”（{p.number()}）"
              f"需缴费{p.yuan('amount_fen')}，请在小程序中完成缴费。",
    lambda p: f"您申请的“{p['service_name']}”需缴费{p.yuan('amount_fen')}，请在指尖办小程序缴费。")
_payment_paid = _payment(
    "缴费成功", "缴费成功",
    lambda p: f"您已成功缴纳“{p['service_name']}”（{p.number()}）费用{p.yuan('amount_fen')}。"
              f"电子票据开具后会另行通知。",
    lambda p: f"您已成功缴纳“{p['service_name']}”费用{p.yuan('amount_fen')}。")
AUTO_REFUND_CAUSES = {"duplicate": "该缴款单已通过其他方式缴清，这笔重复支付",
                      "closed": "该缴款单已关闭，这笔支付"}
CHANNEL_NAMES = {"wechat": "微信支付", "alipay": "支付宝"}


def _refund_text(p: Payload) -> str:
    where = f"“{p['service_name']}”（{p.number()}）"
    cause = AUTO_REFUND_CAUSES.get(p.opt("auto") or "")
    if cause:
        via = CHANNEL_NAMES.get(p.opt("channel") or "", "")
        return (f"您为{where}支付的{p.yuan('refund_fen')}未能入账：{cause}已自动原路退回"
                f"{'到您的' + via if via else ''}，到账时间以支付渠道为准。您无需再做任何操作。")
    red = p.opt("red_number")
    receipt = (f"已开具红字票据（票据号码 {red}），冲销原电子票据 {p['original_number']} 的相应金额，"
               f"可在小程序“票据”中查看。") if red else ""
    return f"{where}的费用已退款{p.yuan('refund_fen')}，款项将原路退回，到账时间以支付渠道为准。{receipt}"


def _refund_sms(p: Payload) -> str:
    if p.opt("auto") in AUTO_REFUND_CAUSES:
        return f"您为“{p['service_name']}”重复或逾期支付的{p.yuan('refund_fen')}已自动原路退回。"
    red = p.opt("red_number")
    return f"“{p['service_name']}”的费用已退款{p.yuan('refund_fen')}，将原路退回" + \
        (f"，红字票据号码{red}。" if red else "。")


def _payment_refunded(p: Payload) -> Words:
    auto = p.opt("auto") in AUTO_REFUND_CAUSES
    return Words(title="重复支付已自动退款" if auto else "退款通知", text=_refund_text(p),
                 sms=SMS_SIGN + _refund_sms(p),
                 wechat={"thing1": p["service_name"], "amount2": p.amount("refund_fen"),
                         "phrase3": "已退款", "character_string4": p["serial"],
                         "time5": wechat_time(p.at)})


_payment_closed = _payment(
    "缴款单已关闭", "已关闭",
    lambda p: f"“{p['service_name']}”（{p.number()}）金额{p.yuan('amount_fen')}的缴款单已关闭"
              f"{_closed_reason(p)}。如仍需缴费，请联系窗口工作人员。",
    lambda p: f"“{p['service_name']}”金额{p.yuan('amount_fen')}的缴款单已关闭{_closed_reason(p)}。")
_receipt_issued = _payment(
    "电子票据已开具", "已开票",
    lambda p: f"“{p['service_name']}”（{p.number()}）的缴费电子票据已开具：金额{p.yuan('amount_fen')}，"
              f"票据号码 {p['number']}。可在小程序中查看和下载。",
    lambda p: f"“{p['service_name']}”的电子票据已开具，票据号码{p['number']}。")


# 12345 complaints -----------------------------------------------------------------------------------
def _complaint(title: str, phrase: str, text: Callable[[Payload], str], sms: Callable[[Payload], str],
               hint: Callable[[Payload], str]) -> Callable[[Payload], Words]:
    def words(p: Payload) -> Words:
        return Words(title=title, text=text(p), sms=SMS_SIGN + sms(p),
                     wechat={"thing1": f"12345{p['category']}", "phrase2": phrase, "character_string3": p["serial"],
                             "time4": wechat_time(p.at), "thing5": hint(p)})
    return words


def _complaint_due_changed(p: Payload) -> Words:
    text = (f"您反映的问题（工单 {p['serial']}）的办理时限由{p.day('old_due')}调整为{p.day('due')}。"
            f"原因：{_sentence(p['reason'])}")
    return Words(title="工单办理时限已调整", text=text,
                 sms=f"{SMS_SIGN}您反映的问题（{p['serial']}）办理时限调整为{p.day('due')}，详情请在指尖办小程序查看。")


def _complaint_reply(p: Payload) -> str:
    head = (f"您的工单 {p['serial']} 反映的问题已随工单 {p['master_serial']} 一并办理，" if p.opt("master_serial")
            else f"您的工单 {p['serial']} 已由")
    return (f"{head}{p['replied_by']}答复：{_sentence(p['reply'])}请在 {p['close_after_days']} 天内告诉我们是否满意，"
            f"逾期未评价将自动办结。")


COMPLAINT_CLOSED = {"satisfied": "感谢您的评价，工单 {serial} 已办结。",
                    "unsatisfied": "工单 {serial} 已办结。您的意见已记录，将作为承办部门考核的依据。",
                    "no_feedback": "您的工单 {serial} 答复后 {days} 天未收到评价，已自动办结。"}


def _complaint_closed_text(p: Payload) -> str:
    reason = p["reason"]
    if reason not in COMPLAINT_CLOSED:
        raise MissingField(p.kind, "reason")
    days = p["close_after_days"] if reason == "no_feedback" else ""
    return COMPLAINT_CLOSED[reason].format(serial=p["serial"], days=days)


_complaint_received = _complaint(
    "诉求已登记", "已登记",
    lambda p: f"您反映的{p['category']}已登记，工单编号 {p['serial']}。我们将于{p.day('due')}前转交承办部门办理。",
    lambda p: f"您反映的{p['category']}已登记，工单编号{p['serial']}，可在指尖办小程序查看进度。",
    lambda p: f"{p.short_day('due')}前转交承办部门")
_complaint_assigned = _complaint(
    "工单已转交办理", "办理中",
    lambda p: f"您的工单 {p['serial']} 已转交{p['department_name']}办理，将于{p.day('due')}前答复。",
    lambda p: f"您的工单{p['serial']}已转交{p['department_name']}办理，将于{p.day('due')}前答复。",
    lambda p: f"{p.short_day('due')}前答复")
_complaint_replied = _complaint(
    "工单已答复", "已答复", _complaint_reply,
    lambda p: f"您的工单{p['serial']}已答复，请在指尖办小程序查看并评价是否满意。",
    lambda p: "请查看答复并评价")
_complaint_merged = _complaint(
    "工单已合并办理", "合并办理",
    lambda p: f"您的工单 {p['serial']} 反映的问题与工单 {p['master_serial']} 相同，已合并办理，答复后会同时告知您。",
    lambda p: f"您的工单{p['serial']}与工单{p['master_serial']}反映的问题相同，已合并办理。",
    lambda p: "答复后会同时告知您")
_complaint_reopened = _complaint(
    "工单已重新办理", "重新办理",
    lambda p: f"您对工单 {p['serial']} 的答复不满意，已退回{p['returned_to']}重新办理，将于{p.day('due')}前再次答复。",
    lambda p: f"您的工单{p['serial']}已退回{p['returned_to']}重新办理，将于{p.day('due')}前再次答复。",
    lambda p: f"{p.short_day('due')}前再次答复")
_complaint_closed = _complaint(
    "工单已办结", "已办结", _complaint_closed_text,
    lambda p: f"您的工单{p['serial']}已办结，感谢您的参与。",
    lambda p: "感谢您的参与")


# 一件事 ------------------------------------------------------------------------------------------------
# A finished bundle's outcome: (title, WeChat phrase, what the inbox says after the bundle's name).
# A case the resident withdrew counts as withdrawn, never as refused.
BUNDLE_DONE = {"completed": ("“一件事”已办结", "全部办结", "所含 {count} 个事项已全部办结。"),
               "partly_completed": ("“一件事”已办结", "部分办结",
                                    "已办理完毕，其中部分事项未办结（不予受理、不予批准或已撤回），详情请查看各办件。"),
               "closed": ("“一件事”未获批准", "未获批准",
                          "所含事项均未办结{refused}，详情请查看各办件。"),
               "withdrawn": ("“一件事”已撤回", "已撤回", "所含 {count} 个事项均已由您撤回。")}


def _bundle_submitted(p: Payload) -> Words:
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
    names = {"not_accepted": "不予受理", "not_approved": "不予批准", "withdrawn": "已撤回"}
    parts = [f"{int(counts[k])} 个事项{name}" for k, name in names.items() if counts.get(k)]
    return "：" + "、".join(parts) if parts else ""


def _bundle_completed(p: Payload) -> Words:
    if p["status"] not in BUNDLE_DONE:
        raise MissingField(p.kind, "status")
    title, phrase, tail = BUNDLE_DONE[p["status"]]
    rate = "" if p["status"] == "withdrawn" else "欢迎在小程序中对各事项的服务进行评价。"
    return Words(
        title=title,
        text=f"您的“{p['name']}”（一件事编号 {p['serial']}）" + tail.format(count=p["count"], refused=_refused(p))
             + rate,
        sms=f"{SMS_SIGN}您的“{p['name']}”（{p['serial']}）{phrase}，详情请在指尖办小程序查看。",
        wechat={"thing1": p["name"], "phrase2": phrase, "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": "点击查看各事项结果"})


def _bundle_progress(p: Payload) -> Words:
    if p["status"] != "accepted":
        raise MissingField(p.kind, "status")
    name = p.opt("name")
    what = f"您的“{name}”" if name else "您申请的“一件事”"
    return Words(
        title="“一件事”已受理",
        text=f"{what}（一件事编号 {p['serial']}）已开始受理办理。各事项的进度可在小程序中查看，全部办结后会通知您。",
        sms=f"{SMS_SIGN}{what}（{p['serial']}）已开始受理办理，全部办结后会通知您。",
        wechat={"thing1": name or "一件事", "phrase2": "办理中", "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": "全部办结后会通知您"})


# 电子证照 ---------------------------------------------------------------------------------------------
def _licence_issued(p: Payload) -> Words:
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


def _licence_revoked(p: Payload) -> Words:
    return Words(
        title="电子证照已撤销",
        text=f"您的电子证照“{p['name']}”（证照编号 {p['number']}）已由签发机关撤销，不能再使用。"
             f"原因：{_sentence(p['reason'])}如有疑问，请联系签发部门或拨打 12345。",
        sms=f"{SMS_SIGN}您的电子证照“{p['name']}”已撤销，不能再使用，详情请在指尖办小程序查看。",
        wechat={"thing1": p["name"], "phrase2": "已撤销", "character_string3": p.opt("serial") or p["number"],
                "time4": wechat_time(p.at), "thing5": "该证照不能再使用"})


# 帮办代办 ---------------------------------------------------------------------------------------------
def _services_of(p: Payload) -> str:
    names = [str(n) for n in (p.data.get("services") or []) if str(n).strip()]
    return "、".join(f"“{n}”" for n in names) if names else "全部事项"


def _authorization_granted(p: Payload) -> Words:
    return Words(
        title="您收到一项代办授权",
        text=f"{p['grantor_name']}授权您代为办理{_services_of(p)}，有效期至{p.day('expires_at')}。代办的办件归授权人所有。",
        sms=f"{SMS_SIGN}{p['grantor_name']}授权您代为办理{_services_of(p)}，详情请在指尖办小程序查看。")


def _authorization_revoked(p: Payload) -> Words:
    return Words(
        title="代办授权已撤销", text=f"{p['grantor_name']}已撤销对您的代办授权，您不能再代其办理事项。",
        sms=f"{SMS_SIGN}{p['grantor_name']}已撤销对您的代办授权。")


def _authorization_used(p: Payload) -> Words:
    who = f"{p['agent_role']}{p['agent_name']}"
    return Words(
        title="有人按您的授权代办了事项",
        text=f"{who}按您的授权为您申请了“{p['service_name']}”（办件编号 {p['serial']}）。"
             f"如非本人授权，请立即在小程序中撤销授权并拨打 12345 反映。",
        sms=f"{SMS_SIGN}{who}按您的授权为您申请了“{p['service_name']}”（{p['serial']}），如非本人授权请立即撤销。",
        wechat={"thing1": p["service_name"], "phrase2": "代为提交", "character_string3": p["serial"],
                "time4": wechat_time(p.at), "thing5": f"{who}代您提交"})


KINDS: dict[str, Callable[[Payload], Words]] = {
    "case.status_changed": _case_status_changed,
    "case.correction_requested": _case_correction,
    "case.deadline_changed": _case_deadline_changed,
    "case.promise_due": _case_promise_due,
    "rating.invited": _rating_invited,
    "case.rectification_reply": _rectification_reply,
    "appointment.booked": _appointment_booked,
    "appointment.reminder": _appointment_reminder,
    "appointment.cancelled": _appointment_cancelled,
    "appointment.waitlist_offer": _waitlist_offer,
    "appointment.no_show": _no_show,
    "appointment.booking_blocked": _booking_blocked,
    "appointment.cancelled_by_centre": _cancelled_by_centre,
    "appointment.waitlist_cancelled_by_centre": _waitlist_cancelled_by_centre,
    "payment.created": _payment_created,
    "payment.paid": _payment_paid,
    "payment.refunded": _payment_refunded,
    "payment.closed": _payment_closed,
    "receipt.issued": _receipt_issued,
    "complaint.received": _complaint_received,
    "complaint.assigned": _complaint_assigned,
    "complaint.replied": _complaint_replied,
    "complaint.merged": _complaint_merged,
    "complaint.reopened": _complaint_reopened,
    "complaint.closed": _complaint_closed,
    "complaint.due_changed": _complaint_due_changed,
    "bundle.submitted": _bundle_submitted,
    "bundle.completed": _bundle_completed,
    "bundle.progress": _bundle_progress,
    "licence.issued": _licence_issued,
    "licence.revoked": _licence_revoked,
    "authorization.granted": _authorization_granted,
    "authorization.revoked": _authorization_revoked,
    "authorization.used": _authorization_used,
}


# The mini-program page a push opens, by kind: (detail page, the payload's id it shows, the list
# page when the payload has no id). Every page is one of miniprogram/app.json (a test checks).
_CASE = ("pages/case/detail/index", "application_id", "pages/case/list/index")
_BOOKING = ("pages/booking/detail/index", "appointment_id", "pages/booking/list/index")
_PAYMENT = ("pages/pay/order/index", "payment_id", "pages/pay/list/index")
_COMPLAINT = ("pages/complaint/detail/index", "complaint_id", "pages/complaint/list/index")
_BUNDLE = ("pages/bundle/detail/index", "bundle_id", "pages/bundle/list/index")
PAGES: dict[str, tuple[str | None, str | None, str]] = {
    "case.status_changed": _CASE, "case.correction_requested": _CASE, "case.deadline_changed": _CASE,
    "case.rectification_reply": _CASE, "case.promise_due": _CASE, "authorization.used": _CASE,
    "rating.invited": ("pages/case/rate/index", "application_id", "pages/case/list/index"),
    "appointment.booked": _BOOKING, "appointment.reminder": _BOOKING, "appointment.cancelled": _BOOKING,
    "appointment.no_show": _BOOKING, "appointment.cancelled_by_centre": _BOOKING,
    "appointment.waitlist_offer": (None, None, "pages/booking/list/index"),
    "appointment.booking_blocked": (None, None, "pages/booking/list/index"),
    "appointment.waitlist_cancelled_by_centre": (None, None, "pages/booking/list/index"),
    "payment.created": _PAYMENT, "payment.paid": _PAYMENT, "payment.refunded": _PAYMENT, "payment.closed": _PAYMENT,
    "receipt.issued": ("pages/receipt/detail/index", "receipt_id", "pages/receipt/list/index"),
    "complaint.received": _COMPLAINT, "complaint.assigned": _COMPLAINT, "complaint.replied": _COMPLAINT,
    "complaint.merged": _COMPLAINT, "complaint.reopened": _COMPLAINT, "complaint.closed": _COMPLAINT,
    "complaint.due_changed": _COMPLAINT,
    "bundle.submitted": _BUNDLE, "bundle.completed": _BUNDLE, "bundle.progress": _BUNDLE,
    "authorization.granted": (None, None, "pages/agency/list/index"),
    "authorization.revoked": (None, None, "pages/agency/list/index"),
    "licence.issued": (None, None, "pages/me/licences/index"),
    "licence.revoked": (None, None, "pages/me/licences/index"),
}


def page_of(kind: str, payload: dict[str, Any]) -> str | None:
    """The page a push of this kind opens: the page of its object when the payload names it."""
    if kind not in PAGES:
        return None
    detail, id_field, listing = PAGES[kind]
    ident = str(payload.get(id_field) or "").strip() if id_field else ""
    return f"{detail}?id={ident}" if detail and ident else listing


def render(kind: str, payload: dict[str, Any], at: dt.datetime) -> Words:
    """The words of an event that happened at ``at``. Strict: ``MissingField`` for a missing value,
    ``UnknownKind`` for a kind without words."""
    if kind not in KINDS:
        raise UnknownKind(kind)
    words = KINDS[kind](Payload(kind, payload, at))
    return dataclasses.replace(words, template=TEMPLATE_OF.get(kind), page=words.page or page_of(kind, payload))


def fallback(kind: str, payload: dict[str, Any]) -> Words:
    """Complete, general words for an event whose own words cannot be made (a kind this version does
    not know, or a payload missing a value): still a finished sentence, never a blank."""
    return Words(title=str(payload.get("title") or "新消息"),
                 text=str(payload.get("text") or "您有一条新消息，请在指尖办小程序中查看详情。"),
                 sms=f"{SMS_SIGN}您有一条新消息，请在指尖办小程序中查看。")


def template_key(kind: str) -> str | None:
    """The WeChat template a kind is pushed with (None: inbox only)."""
    return TEMPLATE_OF.get(kind)


# kind → the WeChat template it is pushed with; kinds not here reach the inbox only.
TEMPLATE_OF = {k: t for t, kinds in {
    "case_progress": ("case.status_changed", "case.correction_requested", "case.deadline_changed", "case.promise_due",
                      "complaint.received", "complaint.assigned",
                      "complaint.replied", "complaint.merged", "complaint.reopened", "complaint.closed",
                      "bundle.submitted", "bundle.completed", "bundle.progress", "authorization.used",
                      "licence.issued", "licence.revoked"),
    "rating": ("rating.invited",),
    "appointment": ("appointment.booked", "appointment.reminder", "appointment.cancelled", "appointment.waitlist_offer",
                    "appointment.no_show", "appointment.booking_blocked", "appointment.cancelled_by_centre",
                    "appointment.waitlist_cancelled_by_centre"),
    "payment": ("payment.created", "payment.paid", "payment.refunded", "payment.closed", "receipt.issued"),
}.items() for k in kinds}


# Staff alerts ----------------------------------------------------------------------------------------
def _supervision_yellow(p: Payload) -> str:
    return f"办件 {p['serial']}（{p['service_name']}）将于{p.when('deadline')}到期，请抓紧办理。"


def _supervision_red(p: Payload) -> str:
    return f"办件 {p['serial']}（{p['service_name']}）已超过办结时限（{p.when('deadline')}），请尽快办结。"


def _deadline_changed(p: Payload) -> str:
    return (f"办件 {p['serial']}（{p['service_name']}）的承诺办结时限由{p.day('old_deadline')}调整为"
            f"{p.day('deadline')}（{p['reason']}），请按新的时限办理。")


def _rectification_opened(p: Payload) -> str:
    return (f"办件 {p['serial']}（{p['service_name']}）收到差评（{p['score']} 分），请于{p.day('due')}前"
            f"整改并答复评价人。")


def _complaint_stage(p: Payload) -> str:
    stage = {"assign": "分派", "reply": "答复"}.get(p["stage"])
    if stage is None:
        raise MissingField(p.kind, "stage")
    return stage


def _complaint_due_moved(p: Payload) -> str:
    return (f"工单 {p['serial']}（{p['category']}）的办理时限由{p.day('old_due')}调整为{p.day('due')}"
            f"（{p['reason']}），请按新的时限办理。")


def _complaint_yellow(p: Payload) -> str:
    return (f"工单 {p['serial']}（{p['category']}）将于{p.when('due')}到期，"
            f"请{p['responsible']}抓紧{_complaint_stage(p)}。")


def _complaint_red(p: Payload) -> str:
    return (f"工单 {p['serial']}（{p['category']}）已超过{_complaint_stage(p)}时限（{p.when('due')}），"
            f"请{p['responsible']}尽快办理。")


STAFF_ALERTS: dict[str, Callable[[Payload], str]] = {
    "supervision.yellow": _supervision_yellow,
    "supervision.red": _supervision_red,
    "rectification.opened": _rectification_opened,
    "deadline.changed": _deadline_changed,
    "complaint.yellow": _complaint_yellow,
    "complaint.due_changed": _complaint_due_moved,
    "complaint.red": _complaint_red,
}


def staff_alert(kind: str, payload: dict[str, Any], at: dt.datetime) -> str:
    """The text of an alert on the staff's list. Strict, like ``render``."""
    return STAFF_ALERTS[kind](Payload(kind, payload, at))


__all__ = [
    "CASE_STATUS",
    "KINDS",
    "TEMPLATE_FIELDS",
    "TEMPLATE_TITLES",
    "FieldRuleError",
    "MissingField",
    "UnknownKind",
    "Words",
    "day",
    "fallback",
    "page_of",
    "render",
    "staff_alert",
    "template_key",
    "wechat_time",
    "when",
    "yuan",
]
