"""Catalogue rules: what may be offered where, and the public view of it."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from backend.audit.service import AuditLog, staff_actor
from backend.calendar.working import WorkingCalendar
from backend.catalogue.errors import CodeTaken
from backend.catalogue.store import CatalogueStore
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import Clock
from backend.core.names import normalise_name

log = logging.getLogger("zjb.catalogue")

# The application form of a service that defines none: what the mini-program asks everyone.
DEFAULT_FORM: list[dict[str, Any]] = [
    {"key": "contact_phone", "label": "联系电话", "type": "phone", "required": True},
    {"key": "note", "label": "补充说明", "type": "textarea", "required": False},
]


def _fee_items(guide: dict[str, Any]) -> list[dict[str, Any]]:
    """A guide's fee items, names normalised: codes unique, amounts adding up to the guide's fee. A
    guide of one fee item keeps it at the guide's fee when only the fee was changed (the console's
    收费 field), and has none once it charges nothing."""
    items = [{**i, "name": normalise_name(i["name"])} for i in guide["fee_items"]]
    if len(items) == 1 and items[0]["amount_fen"] != guide["fee_fen"]:
        items = [{**items[0], "amount_fen": guide["fee_fen"]}] if guide["fee_fen"] > 0 else []
    codes = [i["code"] for i in items]
    if len(set(codes)) != len(codes):
        raise errors.InvalidInput({"guide.fee_items": "收费项目编码不能重复"})
    if any(not i["name"] for i in items):
        raise errors.InvalidInput({"guide.fee_items": "收费项目名称不能为空"})
    if items and sum(i["amount_fen"] for i in items) != guide["fee_fen"]:
        raise errors.InvalidInput({"guide.fee_items": "各收费项目金额之和须等于收费金额"})
    return items


def public_department(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(d["_id"]), "code": d["code"], "name": d["name"], "phone": d.get("phone")}


def public_hall(h: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(h["_id"]), "code": h["code"], "name": h["name"], "address": h["address"],
        "phone": h.get("phone"), "opening_hours": h["opening_hours"], "closed_dates": h.get("closed_dates", []),
        "open_dates": h.get("open_dates", []),
        "windows": h.get("windows", []), "notice": h.get("notice"), "status": h["status"],
    }


def public_service(s: dict[str, Any], department_name: str) -> dict[str, Any]:
    g = s["guide"]
    guide = {**g, "location": g.get("location", ""),
             "materials": [{"key": m["key"], "name": m["name"], "required": m["required"],
                            "tolerable": m.get("tolerable", False), "copies": m.get("copies", 1),
                            "note": m.get("note"), "licence_type": m.get("licence_type")}
                           for m in g.get("materials", [])],
             "form": g.get("form") or DEFAULT_FORM}
    return {
        "id": str(s["_id"]), "code": s["code"], "name": s["name"], "department_id": s["department_id"],
        "department_name": department_name, "hall_ids": s.get("hall_ids", []),
        "keywords": s.get("keywords", []),
        "frequent": s.get("frequent", False), "guide": guide, "status": s["status"],
        "updated_at": s.get("updated_at"),
    }


class CatalogueService:
    def __init__(self, *, store: CatalogueStore, audit: AuditLog, clock: Clock, calendar: WorkingCalendar):
        self.store = store
        self.audit = audit
        self.clock = clock
        self.calendar = calendar
        # Called with (staff, hall_id, days, reason) after days were added to a hall's closed_dates
        # (appointments cancels their bookings).
        self.closure_listeners: list[Callable[[Staff, str, list[dt.date], str | None], Awaitable[None]]] = []

    # Reading ---------------------------------------------------------------------------------
    async def departments(self) -> list[dict[str, Any]]:
        return [public_department(d) for d in await self.store.list_departments()]

    async def halls(self) -> list[dict[str, Any]]:
        return [public_hall(h) for h in await self.store.list_halls()]

    async def hall(self, hall_id: str, *, include_inactive: bool = False) -> dict[str, Any]:
        h = await self.store.hall(hall_id)
        if h is None or (h["status"] != "active" and not include_inactive):
            raise errors.NotFound("未找到该大厅")
        return h

    async def hall_view(self, hall_id: str) -> dict[str, Any]:
        return public_hall(await self.hall(hall_id))

    async def services(self, **filters: Any) -> list[dict[str, Any]]:
        docs = await self.store.list_services(**filters)
        names = await self._department_names()
        return [public_service(s, names.get(s["department_id"], "")) for s in docs]

    async def get_service(self, service_id: str, *, include_inactive: bool = False) -> dict[str, Any]:
        """The public view of a service (with its guide); 404 when unknown or withdrawn."""
        s = await self.store.service(service_id)
        if s is None or (s["status"] != "active" and not include_inactive):
            raise errors.NotFound("未找到该事项")
        dept = await self.store.department(s["department_id"])
        return public_service(s, dept["name"] if dept else "")

    # Records for other domains (appointments, cases): the stored document, or None ------------
    async def department_record(self, department_id: str) -> dict[str, Any] | None:
        return await self.store.department(department_id)

    async def hall_record(self, hall_id: str) -> dict[str, Any] | None:
        return await self.store.hall(hall_id)

    async def service_record(self, service_id: str) -> dict[str, Any] | None:
        return await self.store.service(service_id)

    async def all_halls(self) -> list[dict[str, Any]]:
        """Active halls, stored documents."""
        return await self.store.list_halls()

    async def services_in_hall(self, hall_id: str) -> list[dict[str, Any]]:
        """Active services handled in a hall, stored documents."""
        return await self.store.list_services(hall_id=hall_id)

    async def _department_names(self) -> dict[str, str]:
        return {str(d["_id"]): d["name"] for d in await self.store.list_departments()}

    def hall_open_on(self, hall: dict[str, Any], day: dt.date, calendar: WorkingCalendar | None = None) -> bool:
        """Open that day, by the hall's own calendar: not among its closures, and either a working day
        (调休 weekend days included) or a day of the week the hall declares opening hours for that is
        not a public holiday (a hall with Saturday hours opens on ordinary Saturdays). In a year whose
        official schedule is not entered yet this follows the provisional calendar. ``calendar``
        asks another calendar than the one in force (what a schedule about to be entered would do)."""
        cal = calendar or self.calendar
        if day.isoformat() in hall.get("closed_dates", []):
            return False
        if cal.is_working_day(day) or day.isoformat() in hall.get("open_dates", []):
            return True
        declared = any(p["weekday"] == day.isoweekday() for p in hall.get("opening_hours", []))
        return declared and not cal.is_public_holiday(day)

    def hours_weekday(self, hall: dict[str, Any], day: dt.date) -> int:
        """Whose weekday's hours a day keeps (1 = Monday … 7): its own, or Monday's on a day the hall
        opens without declaring hours for that weekday (a 调休 working weekend, an extra opening day)."""
        own = day.isoweekday()
        if any(p["weekday"] == own for p in hall.get("opening_hours", [])) or not self.hall_open_on(hall, day):
            return own
        return 1

    def opening_periods(self, hall: dict[str, Any], day: dt.date) -> list[dict[str, Any]]:
        """The hall's opening hours on ``day`` (empty when it is closed that day)."""
        if not self.hall_open_on(hall, day):
            return []
        weekday = self.hours_weekday(hall, day)
        return [{**p, "weekday": day.isoweekday()} for p in hall.get("opening_hours", []) if p["weekday"] == weekday]

    # Managing (hall_manager) -------------------------------------------------------------------
    async def create_department(self, staff: Staff, body: dict[str, Any], ip: str) -> dict[str, Any]:
        doc = {"code": body["code"], "name": body["name"], "phone": body.get("phone"), "created_at": self.clock.now()}
        doc = await self._insert(self.store.add_department, doc, "该部门编码已存在")
        await self._audit(staff, "catalogue.department.create", "department", doc, ip, body)
        return public_department(doc)

    async def create_hall(self, staff: Staff, body: dict[str, Any], ip: str) -> dict[str, Any]:
        doc = {"code": body["code"], **await self._hall_fields(body), "status": "active",
               "created_at": self.clock.now()}
        doc.setdefault("closed_dates", [])
        doc.setdefault("windows", [])
        doc = await self._insert(self.store.add_hall, doc, "该大厅编码已存在")
        await self._audit(staff, "catalogue.hall.create", "hall", doc, ip, {"code": body["code"]})
        return public_hall(doc)

    async def update_hall(self, staff: Staff, hall_id: str, body: dict[str, Any], ip: str) -> dict[str, Any]:
        current = await self.hall(hall_id, include_inactive=True)
        changes = await self._hall_fields(body, current)
        if "status" in body:
            changes["status"] = body["status"]
        doc = await self.store.change_hall(hall_id, {**changes, "updated_at": self.clock.now()})
        if doc is None:
            raise errors.NotFound("未找到该大厅")
        await self._audit(staff, "catalogue.hall.update", "hall", doc, ip, {"fields": sorted(body)})
        today = self.clock.local_now().date().isoformat()
        closed = sorted(set(doc.get("closed_dates", [])) - set(current.get("closed_dates", [])))
        days = [dt.date.fromisoformat(d) for d in closed if d >= today]
        if days:  # should this stop half-way, the appointments sweep finishes it
            for listener in self.closure_listeners:
                try:
                    await listener(staff, hall_id, days, body.get("closure_reason"))
                except Exception:  # the closure is saved; the appointments sweep cancels what is left
                    log.exception("closure left to the sweep", extra={"hall_id": hall_id})
        return public_hall(doc)

    async def create_service(self, staff: Staff, body: dict[str, Any], ip: str) -> dict[str, Any]:
        fields = await self._service_fields(body)
        doc = {"code": body["code"], "hall_ids": [], "keywords": [], "frequent": False,
               **fields, "status": "active", "created_at": self.clock.now(), "updated_at": self.clock.now()}
        doc = await self._insert(self.store.add_service, doc, "该事项编码已存在")
        await self._audit(staff, "catalogue.service.create", "service", doc, ip, {"code": body["code"]})
        return await self.get_service(str(doc["_id"]))

    async def update_service(self, staff: Staff, service_id: str, body: dict[str, Any], ip: str) -> dict[str, Any]:
        if await self.store.service(service_id) is None:
            raise errors.NotFound("未找到该事项")
        changes = await self._service_fields(body)
        if "status" in body:
            changes["status"] = body["status"]
        doc = await self.store.change_service(service_id, {**changes, "updated_at": self.clock.now()})
        if doc is None:
            raise errors.NotFound("未找到该事项")
        await self._audit(staff, "catalogue.service.update", "service", doc, ip, {"fields": sorted(body)})
        return await self.get_service(service_id, include_inactive=True)

    # Helpers ---------------------------------------------------------------------------------
    @staticmethod
    async def _insert(add: Any, doc: dict[str, Any], taken: str) -> dict[str, Any]:
        try:
            return await add(doc)
        except DuplicateKeyError:
            raise CodeTaken(taken) from None

    async def _hall_fields(self, body: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
        out = {k: body[k] for k in ("name", "address", "phone", "notice", "closed_dates", "open_dates") if k in body}
        if set(out.get("closed_dates", current.get("closed_dates", []) if current else [])) & set(
                out.get("open_dates", current.get("open_dates", []) if current else [])):
            raise errors.InvalidInput({"open_dates": "同一天不能既是闭厅日又是额外开放日"})
        if "opening_hours" in body:
            bad = {f"opening_hours.{i}": "结束时间须晚于开始时间" for i, p in enumerate(body["opening_hours"])
                   if p["start"] >= p["end"]}
            if bad:
                raise errors.InvalidInput(bad)
            out["opening_hours"] = sorted(body["opening_hours"], key=lambda p: (p["weekday"], p["start"]))
        if "windows" in body:
            numbers = [w["number"] for w in body["windows"]]
            if len(set(numbers)) != len(numbers):
                raise errors.InvalidInput({"windows": "窗口号不能重复"})
            wanted = {sid for w in body["windows"] for sid in w.get("service_ids", [])}
            known = {str(s["_id"]) for s in await self.store.services_by_ids(sorted(wanted))}
            if wanted - known:
                raise errors.InvalidInput({"windows": "包含不存在的事项"}, details={"unknown": sorted(wanted - known)})
            existing = {w["id"] for w in (current or {}).get("windows", [])}
            windows = []
            for w in body["windows"]:
                wid = w.get("id")
                if wid and wid not in existing:
                    raise errors.InvalidInput({"windows": f"窗口 {wid} 不存在"})
                windows.append({"id": wid or str(ObjectId()), "number": w["number"], "name": w["name"],
                                "area_prefix": w["area_prefix"], "service_ids": w.get("service_ids", [])})
            out["windows"] = windows
        return out

    async def _service_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        out = {k: body[k] for k in ("name", "keywords", "frequent") if k in body}
        if "department_id" in body:
            if await self.store.department(body["department_id"]) is None:
                raise errors.InvalidInput({"department_id": "部门不存在"})
            out["department_id"] = body["department_id"]
        if "hall_ids" in body:
            found = {str(h["_id"]) for h in await self.store.halls_by_ids(body["hall_ids"])}
            if found != set(body["hall_ids"]):
                raise errors.InvalidInput({"hall_ids": "包含不存在的大厅"})
            out["hall_ids"] = body["hall_ids"]
        if "guide" in body:
            g = dict(body["guide"])
            if g["promised_days"] > g["statutory_days"] and g["statutory_days"] > 0:
                raise errors.InvalidInput({"guide.promised_days": "承诺时限不能超过法定时限"})
            keys = [m["key"] for m in g["materials"]]
            if len(set(keys)) != len(keys):
                raise errors.InvalidInput({"guide.materials": "材料编码不能重复"})
            g["materials"] = [{"tolerable": False, "copies": 1, **m} for m in g["materials"]]
            if "fee_items" in g:
                g["fee_items"] = _fee_items(g)
            out["guide"] = g
        return out

    async def _audit(self, staff: Staff, action: str, target_type: str, doc: dict[str, Any], ip: str,
                     details: dict[str, Any]) -> None:
        await self.audit.record(actor=staff_actor(staff), action=action, target_type=target_type,
                                target_id=str(doc["_id"]), details=details, ip=ip)
