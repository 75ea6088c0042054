"""Request and response shapes of appointments, slots, waitlist and the queue."""
from typing import Any

from backend.catalogue.schemas import DATE, HHMM
from backend.core.schema import DATETIME, ID, array, boolean, integer, list_of, nullable, obj, string


def out(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A response object: documented fields, more may be added later."""
    return obj(properties, required, additional=True)


PERIOD = obj({"weekday": integer(minimum=1, maximum=7, description="1=周一 … 7=周日"), "start": HHMM, "end": HHMM},
             ["weekday", "start", "end"])
DAY_PERIOD = obj({"start": HHMM, "end": HHMM}, ["start", "end"])
SCHEDULE_IN = obj({
    "service_id": ID,
    "periods": array(PERIOD, minItems=1, maxItems=28),
    "slot_minutes": integer(minimum=10, maximum=240, description="每个时段的分钟数（预约到小时：60）"),
    "windows": integer(minimum=1, maximum=50, description="服务该事项的窗口数"),
    "per_window": integer(minimum=1, maximum=50, description="每个窗口每个时段可办理人数"),
    "release_days": integer(minimum=0, maximum=60, description="提前几天放号"),
    "release_time": HHMM,
}, ["service_id", "periods", "slot_minutes", "windows"])
SCHEDULES_IN = obj({"items": array(SCHEDULE_IN, maxItems=100)}, ["items"])
SCHEDULE = out({"id": string(), "hall_id": string(), "service_id": string(), "periods": array(PERIOD),
                "slot_minutes": integer(), "windows": integer(), "per_window": integer(), "capacity": integer(),
                "release_days": integer(), "release_time": string(), "status": string(enum=["active", "inactive"]),
                "version": integer(), "updated_at": nullable(DATETIME)},
               ["id", "hall_id", "service_id", "periods", "slot_minutes", "windows", "capacity", "status"])
EXCEPTION_IN = obj({"date": DATE, "kind": string(enum=["closed", "open"], description="closed 闭厅；open 加开"),
                    "service_id": ID, "periods": array(DAY_PERIOD, maxItems=8), "note": string(maxLength=200)},
                   ["date", "kind"])
EXCEPTION = out({"id": string(), "hall_id": string(), "date": string(), "service_id": nullable(string()),
                 "kind": string(), "periods": array(DAY_PERIOD), "note": nullable(string()),
                 "affected_bookings": integer()}, ["id", "hall_id", "date", "kind"])
SCHEDULES = out({"items": array(SCHEDULE), "exceptions": array(EXCEPTION), "next_cursor": nullable(string())},
                ["items", "exceptions", "next_cursor"])

SLOT = out({"id": string(), "hall_id": string(), "service_id": string(), "date": string(), "start": DATETIME,
            "end": DATETIME, "capacity": integer(), "remaining": integer(minimum=0), "bookable": boolean()},
           ["id", "hall_id", "start", "end", "capacity", "remaining"])
LAST_RELEASE_DATE = nullable(string(format="date",
                                     description="已放号的最后一天（YYYY-MM-DD），选日期可选到这一天；无排班为 null"))
SLOTS = obj({**list_of(SLOT)["properties"], "last_release_date": LAST_RELEASE_DATE}, ["items", "next_cursor"])
SLOTS_QUERY = obj({"date": DATE, "hall_id": string(maxLength=64)}, ["date"])
CAL_SLOT = out({**SLOT["properties"], "service_name": string(), "booked": integer(), "held": integer(),
                "status": string(), "release_at": DATETIME, "released": boolean(), "fill_rate": {"type": "number"}},
               ["id", "hall_id", "start", "end", "capacity", "remaining", "booked", "fill_rate"])
CALENDAR = list_of(CAL_SLOT)
CALENDAR_QUERY = obj({"from": DATE, "to": DATE}, ["from", "to"])
RELEASE_IN = obj({"hall_id": ID, "date": DATE, "service_id": ID}, ["hall_id", "date"])
RELEASED = out({"released": integer(), "date": string(), "hall_id": string()}, ["released", "date", "hall_id"])

RESIDENT = {**nullable(out({"id": string(), "name_masked": nullable(string()), "id_number_masked": nullable(string())},
                           ["id", "name_masked", "id_number_masked"])),
            "description": "预约或排队的群众（仅工作人员可见；脱敏，完整信息须经审计的查看；现场取号为 null）"}
TICKET = out({"id": string(), "ticket_number": string(), "hall_id": string(), "date": string(),
              "service_id": string(), "service_name": string(), "kind": string(enum=["appointment", "walk_in"]),
              "appointment_id": nullable(string()), "status": string(enum=["waiting", "called", "served", "absent"]),
              "ahead": integer(minimum=0), "window_id": nullable(string()), "window_number": nullable(string()),
              "recalls": integer(),
              "estimated_wait_minutes": integer(minimum=0,
                                                description="现场取号：预计等候分钟数（按当天本区域的办理速度估算）"),
              "requeued": integer(minimum=0, description="过号后重新排到队尾的次数（一次后再过号即为过号）"),
              "created_at": DATETIME, "called_at": nullable(DATETIME), "resident": RESIDENT},
             ["id", "ticket_number", "hall_id", "status", "ahead"])
APPT_STATUS = string(enum=["booked", "cancelled", "checked_in", "served", "absent", "no_show", "pending",
                           "cancelled_by_centre"])
APPOINTMENT = out({
    "id": string(), "code": string(description="预约码（到厅出示）"), "status": APPT_STATUS,
    "slot": out({"id": string(), "hall_id": string(), "start": DATETIME, "end": DATETIME},
                ["id", "hall_id", "start", "end"]),
    "service_id": string(), "service_name": string(), "hall_id": string(), "hall_name": string(), "date": string(),
    "start": DATETIME, "end": DATETIME, "cancel_deadline": DATETIME, "created_at": DATETIME,
    "ticket_number": nullable(string()),
    "cancel_reason": string(description="中心取消预约的原因（status 为 cancelled_by_centre 时）"),
    "qr_png_base64": string(description="预约码二维码 PNG（base64）"), "ticket": TICKET, "resident": RESIDENT,
}, ["id", "code", "status", "slot"])
APPOINTMENTS = list_of(APPOINTMENT)
BOOK_IN = obj({"slot_id": ID}, ["slot_id"])
HALL_BOARD = out({
    "hall_id": string(), "hall_name": string(),
    "called": array(out({"ticket_number": string(), "window_number": string(), "window_name": string(),
                         "service_name": string(), "recalls": integer(minimum=0), "called_at": nullable(DATETIME)},
                        ["ticket_number", "window_number"]), description="正在叫的号（最新在前）"),
    "next": array(out({"ticket_number": string(), "service_name": string()}, ["ticket_number"]),
                  description="接下来将叫的号（按叫号顺序）"),
    "waiting": integer(minimum=0),
}, ["hall_id", "called", "next", "waiting"])
QUEUE_POSITION = out({"ticket_number": nullable(string()), "ahead": nullable(integer()), "status": string(),
                      "window_number": nullable(string())}, ["ticket_number", "ahead", "status"])

WAITLIST = out({"id": string(), "slot_id": string(), "hall_id": string(), "service_id": string(),
                "service_name": string(), "hall_name": string(), "start": DATETIME, "end": DATETIME,
                "status": string(enum=["waiting", "offered", "accepted", "left", "expired", "cancelled_by_centre"]),
                "cancel_reason": nullable(string()),
                "ahead": nullable(integer()), "offer_until": nullable(DATETIME),
                "appointment_id": nullable(string()), "created_at": DATETIME},
               ["id", "slot_id", "status", "start"])
WAITLISTS = list_of(WAITLIST)
BOOKING_STATUS = out({"blocked": boolean(), "blocked_until": nullable(DATETIME), "reason": nullable(string()),
                      "recent_no_shows": integer(), "open_bookings": integer(), "realname_verified": boolean(),
                      "limits": {"type": "object"}}, ["blocked", "blocked_until", "reason"])

CHECKIN_IN = obj({"appointment_code": string(minLength=4, maxLength=16, pattern=r"^[A-Za-z0-9]+$")},
                 ["appointment_code"])
CHECKIN = out({"ticket_number": string(), "ticket": TICKET, "ahead": integer(), "already_checked_in": boolean(),
               "appointment": APPOINTMENT}, ["ticket_number", "ticket", "ahead", "appointment"])
WALKIN_IN = obj({"hall_id": ID, "service_id": ID}, ["hall_id", "service_id"])
HALL_QUERY = obj({"hall_id": string(minLength=1, maxLength=64)}, ["hall_id"])
HALL_DATE_QUERY = obj({"hall_id": string(minLength=1, maxLength=64), "date": DATE}, ["hall_id"])
STAFF_APPOINTMENTS_QUERY = obj({
    "hall_id": string(minLength=1, maxLength=64), "date": DATE,
    "code": string(minLength=4, maxLength=16, pattern=r"^[A-Za-z0-9]+$",
                   description="预约码：按预约码查找（不需大厅）"),
})
QUEUE = out({"items": array(TICKET), "next_cursor": nullable(string()), "date": string(), "waiting": integer(),
             "called": integer()}, ["items", "next_cursor", "waiting"])
CALL_IN = obj({"hall_id": ID}, ["hall_id"])

CLOSURE_DATES = array(DATE, minItems=1, maxItems=62, uniqueItems=True, description="闭厅（或停用窗口）的日期")
CLOSURE_PREVIEW_IN = obj({"dates": CLOSURE_DATES,
                          "window_id": string(minLength=1, maxLength=64, description="只停用该窗口（不填为整个大厅）"),
                          "service_id": ID},
                         ["dates"])
CLOSURE_IN = obj({"dates": CLOSURE_DATES, "window_id": CLOSURE_PREVIEW_IN["properties"]["window_id"],
                  "reason": string(minLength=1, maxLength=60, description="原因（告知群众，如“设备检修”）")},
                 ["dates", "reason"])
CLOSURE_IMPACT = out({"appointments": integer(minimum=0, description="将取消（或已取消）的预约数"),
                      "waitlist": integer(minimum=0, description="将结束（或已结束）的候补数"),
                      "dates": array(string()), "window_id": nullable(string())},
                     ["appointments", "waitlist"])
