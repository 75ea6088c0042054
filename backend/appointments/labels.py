"""The Chinese labels of the statuses of bookings, the waitlist and the hall queue, keyed by the stored status in
the order a thing moves through them. Registered through the domain's vocabulary; the console's and
mini-program's copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

APPOINTMENT_STATUS = {
    "pending": "处理中",
    "booked": "已预约",
    "checked_in": "已签到",
    "served": "已办理",
    "absent": "过号",
    "no_show": "爽约",
    "cancelled": "已取消",
    "cancelled_by_centre": "中心已取消",
    "abandoned": "预约未成功",
}

WAITLIST_STATUS = {
    "waiting": "候补中",
    "offered": "有空位，待确认",
    "accepted": "已转为预约",
    "left": "已退出",
    "expired": "已过期",
    "cancelled_by_centre": "中心已取消",
}

TICKET_STATUS = {
    "waiting": "等候中",
    "called": "已叫号",
    "served": "已办理",
    "absent": "过号",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "appointment": APPOINTMENT_STATUS,
    "waitlist": WAITLIST_STATUS,
    "ticket": TICKET_STATUS,
}
