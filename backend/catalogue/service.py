"""Catalogue rules: what may be offered where, and the public view of it."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from backend.audit.service import AuditLog, staff_actor
from backend.calendar.working import WorkingCalendar
from backend.catalogue import guides
from backend.catalogue.access import CATALOGUE, CatalogueAccess, check_halls
from backend.catalogue.errors import CodeTaken
from backend.catalogue.guides import DEFAULT_FORM as DEFAULT_FORM  # the sandbox's seed reads it here
from backend.catalogue.store import CatalogueStore
from backend.catalogue.values import (
    Department,
    FeeItem,
    Guide,
    Hall,
    HallChange,
    HallStatus,
    Period,
    Service,
    ServiceChange,
    ServiceFilter,
    ServiceStatus,
    Window,
)
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import Clock
from backend.core.names import normalise_name
from backend.core.recent import Recent

log = logging.getLogger("zjb.catalogue")

def _fee_items(guide: Guide) -> tuple[FeeItem, ...]:
    """A guide's fee items, names normalised: codes unique, amounts adding up to the guide's fee. A
    guide of one fee item keeps it at the guide's fee when only the fee was changed (the console's
    收费 field), and has none once it charges nothing."""
    items = [replace(i, name=normalise_name(i.name)) for i in guide.fee_items or ()]
    if len(items) == 1 and items[0].amount_fen != guide.fee_fen:
        items = [replace(items[0], amount_fen=guide.fee_fen)] if guide.fee_fen > 0 else []
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        raise errors.InvalidInput({"guide.fee_items": "收费项目编码不能重复"})
    if any(not i.name for i in items):
        raise errors.InvalidInput({"guide.fee_items": "收费项目名称不能为空"})
    if items and sum(i.amount_fen for i in items) != guide.fee_fen:
        raise errors.InvalidInput({"guide.fee_items": "各收费项目金额之和须等于收费金额"})
    return tuple(items)


def public_department(d: Department) -> dict[str, Any]:
    return {"id": d.id, "code": d.code, "name": d.name, "phone": d.phone}


def public_hall(h: Hall) -> dict[str, Any]:
    return {
        "id": h.id, "code": h.code, "name": h.name, "address": h.address,
        "phone": h.phone, "opening_hours": list(h.opening_hours), "closed_dates": list(h.closed_dates),
        "open_dates": list(h.open_dates),
        "windows": list(h.windows), "notice": h.notice, "status": str(h.status),
    }


def hall_record(h: Hall) -> HallRecord:
    """A hall as other domains read it (appointments): the stored fields, its id under ``_id``."""
    return {"_id": h.id, "code": h.code, "name": h.name, "address": h.address, "phone": h.phone,
            "opening_hours": list(h.opening_hours), "closed_dates": list(h.closed_dates),
            "open_dates": list(h.open_dates), "windows": list(h.windows), "notice": h.notice,
            "status": str(h.status), "created_at": h.created_at, "updated_at": h.updated_at}


def public_service(s: Service, department_name: str) -> dict[str, Any]:
    guide = guides.view(s.guide)
    return {
        "id": s.id, "code": s.code, "name": s.name, "department_id": s.department_id,
        "department_name": department_name, "hall_ids": list(s.hall_ids),
        "keywords": list(s.keywords),
        "frequent": s.frequent, "high_assurance": s.high_assurance, "guide": guide, "status": str(s.status),
        "updated_at": s.updated_at,
    }


# A hall as other domains hold it (``hall_record``); the opening-day rules below read it.
HallRecord = dict[str, Any]


class CatalogueService:
    def __init__(self, *, store: CatalogueStore, audit: AuditLog, clock: Clock, calendar: WorkingCalendar):
        self.store = store
        self.audit = audit
        self.clock = clock
        self.calendar = calendar
        self.access = CatalogueAccess(store)
        self._lists: Recent[list[dict[str, Any]]] = Recent(store.recent_seconds, limit=256)
        # Called with (staff, hall_id, days, reason) after days were added to a hall's closed_dates
        # (appointments cancels their bookings).
        self.closure_listeners: list[Callable[[Staff, str, list[dt.date], str | None], Awaitable[None]]] = []

    # Reading ---------------------------------------------------------------------------------
    async def departments(self) -> list[dict[str, Any]]:
        """The public views of the departments, on every home page: kept like the services' lists
        (this process's writes seen at once, another's within twice the store's ``recent_seconds``)."""
        async def build() -> list[dict[str, Any]]:
            return [public_department(d) for d in await self.store.list_departments()]
        return await self._lists.get((self.store.writes, "departments"), build)

    async def halls(self) -> list[dict[str, Any]]:
        return [public_hall(h) for h in await self.store.list_halls()]

    async def _hall(self, hall_id: str, *, include_inactive: bool = False) -> Hall:
        h = await self.store.hall(hall_id)
        if h is None or (not h.active and not include_inactive):
            raise errors.NotFound("未找到该大厅")
        return h

    async def hall(self, hall_id: str, *, include_inactive: bool = False) -> HallRecord:
        """A hall for other domains; 404 when unknown or (unless ``include_inactive``) closed for good."""
        return hall_record(await self._hall(hall_id, include_inactive=include_inactive))

    async def hall_view(self, hall_id: str) -> dict[str, Any]:
        return public_hall(await self._hall(hall_id))

    async def services(self, *, department_id: str | None = None, hall_id: str | None = None,
                       q: str | None = None, frequent: bool | None = None) -> list[dict[str, Any]]:
        """The public views of the services found. A list (the frequent ones, on every home page) is
        built once and kept for the store's ``recent_seconds``: this process's writes are seen at
        once, another's within twice that (the list may be built from what the store kept)."""
        f = ServiceFilter(department_id=department_id, hall_id=hall_id, q=q, frequent=frequent)
        return await self._lists.get((self.store.writes, f), lambda: self._services(f))

    async def _services(self, f: ServiceFilter) -> list[dict[str, Any]]:
        found = await self.store.list_services(f)
        names = await self._department_names()
        return [public_service(s, names.get(s.department_id, "")) for s in found]

    async def get_service(self, service_id: str, *, include_inactive: bool = False) -> dict[str, Any]:
        """The public view of a service (with its guide); 404 when unknown or withdrawn."""
        s = await self.store.service(service_id)
        if s is None or (not s.active and not include_inactive):
            raise errors.NotFound("未找到该事项")
        dept = await self.store.department(s.department_id)
        return public_service(s, dept.name if dept else "")

    # Records for other domains (appointments): the hall's stored fields, or None ---------------
    async def hall_record(self, hall_id: str) -> HallRecord | None:
        h = await self.store.hall(hall_id)
        return None if h is None else hall_record(h)

    async def known_halls(self, hall_ids: list[str]) -> set[str]:
        """Which of these ids are halls (staff accounts are limited to halls that exist)."""
        return await self.store.known_halls(hall_ids)

    async def known_departments(self, department_ids: list[str]) -> set[str]:
        """Which of these ids are departments (staff accounts are limited to departments that exist)."""
        return await self.store.known_departments(department_ids)

    async def all_halls(self) -> list[HallRecord]:
        """Active halls."""
        return [hall_record(h) for h in await self.store.list_halls()]

    async def _department_names(self) -> dict[str, str]:
        return {d.id: d.name for d in await self.store.list_departments()}

    def hall_open_on(self, hall: HallRecord, day: dt.date, calendar: WorkingCalendar | None = None) -> bool:
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

    def hours_weekday(self, hall: HallRecord, day: dt.date) -> int:
        """Whose weekday's hours a day keeps (1 = Monday … 7): its own, or Monday's on a day the hall
        opens without declaring hours for that weekday (a 调休 working weekend, an extra opening day)."""
        own = day.isoweekday()
        if any(p["weekday"] == own for p in hall.get("opening_hours", [])) or not self.hall_open_on(hall, day):
            return own
        return 1

    def opening_periods(self, hall: HallRecord, day: dt.date) -> list[dict[str, Any]]:
        """The hall's opening hours on ``day`` (empty when it is closed that day)."""
        if not self.hall_open_on(hall, day):
            return []
        weekday = self.hours_weekday(hall, day)
        return [{**p, "weekday": day.isoweekday()} for p in hall.get("opening_hours", []) if p["weekday"] == weekday]

    # Managing (hall_manager) -------------------------------------------------------------------
    async def create_department(self, staff: Staff, body: dict[str, Any], ip: str) -> dict[str, Any]:
        CATALOGUE.check(staff, "create_department")
        check_halls(staff, "create_department", ())
        try:
            d = await self.store.add_department(body["code"], body["name"], body.get("phone"), self.clock.now())
        except DuplicateKeyError:
            raise CodeTaken("该部门编码已存在") from None
        await self._audit(staff, "catalogue.department.create", "department", d.id, ip, body)
        return public_department(d)

    async def create_hall(self, staff: Staff, body: dict[str, Any], ip: str) -> dict[str, Any]:
        CATALOGUE.check(staff, "create_hall")
        check_halls(staff, "create_hall", ())
        f = await self._hall_fields(body)
        new = Hall(id="", code=body["code"], name=body["name"], address=body["address"],
                   opening_hours=f.opening_hours or (), status=HallStatus.ACTIVE, phone=f.phone,
                   closed_dates=f.closed_dates or (), open_dates=f.open_dates or (), windows=f.windows or (),
                   notice=f.notice, created_at=self.clock.now())
        try:
            h = await self.store.add_hall(new)
        except DuplicateKeyError:
            raise CodeTaken("该大厅编码已存在") from None
        await self._audit(staff, "catalogue.hall.create", "hall", h.id, ip, {"code": body["code"]})
        return public_hall(h)

    async def update_hall(self, staff: Staff, hall_id: str, body: dict[str, Any], ip: str) -> dict[str, Any]:
        current = await self.access.access_hall(staff, hall_id, "update_hall")
        change = await self._hall_fields(body, current)
        h = await self.store.change_hall(hall_id, change)
        if h is None:
            raise errors.NotFound("未找到该大厅")
        await self._audit(staff, "catalogue.hall.update", "hall", h.id, ip, {"fields": sorted(body)})
        today = self.clock.local_now().date().isoformat()
        closed = sorted(set(h.closed_dates) - set(current.closed_dates))
        days = [dt.date.fromisoformat(d) for d in closed if d >= today]
        if days:  # should this stop half-way, the appointments sweep finishes it
            for listener in self.closure_listeners:
                try:
                    await listener(staff, hall_id, days, body.get("closure_reason"))
                except Exception:  # the closure is saved; the appointments sweep cancels what is left
                    log.exception("closure left to the sweep", extra={"hall_id": hall_id})
        return public_hall(h)

    async def create_service(self, staff: Staff, body: dict[str, Any], ip: str) -> dict[str, Any]:
        CATALOGUE.check(staff, "create_service")
        f = await self._service_fields(body)
        check_halls(staff, "create_service", f.hall_ids or ())
        now = self.clock.now()
        assert f.guide is not None and f.department_id is not None and f.name is not None  # required by SERVICE_IN
        new = Service(id="", code=body["code"], name=f.name, department_id=f.department_id, guide=f.guide,
                      status=ServiceStatus.ACTIVE, hall_ids=f.hall_ids or (), keywords=f.keywords or (),
                      frequent=bool(f.frequent), high_assurance=bool(f.high_assurance), created_at=now,
                      updated_at=now)
        try:
            svc = await self.store.add_service(new)
        except DuplicateKeyError:
            raise CodeTaken("该事项编码已存在") from None
        await self._audit(staff, "catalogue.service.create", "service", svc.id, ip, {"code": body["code"]})
        return await self.get_service(svc.id)

    async def update_service(self, staff: Staff, service_id: str, body: dict[str, Any], ip: str) -> dict[str, Any]:
        await self.access.access_service(staff, service_id, "update_service")
        change = await self._service_fields(body)
        if change.hall_ids is not None:
            check_halls(staff, "update_service", change.hall_ids)
        svc = await self.store.change_service(service_id, change)
        if svc is None:
            raise errors.NotFound("未找到该事项")
        await self._audit(staff, "catalogue.service.update", "service", svc.id, ip, {"fields": sorted(body)})
        return await self.get_service(service_id, include_inactive=True)

    # Helpers ---------------------------------------------------------------------------------
    async def _hall_fields(self, body: dict[str, Any], current: Hall | None = None) -> HallChange:
        closed = tuple(body["closed_dates"]) if "closed_dates" in body else None
        opened = tuple(body["open_dates"]) if "open_dates" in body else None
        if set(closed if closed is not None else current.closed_dates if current else ()) & set(
                opened if opened is not None else current.open_dates if current else ()):
            raise errors.InvalidInput({"open_dates": "同一天不能既是闭厅日又是额外开放日"})
        hours: tuple[Period, ...] | None = None
        if "opening_hours" in body:
            bad = {f"opening_hours.{i}": "结束时间须晚于开始时间" for i, p in enumerate(body["opening_hours"])
                   if p["start"] >= p["end"]}
            if bad:
                raise errors.InvalidInput(bad)
            hours = tuple(sorted(body["opening_hours"], key=lambda p: (p["weekday"], p["start"])))
        windows: tuple[Window, ...] | None = None
        if "windows" in body:
            numbers = [w["number"] for w in body["windows"]]
            if len(set(numbers)) != len(numbers):
                raise errors.InvalidInput({"windows": "窗口号不能重复"})
            wanted = {sid for w in body["windows"] for sid in w.get("service_ids", [])}
            unknown = wanted - await self.store.known_services(sorted(wanted))
            if unknown:
                raise errors.InvalidInput({"windows": "包含不存在的事项"}, details={"unknown": sorted(unknown)})
            existing = {w["id"] for w in current.windows} if current else set()
            built: list[Window] = []
            for w in body["windows"]:
                wid = w.get("id")
                if wid and wid not in existing:
                    raise errors.InvalidInput({"windows": f"窗口 {wid} 不存在"})
                built.append(Window(id=wid or str(ObjectId()), number=w["number"], name=w["name"],
                                    area_prefix=w["area_prefix"], service_ids=w.get("service_ids", [])))
            windows = tuple(built)
        return HallChange(updated_at=self.clock.now(), name=body.get("name"), address=body.get("address"),
                          phone=body.get("phone"), notice=body.get("notice"), opening_hours=hours,
                          closed_dates=closed, open_dates=opened, windows=windows,
                          status=HallStatus(body["status"]) if "status" in body else None)

    async def _service_fields(self, body: dict[str, Any]) -> ServiceChange:
        department_id = None
        if "department_id" in body:
            if await self.store.department(body["department_id"]) is None:
                raise errors.InvalidInput({"department_id": "部门不存在"})
            department_id = body["department_id"]
        hall_ids = None
        if "hall_ids" in body:
            if await self.store.known_halls(body["hall_ids"]) != set(body["hall_ids"]):
                raise errors.InvalidInput({"hall_ids": "包含不存在的大厅"})
            hall_ids = tuple(body["hall_ids"])
        guide = None
        if "guide" in body:
            g = guides.read(body["guide"])
            if g.promised_days > g.statutory_days and g.statutory_days > 0:
                raise errors.InvalidInput({"guide.promised_days": "承诺时限不能超过法定时限"})
            keys = [m.key for m in g.materials]
            if len(set(keys)) != len(keys):
                raise errors.InvalidInput({"guide.materials": "材料编码不能重复"})
            if g.fee_items is not None:
                g = replace(g, fee_items=_fee_items(g))
            guide = g
        return ServiceChange(updated_at=self.clock.now(), name=body.get("name"), department_id=department_id,
                             hall_ids=hall_ids, keywords=tuple(body["keywords"]) if "keywords" in body else None,
                             frequent=body.get("frequent"), high_assurance=body.get("high_assurance"), guide=guide,
                             status=ServiceStatus(body["status"]) if "status" in body else None)

    async def _audit(self, staff: Staff, action: str, target_type: str, target_id: str, ip: str,
                     details: dict[str, Any]) -> None:
        await self.audit.record(actor=staff_actor(staff), action=action, target_type=target_type,
                                target_id=target_id, details=details, ip=ip)
