"""The API's JSON of cases (办件), ratings and rectification orders, built from their values in one
place each: what residents see, and what staff see besides (who did what, the applicant masked,
the version a move is conditional on)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.cases import materials as case_materials
from backend.cases.rules import outcome
from backend.cases.values import (
    OPEN,
    Case,
    CaseStatus,
    Correction,
    HandlingFigure,
    Light,
    Rating,
    Rectification,
    RectificationStatus,
    Step,
)
from backend.core.masking import mask_phone

LEVELS = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}


def applicant_view(case: Case, person: Any) -> dict[str, Any]:
    """Who applied, as staff see it: masked name and ID number (the full ones only through the
    audited reveal), and the masked phone number when the form gave one."""
    out = {"id": case.applicant_id, "name_masked": getattr(person, "name_masked", None),
           "id_number_masked": getattr(person, "id_number_masked", None)}
    phone = mask_phone(str(case.form.get("phone") or ""))
    if phone:
        out["phone_masked"] = phone
    return out


def _step_view(e: Step, *, staff: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"status": str(e.status), "at": e.at, "note": e.note}
    if staff:
        out["actor"] = {"type": e.actor.type, "id": e.actor.id, "name": e.actor.name}
    if e.agent is not None:
        out["agent"] = {"type": e.agent.type, "name_masked": e.agent.name_masked}
    return out


def _correction_view(c: Correction | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"missing": list(c.missing), "materials": list(c.materials), "due": c.due.isoformat(),
            "requested_at": c.requested_at}


def case_view(case: Case, *, staff: bool, now: dt.datetime, rated: bool = False,
              applicant: Any = None) -> dict[str, Any]:
    """A case as the API shows it. Residents see the timeline without staff names; staff see who
    did what, the applicant (masked) and the case's version."""
    form_fields = [{"key": f.key, "label": f.label, "type": f.type} for f in case.form_fields]
    out: dict[str, Any] = {
        "id": case.id, "serial": case.serial, "service_id": case.service_id, "service_name": case.service_name,
        "department_id": case.department_id, "department_name": case.department_name, "status": str(case.status),
        "outcome": outcome(case.status, case.history),
        "form": case_materials.form_view(case.form, form_fields) if staff else case.form,
        "form_fields": [{"key": f.key, "label": f.label} for f in case.form_fields],
        "materials": case_materials.view(case.materials, staff=staff, now=now),
        "promise_due_at": case.promises.due_at,
        "deadline": case.deadline, "deadline_provisional": case.deadline_provisional,
        "light": str(case.light) if case.status in OPEN and case.light is not None else None,
        "correction": _correction_view(case.correction),
        "rejection_reason": case.rejection_reason, "rated": rated, "created_at": case.created_at,
        "updated_at": case.updated_at, "timeline": [_step_view(e, staff=staff) for e in case.timeline]}
    if staff:
        out["applicant"] = applicant_view(case, applicant)
        out["version"] = case.version
    return out


def rating_view(r: Rating, department_names: dict[str, str]) -> dict[str, Any]:
    return {"id": r.id, "application_id": r.application_id, "serial": r.serial, "service_id": r.service_id,
            "service_name": r.service_name, "department_id": r.department_id,
            "department_name": department_names.get(r.department_id, ""), "score": r.score,
            "level": LEVELS[r.score], "comment": r.comment, "indicators": list(r.indicators),
            "created_at": r.created_at, "rectification_id": r.rectification_id}


def rectification_view(r: Rectification, department_names: dict[str, str], now: dt.datetime) -> dict[str, Any]:
    return {"id": r.id, "application_id": r.application_id, "serial": r.serial, "service_name": r.service_name,
            "department_id": r.department_id, "department_name": department_names.get(r.department_id, ""),
            "score": r.score, "comment": r.comment, "status": str(r.status), "due": r.due, "reply": r.reply,
            "overdue": r.status is RectificationStatus.OPEN and now > r.due, "created_at": r.created_at}


class SupervisionTally:
    """The supervision summary (电子监察), counted case by case: per department its open cases by
    light, its completed ones (on time, hours taken) and its ratings; and the totals."""

    def __init__(self, department_names: dict[str, str]):
        self._names = department_names
        self._rows: dict[str, dict[str, Any]] = {}

    def _row(self, dep: str) -> dict[str, Any]:
        return self._rows.setdefault(dep, {"department_id": dep, "department_name": self._names.get(dep, ""),
                                           "open": 0, "green": 0, "yellow": 0, "red": 0, "completed": 0,
                                           "_on_time": 0, "_hours": 0.0, "_scores": 0, "ratings": 0})

    def case(self, f: HandlingFigure) -> None:
        r = self._row(f.department_id)
        if f.status in OPEN:
            r["open"] += 1
            r[str(f.light or Light.GREEN)] += 1
        elif f.status is CaseStatus.COMPLETED and f.completed_at is not None:
            r["completed"] += 1
            r["_hours"] += (f.completed_at - f.created_at).total_seconds() / 3600
            if f.deadline is None or f.completed_at <= f.deadline:
                r["_on_time"] += 1

    def ratings(self, dep: str, n: int, total: int) -> None:
        r = self._row(dep)
        r["ratings"], r["_scores"] = n, total

    def view(self) -> dict[str, Any]:
        items = []
        totals = {"green": 0, "yellow": 0, "red": 0, "_on_time": 0, "completed": 0, "_scores": 0, "ratings": 0}
        for r in self._rows.values():
            for k in totals:
                totals[k] += r[k]
            done = r["completed"]
            items.append({**{k: v for k, v in r.items() if not k.startswith("_")},
                          "on_time_rate": round(r["_on_time"] / done, 4) if done else None,
                          "avg_handling_hours": round(r["_hours"] / done, 1) if done else None,
                          "satisfaction": round(r["_scores"] / r["ratings"], 2) if r["ratings"] else None})
        items.sort(key=lambda x: x["department_id"])
        done, rated = totals["completed"], totals["ratings"]
        return {"items": items, "departments": items, "green": totals["green"], "yellow": totals["yellow"],
                "red": totals["red"], "on_time_rate": round(totals["_on_time"] / done, 4) if done else None,
                "satisfaction": round(totals["_scores"] / rated, 2) if rated else None}
