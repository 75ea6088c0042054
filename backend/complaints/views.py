"""The API's JSON of a complaint (12345 工单), built from the value in this one place.

Residents see the timeline without who made each move; staff see who did what, the version and
whether the reply came in time. The stage fields show only while the complaint is open.
"""
from __future__ import annotations

from typing import Any

from backend.complaints.labels import CATEGORIES, COMPLAINT_STATUS
from backend.complaints.values import Complaint, ComplaintStatus, DepartmentFigures, Feedback, Reply
from backend.core.masking import mask_phone

HOTLINE_FIGURES = "12345热线（直接答复或待分派）"


def complaint_view(c: Complaint, *, staff: bool) -> dict[str, Any]:
    open_ = c.is_open
    replied = c.status == ComplaintStatus.REPLIED
    out: dict[str, Any] = {
        "id": c.id, "serial": c.serial, "category": c.category,
        "category_name": CATEGORIES[c.category], "content": c.content, "location": c.location,
        "attachments": list(c.attachments), "contact_ok": c.contact_ok,
        "status": c.status.value, "status_name": COMPLAINT_STATUS[c.status.value],
        "due": c.due if open_ else None, "light": c.light if open_ else None,
        "due_provisional": open_ and c.due_provisional,
        "stage": c.stage.value if open_ and c.stage is not None else None,
        "department_id": c.department_id, "department_name": c.department_name,
        "reply": _reply(c.reply), "feedback": _feedback(c.feedback),
        "can_feedback": replied, "reopened": c.reopened,
        "merged_into": (None if c.merged_into is None else
                        {"serial": c.merged_into.serial, **({"id": c.merged_into.id} if staff else {})}),
        "close_at": c.close_at if replied else None,
        "created_at": c.created_at, "updated_at": c.updated_at,
    }
    if c.timeline is not None:
        out["timeline"] = [{"status": e.status.value, "at": e.at, "note": e.note,
                            **({"actor": e.actor} if staff else {})} for e in c.timeline]
    if staff:
        out["contact_phone_masked"] = mask_phone(c.contact_phone) if c.contact_ok else None
        out["version"] = c.version
        out["on_time"] = c.on_time
    return out


def page_view(items: list[Complaint], limit: int, *, staff: bool) -> dict[str, Any]:
    """One page of a list read ``limit + 1`` long: the extra item only says there is a next page."""
    page = items[:limit]
    return {"items": [complaint_view(c, staff=staff) for c in page],
            "next_cursor": page[-1].id if len(items) > limit else None}


def figures_view(figures: list[DepartmentFigures], names: dict[str, str]) -> dict[str, Any]:
    """Per department: received, replied, on time, still open, satisfaction; the hotline's own last."""
    items = []
    for r in figures:
        dep = r.department_id
        items.append({
            "department_id": dep, "department_name": names.get(dep, "") if dep else HOTLINE_FIGURES,
            "received": r.received, "open": r.open, "replied": r.replied, "on_time": r.on_time,
            "on_time_rate": round(r.on_time / r.replied, 4) if r.replied else None,
            "feedback": r.feedback, "satisfied": r.satisfied,
            "satisfaction": round(r.satisfied / r.feedback, 4) if r.feedback else None})
    items.sort(key=lambda x: (x["department_id"] is None, x["department_name"]))
    return {"items": items, "next_cursor": None}


def _reply(r: Reply | None) -> dict[str, Any] | None:
    return None if r is None else {"text": r.text, "at": r.at, "by": r.by}


def _feedback(f: Feedback | None) -> dict[str, Any] | None:
    return None if f is None else {"satisfied": f.satisfied, "comment": f.comment, "at": f.at}
