"""The events appointments emit, each with its words (see ``backend.core.phrasing``).

Payloads carry ``service_name``, ``hall_name``, ``start`` and ``code`` (a waitlist offer has
``offer_until`` instead of ``code``); a booking block adds ``blocked_until`` and ``reason``; a
cancellation by the centre adds ``reason`` and ``appointment_id`` (a waitlist entry's: ``reason``
and ``service_id``, no ``code``); at the hall, check-in adds ``ticket_number`` and ``ahead``, a
near turn ``ticket_number`` and ``ahead``, a call ``ticket_number`` and ``window_number``.
"""
from __future__ import annotations

from collections.abc import Callable

from backend.core.clock import TZ
from backend.core.phrasing import APPOINTMENT, SMS_SIGN, Event, Page, Payload, Words, tight, wechat_time

BOOKING_PAGE = Page("pages/booking/detail/index", "appointment_id", "pages/booking/list/index")
BOOKINGS = Page.list_only("pages/booking/list/index")


def _appointment(title: str, phrase: str, text: Callable[[Payload], str], hint: Callable[[Payload], str],
                 sms: Callable[[Payload], str]) -> Callable[[Payload], Words]:
    def words(p: Payload) -> Words:
        return Words(title=title, text=text(p), sms=SMS_SIGN + sms(p),
                     wechat={"thing1": p["service_name"], "time2": wechat_time(p.time("start")),
                             "thing3": p["hall_name"], "phrase4": phrase, "thing5": hint(p)})
    return words


def _place(p: Payload) -> str:
    return f"{p.when('start')}，{p['hall_name']}"


_booked = _appointment(
    "预约成功", "预约成功",
    lambda p: f"您已预约“{p['service_name']}”：{_place(p)}，预约码 {p['code']}。请凭预约码按时到大厅签到。",
    lambda p: f"预约码{p['code']}，请按时签到",
    lambda p: f"您已预约“{p['service_name']}”，{_place(p)}，预约码{p['code']}。")
_reminder = _appointment(
    "预约提醒", "即将开始",
    lambda p: f"您预约的“{p['service_name']}”将于{p.when('start')}开始，地点：{p['hall_name']}，预约码 {p['code']}。"
              f"请提前到达，凭预约码签到。",
    lambda p: f"预约码{p['code']}，请提前到达",
    lambda p: f"您预约的“{p['service_name']}”将于{p.when('start')}开始，{p['hall_name']}，预约码{p['code']}。")
_cancelled = _appointment(
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
    lambda p: f"因{tight(p['reason'])}，您的网上预约暂停至{p.when('blocked_until')}。期间仍可到大厅现场取号办理。",
    lambda p: f"网上预约暂停至{p.short_day('blocked_until')}",
    lambda p: f"因{tight(p['reason'])}，您的网上预约暂停至{p.when('blocked_until')}，期间可到大厅现场取号。")


_checked_in = _appointment(
    "已签到，请等候叫号", "已签到",
    lambda p: f"您已在{p['hall_name']}签到“{p['service_name']}”，排队号 {p['ticket_number']}，"
              f"前面还有 {p['ahead']} 位。预约的时段开始后，您将先于现场取号的群众被叫号，请留意大厅叫号屏。",
    lambda p: f"排队号{p['ticket_number']}，前面{p['ahead']}位",
    lambda p: f"您已在{p['hall_name']}签到，排队号{p['ticket_number']}，前面还有{p['ahead']}位，请留意叫号。")
_turn_near = _appointment(
    "即将叫到您", "即将叫号",
    lambda p: f"您在{p['hall_name']}的排队号 {p['ticket_number']} 前面还有 {p['ahead']} 位，请到窗口附近等候。",
    lambda p: f"排队号{p['ticket_number']}，前面还有{p['ahead']}位",
    lambda p: f"您的排队号{p['ticket_number']}前面还有{p['ahead']}位，请到窗口附近等候。")
_called = _appointment(
    "请到窗口办理", "请到窗口",
    lambda p: f"请 {p['ticket_number']} 号到 {p['window_number']} 号窗口办理“{p['service_name']}”。",
    lambda p: f"请{p['ticket_number']}号到{p['window_number']}号窗口",
    lambda p: f"请{p['ticket_number']}号到{p['hall_name']}{p['window_number']}号窗口办理“{p['service_name']}”。")


def _cancelled_by_centre(p: Payload) -> Words:
    reason = tight(p["reason"]).rstrip("。")
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
    reason = tight(p["reason"]).rstrip("。")
    where = _place(p)
    return Words(
        title="候补已由中心取消",
        text=f"因{reason}，您候补的“{p['service_name']}”（{where}）已由政务服务中心取消。"
             f"请在小程序中重新预约其他时间，给您带来不便，敬请谅解。",
        sms=f"{SMS_SIGN}因{reason}，您候补的“{p['service_name']}”（{where}）已由中心取消，请在指尖办小程序重新预约。",
        wechat={"thing1": p["service_name"], "time2": wechat_time(p.time("start")), "thing3": p["hall_name"],
                "phrase4": "已取消", "thing5": "请重新预约其他时间"},
        page=f"pages/booking/book/index?service_id={p['service_id']}")


EVENTS = (
    Event("appointment.booked", _booked, APPOINTMENT, BOOKING_PAGE),
    Event("appointment.reminder", _reminder, APPOINTMENT, BOOKING_PAGE),
    Event("appointment.cancelled", _cancelled, APPOINTMENT, BOOKING_PAGE),
    Event("appointment.waitlist_offer", _waitlist_offer, APPOINTMENT, BOOKINGS),
    Event("appointment.no_show", _no_show, APPOINTMENT, BOOKING_PAGE),
    Event("appointment.booking_blocked", _booking_blocked, APPOINTMENT, BOOKINGS),
    Event("appointment.cancelled_by_centre", _cancelled_by_centre, APPOINTMENT, BOOKING_PAGE),
    Event("appointment.waitlist_cancelled_by_centre", _waitlist_cancelled_by_centre, APPOINTMENT, BOOKINGS),
    Event("appointment.checked_in", _checked_in, APPOINTMENT, BOOKING_PAGE),
    Event("appointment.turn_near", _turn_near, APPOINTMENT, BOOKING_PAGE),
    Event("appointment.called", _called, APPOINTMENT, BOOKING_PAGE),
)
