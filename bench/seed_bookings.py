"""Existing bookings for the benches, written straight through the driver (not the API), shaped
as the appointments store writes them: past days of a city's halls (served, absent, no-shows,
cancelled) and a tenth still ahead (booked, reminders to come), with their slots, queue tickets,
waitlist entries, no-show records and delivered messages.

    .venv/bin/python bench/seed_bookings.py --db-uri mongodb://... --db zhijianban -n 100000

``seed(db, start, stop)`` adds bookings number ``start`` .. ``stop - 1``, so a bench can grow a
database from 1k to 10k to 100k in steps. Ids, users, halls and services are made up
(``seed-…``) and never collide with what the API creates.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import sys
import time
from pathlib import Path
from typing import Any

from bson import ObjectId

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.core.clock import TZ, UTC  # noqa: E402
from backend.db.mongo import Database  # noqa: E402

HALLS, SERVICES, PER_SLOT, HOURS = 20, 15, 3, 8
CHUNK = 1000


def _slot_id(kind: str, n: int) -> ObjectId:
    return ObjectId(hashlib.md5(f"seed-slot-{kind}-{n}".encode()).digest()[:12])


def _group(i: int) -> tuple[str, int, int]:
    """Booking ``i``'s slot: (past/future, slot number, the first booking in it). Nine in ten
    bookings are in the past, three to a slot; every tenth is ahead, three to a slot."""
    if i % 10 == 9:
        n = (i // 10) // PER_SLOT
        return "f", n, 10 * PER_SLOT * n + 9
    n = i // PER_SLOT
    return "p", n, next(j for j in range(PER_SLOT * n, PER_SLOT * n + PER_SLOT) if j % 10 != 9)


def _slot_start(kind: str, n: int, now: dt.datetime) -> dt.datetime:
    """An hour between 09:00 and 16:00 local; past slots go back day by day (a city's halls fill
    about 2,400 slots a day), future ones start the day after tomorrow."""
    day, k = divmod(n, HALLS * SERVICES * HOURS)
    local = now.astimezone(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    days = 2 + day if kind == "f" else -(day + 1)
    return (local + dt.timedelta(days=days, hours=k % HOURS)).astimezone(UTC)


def _docs(start: int, stop: int, now: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"appointments": [], "appt_slots": [], "appt_tickets": [], "appt_people": [],
                                  "appt_waitlist": [], "outbox": []}
    slots: dict[tuple[str, int], dict[str, Any]] = {}
    for i in range(start, stop):
        kind, n, first = _group(i)
        future = kind == "f"
        s_start = _slot_start(kind, n, now)
        k = n % (HALLS * SERVICES * HOURS)
        hall, svc = f"seed-hall-{(k // HOURS) % HALLS}", f"seed-svc-{k // (HOURS * HALLS)}"
        date = s_start.astimezone(TZ).date().isoformat()
        slot = slots.get((kind, n))
        if slot is None:
            slot = slots[(kind, n)] = {
                "_id": _slot_id(kind, n), "hall_id": hall, "service_id": svc, "date": date, "start": s_start,
                "end": s_start + dt.timedelta(hours=1), "schedule_id": "seed", "capacity": PER_SLOT, "booked": 0,
                "held": 0, "free": PER_SLOT, "claims": [], "holds": [], "status": "open",
                "release_at": s_start - dt.timedelta(days=7), "created_at": s_start - dt.timedelta(days=8),
                "new": first >= start}
        user = f"seed-user-{i}"
        status = "booked" if future else ("served", "served", "served", "served", "served", "served", "served",
                                          "cancelled", "absent", "no_show")[i % 10]
        created = s_start - dt.timedelta(days=3)
        a = {"_id": ObjectId(), "user_id": user, "slot_id": str(slot["_id"]), "hall_id": hall, "service_id": svc,
             "date": date, "start": s_start, "end": slot["end"], "service_name": "压测事项", "hall_name": "压测大厅",
             "code": f"S{i:07d}", "status": status, "created_at": created, "updated_at": created,
             "at": {"pending": created, "booked": created}, "v": 3, "notes": [], "reminders": []}
        if status == "booked":
            a["keys"] = [f"s:{user}:{slot['_id']}", f"d:{user}:{date}:0", f"v:{user}:{svc}:{date}:0", f"o:{user}:0"]
            a["reminders"] = [1440, 60]
            a["due_at"] = s_start - dt.timedelta(days=1)
        elif status in ("served", "absent", "no_show"):
            a["keys"] = [f"d:{user}:{date}:0"]
        if status == "cancelled":
            a["place_released"] = True
        else:
            slot["claims"].append(a["_id"])
            slot["booked"] += 1
            slot["free"] -= 1
        if status == "no_show":
            a["no_show_recorded"] = True
            out["appt_people"].append({"_id": user, "no_shows": [{"appointment_id": str(a["_id"]), "at": a["end"]}]})
        if status in ("served", "absent"):
            t_id = ObjectId()
            a.update(ticket_id=t_id, ticket_number=f"A{i % 1000:03d}")
            out["appt_tickets"].append({"_id": t_id, "hall_id": hall, "date": date, "number": f"S{i:07d}",
                                        "prefix": "S", "seq": i, "order": int(s_start.timestamp() * 1000),
                                        "service_id": svc, "service_name": "压测事项", "kind": "appointment",
                                        "status": status, "recalls": 0, "created_at": s_start,
                                        "appointment_id": str(a["_id"]), "user_id": user})
        if i % 20 == 0:
            out["appt_waitlist"].append({"slot_id": str(slot["_id"]), "user_id": f"seed-wait-{i}", "hall_id": hall,
                                         "service_id": svc, "start": s_start, "end": slot["end"], "date": date,
                                         "status": "expired", "created_at": created})
        out["outbox"].append({"kind": "appointment.booked", "user_id": user,
                              "payload": {"appointment_id": str(a["_id"])},
                              "status": "delivered", "attempts": 1, "created_at": created, "deliver_after": created,
                              "dedupe_key": f"appt:{a['_id']}:booked"})
        out["appointments"].append(a)
    out["appt_slots"] = [s for s in slots.values() if s.pop("new")]  # a slot begun by an earlier call exists
    return out


async def seed(db: Database, start: int, stop: int, *, now: dt.datetime | None = None,
               outbox: bool = True) -> float:
    """Add bookings ``start`` .. ``stop - 1`` to ``db`` (an AsyncDatabase); returns the seconds taken.
    ``outbox=False`` leaves out the delivered messages (notify's collection), to tell apart what
    the appointments domain costs from what a growing outbox costs."""
    now = now or dt.datetime.now(UTC)
    t = time.perf_counter()
    for lo in range(start, stop, CHUNK):
        for name, docs in _docs(lo, min(stop, lo + CHUNK), now).items():
            if docs and (outbox or name != "outbox"):
                await db[name].insert_many(docs, ordered=False)
    return time.perf_counter() - t


async def _main(uri: str, name: str, n: int) -> None:
    from backend.db.mongo import connect
    client = connect(uri)
    took = await seed(client[name], 0, n)
    print(f"seeded {n} bookings into {name} in {took:.1f} s")
    await client.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db-uri", required=True)
    ap.add_argument("--db", default="zhijianban")
    ap.add_argument("-n", type=int, default=1000)
    a = ap.parse_args()
    asyncio.run(_main(a.db_uri, a.db, a.n))
