"""The errors of bookings, the waitlist and the hall queue: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict, Forbidden


class BookingBlocked(Forbidden):
    code = "booking_blocked"
    message = "因多次爽约，网上预约已暂停，可到大厅现场取号办理"


class SlotNotOpen(Conflict):
    code = "slot_not_open"
    message = "该时段尚未开放预约"


class SlotClosed(Conflict):
    code = "slot_closed"
    message = "该时段已过或即将开始，不能预约"


class SlotFull(Conflict):
    code = "slot_full"
    message = "该时段已约满，可加入候补"


class SlotAvailable(Conflict):
    code = "slot_available"
    message = "该时段还有名额，请直接预约"


class AlreadyBooked(Conflict):
    code = "already_booked"
    message = "您已预约过该事项"


class DailyLimit(Conflict):
    code = "daily_limit"
    message = "已达到每天的预约次数上限"


class TooManyOpen(Conflict):
    code = "too_many_open"
    message = "未办理的预约过多，请办理或取消后再预约"


class CancelTooLate(Conflict):
    code = "cancel_too_late"
    message = "距预约开始时间太近，已不能取消"


class AlreadyWaitlisted(Conflict):
    code = "already_waitlisted"
    message = "您已在该时段的候补名单中"


class TooManyWaitlists(Conflict):
    code = "too_many_waitlists"
    message = "候补的时段已达上限"


class OfferExpired(Conflict):
    code = "offer_expired"
    message = "候补名额已过期"


class CheckinTooEarly(Conflict):
    code = "checkin_too_early"
    message = "签到时间未到"


class CheckinTooLate(Conflict):
    code = "checkin_too_late"
    message = "已超过签到时间，请重新预约或现场取号"


class HallClosed(Conflict):
    code = "hall_closed"
    message = "大厅现在不在开放时间，不能现场取号"


class QueueEmpty(Conflict):
    code = "queue_empty"
    message = "当前没有等候的号"


class RecallLimit(Conflict):
    code = "recall_limit"
    message = "重呼次数已达上限，请标记为过号"


class CancelledByCentre(Conflict):
    """A booking the centre cancelled because its day or window closed: it cannot be checked in."""
    code = "appointment_cancelled_by_centre"
    message = "该预约已由中心取消，请重新预约"


ALL = (BookingBlocked, SlotNotOpen, SlotClosed, SlotFull, SlotAvailable, AlreadyBooked, DailyLimit,
       TooManyOpen, CancelTooLate, AlreadyWaitlisted, TooManyWaitlists, OfferExpired, CheckinTooEarly,
       CheckinTooLate, HallClosed, QueueEmpty, RecallLimit, CancelledByCentre,)
