"""How the appointments domain's values are stored: the mapping between documents and values that
only the appointments store modules use (kept apart so the store holds the queries)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.appointments.values import (
    BOOKING_KEYS,
    Appointment,
    AppointmentStatus,
    DayException,
    DayPeriod,
    ExceptionKind,
    Hold,
    NewSlot,
    Period,
    PersonRule,
    Schedule,
    ScheduleStatus,
    Slot,
    SlotStatus,
    Ticket,
    TicketKind,
    TicketStatus,
    Unique,
    WaitlistEntry,
    WaitlistStatus,
)

# The fields appointments of earlier versions kept their person keys in, by the rule each stood for.
LEGACY_KEY_FIELDS = {"slot_key": PersonRule.SLOT, "day_key": PersonRule.DAY, "svc_key": PersonRule.SERVICE,
                     "open_key": PersonRule.OPEN}


class KeyTaken(Exception):
    """An insert hit a unique key: ``rule`` is the person rule its key stands for
    (``BOOKING_KEYS``), the booking code, or the waitlist's one active entry per person and slot;
    None for a key nothing expects."""

    def __init__(self, rule: PersonRule | Unique | None):
        super().__init__(rule)
        self.rule = rule


def hold_doc(hold: Hold) -> dict[str, Any]:
    return {"w": hold.entry_id, "until": hold.until}


UNIQUE_FIELDS = {"code": Unique.CODE, "active_key": Unique.ACTIVE}


def key_taken(details: Mapping[str, Any] | None) -> KeyTaken:
    details = details or {}
    field = next(iter(details.get("keyPattern") or {}), None)
    if field == "keys":
        return KeyTaken(BOOKING_KEYS.rule_of(str((details.get("keyValue") or {}).get("keys", ""))))
    return KeyTaken(UNIQUE_FIELDS.get(field or ""))


def periods_doc(periods: tuple[Period, ...]) -> list[dict[str, Any]]:
    return [{"weekday": p.weekday, "start": p.start, "end": p.end} for p in periods]


def schedule_from_doc(d: Mapping[str, Any]) -> Schedule:
    return Schedule(id=d["_id"], hall_id=d["hall_id"], service_id=d["service_id"],
                    periods=tuple(Period(int(p["weekday"]), p["start"], p["end"]) for p in d["periods"]),
                    slot_minutes=int(d["slot_minutes"]), windows=int(d["windows"]),
                    per_window=int(d.get("per_window", 1)), release_days=int(d["release_days"]),
                    release_time=d["release_time"], status=ScheduleStatus(d["status"]), version=d.get("version", 1),
                    updated_at=d.get("updated_at"), planned=dict(d.get("planned", {})))


def exception_from_doc(d: Mapping[str, Any]) -> DayException:
    return DayException(id=d.get("_id"), hall_id=d["hall_id"], date=d["date"], service_id=d["service_id"],
                        kind=ExceptionKind(d["kind"]),
                        periods=tuple(DayPeriod(p["start"], p["end"]) for p in d.get("periods") or []),
                        note=d.get("note"), at=d.get("updated_at"), by=d.get("updated_by"),
                        window_id=d.get("window_id"))


ACTIVE_ENTRY = [WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value]


def entry_from_doc(d: Mapping[str, Any]) -> WaitlistEntry:
    return WaitlistEntry(id=d["_id"], slot_id=d["slot_id"], user_id=d["user_id"], hall_id=d["hall_id"],
                         service_id=d["service_id"], start=d["start"], end=d["end"], date=d["date"],
                         service_name=d.get("service_name", ""), hall_name=d.get("hall_name", ""),
                         created_at=d["created_at"], status=WaitlistStatus(d["status"]),
                         offer_until=d.get("offer_until"), appointment_id=d.get("appointment_id"),
                         cancel_reason=d.get("cancel_reason"))


def appointment_from_doc(d: Mapping[str, Any]) -> Appointment:
    keys = d.get("keys")
    if keys is None:  # written by an earlier version: the keys its old fields stand for
        keys = [f"{BOOKING_KEYS.letter(rule)}:{d[f]}" for f, rule in LEGACY_KEY_FIELDS.items()
                if isinstance(d.get(f), str)]
    return Appointment(
        id=d["_id"], code=d["code"], user_id=d["user_id"], slot_id=d["slot_id"], hall_id=d["hall_id"],
        service_id=d["service_id"], date=d["date"], start=d["start"], end=d["end"],
        status=AppointmentStatus(d["status"]), created_at=d["created_at"], service_name=d.get("service_name", ""),
        hall_name=d.get("hall_name", ""), updated_at=d.get("updated_at"), v=d.get("v", 0), at=dict(d.get("at", {})),
        keys=tuple(keys), notes=tuple(d.get("notes", [])), reminders=tuple(d.get("reminders", [])),
        due_at=d.get("due_at"), place_released=d.get("place_released"), no_show_recorded=d.get("no_show_recorded"),
        cancel_reason=d.get("cancel_reason"), ticket_id=d.get("ticket_id"), ticket_number=d.get("ticket_number"),
        waitlist_id=d.get("waitlist_id"))


def appointment_doc(a: Appointment) -> dict[str, Any]:
    """A new appointment's document."""
    doc: dict[str, Any] = {
        "_id": a.id, "user_id": a.user_id, "slot_id": a.slot_id, "hall_id": a.hall_id, "service_id": a.service_id,
        "date": a.date, "start": a.start, "end": a.end, "service_name": a.service_name, "hall_name": a.hall_name,
        "code": a.code, "created_at": a.created_at, "updated_at": a.updated_at, "v": a.v, "status": a.status.value,
        "at": dict(a.at), "notes": list(a.notes), "reminders": list(a.reminders)}
    if a.due_at is not None:
        doc["due_at"] = a.due_at
    if a.keys:
        doc["keys"] = list(a.keys)
    if a.waitlist_id is not None:
        doc["waitlist_id"] = a.waitlist_id
    return doc


def ticket_from_doc(d: Mapping[str, Any]) -> Ticket:
    return Ticket(id=d["_id"], hall_id=d["hall_id"], date=d["date"], number=d["number"], prefix=d["prefix"],
                  seq=int(d.get("seq", 0)), order=d["order"], service_id=d["service_id"],
                  service_name=d.get("service_name", ""), kind=TicketKind(d["kind"]), created_at=d["created_at"],
                  appointment_id=d.get("appointment_id"), user_id=d.get("user_id"),
                  status=TicketStatus(d["status"]), recalls=d.get("recalls", 0), window_id=d.get("window_id"),
                  window_number=d.get("window_number"), called_at=d.get("called_at"), due=d.get("due"),
                  requeued=int(d.get("requeued", 0)))


def slot_from_doc(d: Mapping[str, Any]) -> Slot:
    return Slot(id=d["_id"], hall_id=d["hall_id"], service_id=d["service_id"], date=d["date"], start=d["start"],
                end=d["end"], capacity=d["capacity"], booked=d["booked"], held=d["held"], free=d["free"],
                status=SlotStatus(d["status"]), release_at=d["release_at"],
                holds=tuple(Hold(h["w"], h["until"]) for h in d.get("holds", [])), hold_due=d.get("hold_due"))


def new_slot_doc(s: NewSlot) -> dict[str, Any]:
    return {"hall_id": s.hall_id, "service_id": s.service_id, "date": s.date, "start": s.start, "end": s.end,
            "schedule_id": s.schedule_id, "capacity": s.capacity, "booked": 0, "held": 0, "free": s.capacity,
            "claims": [], "holds": [], "status": SlotStatus.OPEN.value, "release_at": s.release_at,
            "created_at": s.created_at}
