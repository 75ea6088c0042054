"""What each event says: its inbox title and text, and the subscribe-message template (by key)
with field values cut to WeChat's limits. Every event kind reaches the inbox; unknown kinds too."""
from __future__ import annotations

from typing import Any

from backend.core.clock import iso

CASE_STATUS = {"submitted": "已提交", "accepted": "已受理", "in_review": "审查中", "approved": "已批准",
               "rejected": "未通过", "correction_requested": "需补正", "completed": "已办结", "withdrawn": "已撤回"}

# kind → (template key, inbox title)
KINDS: dict[str, tuple[str | None, str]] = {
    "case.status_changed": ("case_progress", "办件进度更新"),
    "case.correction_requested": ("case_progress", "请补正材料"),
    "rating.invited": ("rating", "请为本次服务评价"),
    "case.supervision_alert": (None, "办件时限预警"),
    "appointment.booked": ("appointment", "预约成功"),
    "appointment.reminder": ("appointment", "预约提醒"),
    "appointment.cancelled": ("appointment", "预约已取消"),
    "appointment.waitlist_offer": ("appointment", "候补成功，请确认"),
    "appointment.no_show": ("appointment", "预约爽约记录"),
    "appointment.booking_blocked": ("appointment", "预约功能暂停"),
    "payment.created": ("payment", "待缴费"),
    "payment.paid": ("payment", "缴费成功"),
    "payment.refunded": ("payment", "退款通知"),
    "payment.closed": ("payment", "缴款单已关闭"),
    "receipt.issued": ("payment", "电子票据已开具"),
}

TEMPLATE_TITLES = {"case_progress": "办件进度通知", "appointment": "预约结果通知", "payment": "缴费结果通知",
                   "rating": "服务评价邀请"}

# WeChat's limits on field values (provider-facts.md).
LIMITS = {"thing": 20, "character_string": 32, "number": 32, "letter": 32, "phrase": 5, "name": 10,
          "phone_number": 17, "time": 64, "date": 64, "amount": 11}


def cut(field: str, value: str) -> str:
    kind = field.rstrip("0123456789")
    limit = LIMITS.get(kind, 20)
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: max(1, limit - 1)] + "…"


def _yuan(fen: Any) -> str:
    try:
        return f"¥{int(fen) / 100:.2f}"
    except (TypeError, ValueError):
        return ""


def text(kind: str, p: dict[str, Any]) -> str:
    """The inbox text, in Chinese, from the event's payload."""
    svc = p.get("service_name") or "办事"
    if kind == "case.status_changed":
        status = CASE_STATUS.get(p.get("status", ""), p.get("status", ""))
        note = f"：{p['note']}" if p.get("note") else ""
        return f"您的“{svc}”办件（{p.get('serial', '')}）{status}{note}"
    if kind == "case.correction_requested":
        missing = "、".join(p.get("missing") or [])
        return f"您的“{svc}”办件需补正：{missing}。请于 {p.get('due', '')} 前补齐。"
    if kind == "rating.invited":
        return f"您的“{svc}”已办结，欢迎对本次服务进行评价。"
    if kind.startswith("appointment."):
        when = p.get("start", "")
        extra = {"appointment.reminder": "请按时到达，凭预约码签到。",
                 "appointment.waitlist_offer": f"请在 {p.get('expires_at', '')} 前确认。",
                 "appointment.booking_blocked": f"因多次爽约，{p.get('until', '')} 前暂停网上预约。"}.get(kind, "")
        return f"{svc}，{p.get('hall_name', '')}，{when}，预约码 {p.get('code', '')}。{extra}".strip("，")
    if kind.startswith("payment.") or kind == "receipt.issued":
        return f"{svc}：金额 {_yuan(p.get('amount_fen'))}。"
    return p.get("text") or "您有一条新消息。"


def template_data(kind: str, p: dict[str, Any], now: Any) -> dict[str, dict[str, str]]:
    title = KINDS.get(kind, (None, "通知"))[1]
    values = {"thing1": p.get("service_name") or title, "phrase2": title[:5],
              "character_string3": p.get("serial") or p.get("code") or p.get("payment_id") or "-",
              "time4": iso(now) or "", "thing5": text(kind, p)}
    return {k: {"value": cut(k, v)} for k, v in values.items()}


def template_key(kind: str) -> str | None:
    return KINDS.get(kind, (None, ""))[0]


def inbox(kind: str, p: dict[str, Any]) -> tuple[str, str]:
    return KINDS.get(kind, (None, "通知"))[1], text(kind, p)


def wechat_data(kind: str, p: dict[str, Any], now: Any) -> dict[str, dict[str, str]]:
    return template_data(kind, p, now)
