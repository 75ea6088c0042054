"""Chinese labels of every status a person sees, by kind of thing: the one table the backend, the
mini-program and the staff console share. ``scripts/gen_tables.py`` writes the mini-program's
and console's copies from here (a test keeps them current); Python code imports it.

Keys are the statuses stored in the database, in the order a thing moves through them.
"""
from __future__ import annotations

CASE_STATUS = {
    "submitted": "已提交",
    "accepted": "已受理",
    "in_review": "审查中",
    "correction_requested": "待补正",
    "approved": "已批准",
    "rejected": "不予批准",
    "completed": "已办结",
    "withdrawn": "已撤回",
}

# What a refused (``rejected``) case's refusal was: at intake, or after review. The case's view
# carries it as ``outcome``; show it in place of the status label whenever it is given.
CASE_OUTCOME = {
    "not_accepted": "不予受理",
    "not_approved": "不予批准",
}

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

PAYMENT_STATUS = {
    "unpaid": "待支付",
    "paid": "已支付",
    "refunding": "退款中",
    "refunded": "已退款",
    "closed": "已关闭",
}

REFUND_STATUS = {
    "pending": "待处理",
    "processing": "退款中",
    "success": "已退款",
    "failed": "退款失败",
}

OUTBOX_STATUS = {
    "pending": "待发送",
    "sending": "发送中",
    "delivered": "已送达",
    "failed": "发送失败",
    "skipped": "未发送",
}

LICENCE_STATUS = {
    "valid": "有效",
    "revoked": "已撤销",
    "expired": "已过期",
    "invalid": "校验未通过",
}

MATERIAL_SOURCE = {
    "file": "上传文件",
    "licence": "电子证照",
    "paper": "窗口提交纸质材料",
    "declared": "网上勾选（未上传，待窗口核验）",
    "shared": "一件事共享",
    "promised": "容缺：承诺补齐",
}

PROMISE_STATUS = {
    "open": "待补齐",
    "kept": "已补齐",
    "waived": "未补齐，已说明原因办结",
}

COMPLAINT_STATUS = {
    "received": "已登记",
    "assigned": "办理中",
    "replied": "已答复",
    "closed": "已办结",
}

# A bundle (一件事) as a whole, from its cases' statuses.
BUNDLE_STATUS = {
    "submitted": "已提交",
    "in_progress": "办理中",
    "correction_requested": "待补正",
    "completed": "已全部办结",
    "partly_completed": "部分办结",
    "closed": "未获批准",
    "withdrawn": "已撤回",
}

GRANT_STATUS = {
    "active": "有效",
    "revoked": "已撤销",
    "expired": "已过期",
}

# Every table by the kind of thing it labels (the generated JavaScript modules use these names).
STATUS_LABELS: dict[str, dict[str, str]] = {
    "case": CASE_STATUS,
    "case_outcome": CASE_OUTCOME,
    "appointment": APPOINTMENT_STATUS,
    "waitlist": WAITLIST_STATUS,
    "ticket": TICKET_STATUS,
    "payment": PAYMENT_STATUS,
    "refund": REFUND_STATUS,
    "outbox": OUTBOX_STATUS,
    "licence": LICENCE_STATUS,
    "material_source": MATERIAL_SOURCE,
    "promise": PROMISE_STATUS,
    "complaint": COMPLAINT_STATUS,
    "bundle": BUNDLE_STATUS,
    "grant": GRANT_STATUS,
}


def label(kind: str, status: str) -> str:
    """The Chinese label of ``status``; an unknown status is shown as it is."""
    return STATUS_LABELS.get(kind, {}).get(status, status)
