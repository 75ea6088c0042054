"""The Chinese labels of the statuses of bookings, the waitlist and the hall queue, keyed by the stored status in
the order a thing moves through them. Registered through the domain's vocabulary; the console's and
mini-program's copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

from backend.appointments.values import AppointmentStatus as A
from backend.appointments.values import TicketStatus as T
from backend.appointments.values import WaitlistStatus as W

APPOINTMENT_STATUS: dict[str, str] = {
    A.PENDING: "处理中",
    A.BOOKED: "已预约",
    A.CHECKED_IN: "已签到",
    A.SERVED: "已办理",
    A.ABSENT: "过号",
    A.NO_SHOW: "爽约",
    A.CANCELLED: "已取消",
    A.CANCELLED_BY_CENTRE: "中心已取消",
    A.ABANDONED: "预约未成功",
}

WAITLIST_STATUS: dict[str, str] = {
    W.WAITING: "候补中",
    W.OFFERED: "有空位，待确认",
    W.ACCEPTED: "已转为预约",
    W.LEFT: "已退出",
    W.EXPIRED: "已过期",
    W.CANCELLED_BY_CENTRE: "中心已取消",
}

TICKET_STATUS: dict[str, str] = {
    T.WAITING: "等候中",
    T.CALLED: "已叫号",
    T.SERVED: "已办理",
    T.ABSENT: "过号",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "appointment": APPOINTMENT_STATUS,
    "waitlist": WAITLIST_STATUS,
    "ticket": TICKET_STATUS,
}
