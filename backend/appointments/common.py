"""What the schedule, booking and queue services share: the staff audit trail, hall scope for
staff, names from the catalogue, and the answers' shapes. Each service is given these objects;
none reaches into another service."""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import qrcode

from backend.appointments.access import HallAccess
from backend.appointments.values import Appointment, Slot, SlotStatus
from backend.audit.service import AuditLog, staff_actor, system_actor
from backend.catalogue.service import CatalogueService
from backend.config import AppointmentsConfig
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import iso

__all__ = ["HallAccess", "Names", "StaffAudit", "Transaction"]  # HallAccess: where the builder takes it from

T = TypeVar("T")
# Runs ``fn(session)`` in one multi-document transaction (``backend.db.mongo.in_transaction``).
Transaction = Callable[[Callable[[Any], Awaitable[T]]], Awaitable[T]]


class StaffAudit:
    """Every staff action of the domain, and the sweep's decisions, in the audit log."""

    def __init__(self, audit: AuditLog):
        self._audit = audit

    async def staff(self, staff: Staff, action: str, target_type: str, target_id: str, ip: str | None,
                    details: dict[str, Any] | None = None) -> None:
        await self._audit.record(actor=staff_actor(staff), action=action, target_type=target_type,
                                 target_id=target_id, details=details or {}, ip=ip)

    async def system(self, job: str, action: str, target_type: str, target_id: str,
                     details: dict[str, Any] | None = None) -> None:
        await self._audit.record(actor=system_actor(job), action=action, target_type=target_type,
                                 target_id=target_id, details=details or {})


class Names:
    """Hall and service names for messages and answers, cached for a minute per process; the
    requests of a wave that miss the same name together share one lookup."""

    def __init__(self, catalogue: CatalogueService, ttl: float = 60.0):
        self._catalogue = catalogue
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, str]] = {}
        self._pending: dict[tuple[str, str], asyncio.Future[str]] = {}

    async def service(self, service_id: str) -> str:
        return await self._name("services", service_id)

    async def hall(self, hall_id: str) -> str:
        return await self._name("halls", hall_id)

    async def _name(self, kind: str, id_: str) -> str:
        key = (kind, id_)
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        pending = self._pending.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request itself was cancelled
                return await self._lookup(kind, id_)  # the one looking it up was
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending[key] = fut
        try:
            value = await self._lookup(kind, id_)
        except Exception as e:
            fut.set_exception(e)
            fut.exception()  # read here: nobody else may be waiting for it
            raise
        except BaseException:
            fut.cancel()
            raise
        finally:
            self._pending.pop(key, None)
        self._cache[key] = (time.monotonic() + self._ttl, value)
        fut.set_result(value)
        return value

    async def _lookup(self, kind: str, id_: str) -> str:
        try:
            doc = await (self._catalogue.get_service(id_, include_inactive=True) if kind == "services"
                         else self._catalogue.hall(id_, include_inactive=True))
            return str(doc["name"])
        except errors.NotFound:
            return ""


def qr_png_base64(code: str) -> str:
    img = qrcode.make(f"ZJB-APPT:{code}", box_size=6, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def public_slot(s: Slot, now: dt.datetime, notice: dt.timedelta) -> dict[str, Any]:
    """A slot as the API shows it to residents."""
    return {"id": str(s.id), "hall_id": s.hall_id, "service_id": s.service_id, "date": s.date,
            "start": s.start, "end": s.end, "capacity": s.capacity, "remaining": max(0, s.free),
            "bookable": s.status == SlotStatus.OPEN and s.free > 0 and s.start - notice > now}


def appointment_view(a: Appointment, cfg: AppointmentsConfig, *, qr: bool = False,
                     ticket: dict[str, Any] | None = None) -> dict[str, Any]:
    """An appointment as the API shows it."""
    out = {"id": str(a.id), "code": a.code, "status": a.status.value,
           "slot": {"id": a.slot_id, "hall_id": a.hall_id, "start": a.start, "end": a.end},
           "service_id": a.service_id, "service_name": a.service_name, "hall_id": a.hall_id,
           "hall_name": a.hall_name, "date": a.date, "start": a.start, "end": a.end,
           "cancel_deadline": a.start - dt.timedelta(minutes=cfg.cancel_before_minutes),
           "created_at": a.created_at, "ticket_number": a.ticket_number}
    if a.cancel_reason:
        out["cancel_reason"] = a.cancel_reason
    if qr:
        out["qr_png_base64"] = qr_png_base64(a.code)
    if ticket is not None:
        out["ticket"] = ticket
    return out


def resident_view(user_id: str | None, person: Any) -> dict[str, Any] | None:
    """The resident of a booking or ticket as staff see them: masked name and ID number (the full
    ones only through the audited reveal); None for a walk-in ticket, which names nobody."""
    if not user_id:
        return None
    return {"id": user_id, "name_masked": getattr(person, "name_masked", None),
            "id_number_masked": getattr(person, "id_number_masked", None)}


def event_payload(a: Appointment, **extra: Any) -> dict[str, Any]:
    """What every appointment message carries."""
    reason = {"reason": a.cancel_reason, "service_id": a.service_id} if a.cancel_reason else {}
    return {"appointment_id": str(a.id), "code": a.code, "service_name": a.service_name,
            "hall_name": a.hall_name, "start": iso(a.start), "end": iso(a.end), **reason, **extra}
