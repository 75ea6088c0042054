"""What each appointments store method costs with 1k and with 100k existing bookings.

    .venv/bin/python bench/store_costs.py [--sizes 1000,100000] [--repeat 15]

Starts its own SecantusDB, creates the appointments collections, seeds bookings through the
driver (bench/seed_bookings.py), and times every store method (median of ``--repeat`` calls)
at each size. A method whose time grows with the data reads more than it needs: the ratio
column should stay near 1. Writes act on documents the bench creates for itself.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bson import ObjectId

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.appointments.store import COLLECTIONS, AppointmentStore  # noqa: E402
from backend.appointments.values import (  # noqa: E402
    Appointment,
    AppointmentStatus,
    Booked,
    Call,
    Move,
    NewSlot,
    NewTicket,
    Replan,
    Settlement,
    SlotPlan,
    TicketKind,
    WaitlistJoin,
)
from backend.core.clock import UTC  # noqa: E402
from backend.db.embedded import EmbeddedDatabase  # noqa: E402
from backend.db.mongo import connect, ensure_schema  # noqa: E402
from bench.common import machine  # noqa: E402
from bench.seed_bookings import seed  # noqa: E402

Case = tuple[str, Callable[[], Awaitable[Any]]]


async def _fixtures(store: AppointmentStore, db: Any, now: dt.datetime) -> dict[str, Any]:
    """A hall of the bench's own with one slot, a booking in it, a waitlist entry and a ticket;
    plus a seeded booking ahead and one in the past, to read."""
    hall, svc = "bench-hall", "bench-svc"
    start = (now + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    date = start.date().isoformat()
    await store.apply_slot_plan(SlotPlan(new=(NewSlot(
        hall_id=hall, service_id=svc, schedule_id="bench", date=date, start=start, end=start + dt.timedelta(hours=1),
        capacity=10 ** 6, release_at=now - dt.timedelta(days=1), created_at=now),)))
    slot = (await store.day_slots(hall, svc, start - dt.timedelta(hours=1), start + dt.timedelta(hours=1)))[0]
    future = await db["appointments"].find_one({"status": "booked", "user_id": {"$regex": "^seed-user-"}})
    past = await db["appointments"].find_one({"status": "served", "user_id": {"$regex": "^seed-user-"}})
    past_appt = await store.appointment(past["_id"])
    assert past_appt is not None
    ticket = await store.appointment_ticket(past_appt)
    wait_user = f"bench-wait-{ObjectId()}"   # one per size: a person has one active waitlist entry
    entry_id = (await store.insert_waitlist(WaitlistJoin(
        slot_id=str(slot.id), user_id=wait_user, hall_id=hall, service_id=svc, start=start, end=start,
        date=date, service_name="", hall_name="", created_at=now))).id
    return {"hall": hall, "svc": svc, "slot": slot, "date": date, "start": start, "future": future, "past": past,
            "past_appt": past_appt,
            "ticket": ticket, "entry_id": entry_id, "wait_user": wait_user}


def _cases(store: AppointmentStore, f: dict[str, Any], now: dt.datetime) -> list[Case]:
    hall, svc, slot, date, future, past = f["hall"], f["svc"], f["slot"], f["date"], f["future"], f["past"]
    seq = {"n": 0}

    def fresh_doc() -> Appointment:
        seq["n"] += 1
        u = f"bench-user-{seq['n']}-{ObjectId()}"
        return Appointment(id=ObjectId(), user_id=u, slot_id=str(slot.id), hall_id=hall, service_id=svc, date=date,
                           start=f["start"], end=f["start"] + dt.timedelta(hours=1), code=str(ObjectId()),
                           status=AppointmentStatus.PENDING, created_at=now, updated_at=now, at={"pending": now}, v=0,
                           due_at=now + dt.timedelta(hours=1),
                           keys=(f"s:{u}:{slot.id}", f"d:{u}:{date}:0", f"v:{u}:{svc}:{date}:0", f"o:{u}:0"))

    later = now + dt.timedelta(hours=1)

    async def book_one() -> None:  # the booking's two writes here (the third is the outbox's)
        d = fresh_doc()
        await store.take_places(slot.id, [d.id], now, later)
        await store.insert_appointments([d])

    async def book_group() -> None:  # the same two writes for a group of ten
        docs = [fresh_doc() for _ in range(10)]
        await store.take_places(slot.id, [d.id for d in docs], now, later)
        await store.insert_appointments(docs)

    async def change_and_settle() -> None:
        d = fresh_doc()
        await store.insert_appointments([d])
        await store.move(d.id, Move(from_=AppointmentStatus.PENDING, to=AppointmentStatus.ABANDONED, at=now,
                                        keys=(), due_at=now))
        await store.settle(d.id, 1, Settlement(due_at=None))

    async def claim_and_release() -> None:
        oid = ObjectId()
        await store.take_places(slot.id, [oid], now, later)
        await store.release_claim(slot.id, oid, hold_for=None, now=now)

    async def ticket_cycle() -> None:
        n = await store.next_seq(f"{hall}:{date}:B")
        t = await store.insert_ticket(NewTicket(hall_id=hall, date=date, number=f"B{n:05d}", prefix="B", seq=n,
                                                order=n, service_id=svc, service_name="", kind=TicketKind.WALK_IN,
                                                created_at=now))
        await store.call_ticket(t.id, Call(at=now, window_id="w", window_number="01", by="bench"))

    return [
        ("slot", lambda: store.slot(slot.id)),
        ("day_slots", lambda: store.day_slots(hall, svc, f["start"] - dt.timedelta(hours=9),
                                              f["start"] + dt.timedelta(hours=15))),
        ("released_slots", lambda: store.released_slots(svc, date, now, hall)),
        ("hall_slots_between", lambda: store.hall_slots_between(hall, date, date)),
        ("count_open_slots", lambda: store.count_open_slots(hall, date)),
        ("apply_slot_plan (nothing new)", lambda: store.apply_slot_plan(SlotPlan(changed=(Replan(
            slot_id=slot.id, capacity=10 ** 6, release_at=slot.release_at, end=slot.end),)))),
        ("retire_future_slots (none)", lambda: store.retire_future_slots(hall, ["no-such-service"], date)),
        ("has_claim", lambda: store.has_claim(future_slot_id(future), future["_id"])),
        ("take_places + release_claim", claim_and_release),
        ("slots_with_holds_due", lambda: store.slots_with_holds_due(now)),
        ("booking: take_places + insert", book_one),
        ("booking group of 10: the same two writes", book_group),
        ("slots_with_checks_due", lambda: store.slots_with_checks_due(now - dt.timedelta(days=400))),
        ("appointments (10 by id)", lambda: store.appointments([future["_id"]] * 10)),
        ("move + settle", change_and_settle),
        ("delete_pending (none)", lambda: store.delete_pending([ObjectId()])),
        ("mark_booked (none pending)", lambda: store.mark_booked([future["_id"]], Booked(now, ()))),
        ("appointment", lambda: store.appointment(future["_id"])),
        ("by_code", lambda: store.by_code(future["code"])),
        ("user_appointments", lambda: store.user_appointments(future["user_id"])),
        ("hall_day_appointments", lambda: store.hall_day_appointments(future["hall_id"], future["date"])),
        ("count_booked", lambda: store.count_booked(future["hall_id"], future["date"])),
        ("count_same_service_day", lambda: store.count_same_service_day(future["user_id"], future["service_id"],
                                                                        future["date"])),
        ("count_open", lambda: store.count_open(future["user_id"])),
        ("holds_slot", lambda: store.holds_slot(future["user_id"], future["slot_id"])),
        ("due (sweep, nothing due)", lambda: store.due(now - dt.timedelta(days=400))),
        ("due (sweep, what is due now)", lambda: store.due(now)),
        ("count_due_by_status (gauge)", lambda: store.count_due_by_status(now)),
        ("person", lambda: store.person(past["user_id"])),
        ("waitlist_entry", lambda: store.waitlist_entry(f["entry_id"])),
        ("first_waiting", lambda: store.first_waiting(str(slot.id))),
        ("count_ahead", lambda: store.count_ahead(str(slot.id), now)),
        ("user_waitlist", lambda: store.user_waitlist(f["wait_user"])),
        ("ticket", lambda: store.ticket(f["ticket"].id)),
        ("appointment_ticket", lambda: store.appointment_ticket(f["past_appt"])),
        ("appointment_ticket (no ticket id kept)", lambda: store.appointment_ticket(
            replace(f["past_appt"], ticket_id=None))),
        ("hall_day_tickets", lambda: store.hall_day_tickets(past["hall_id"], past["date"])),
        ("waiting_tickets", lambda: store.waiting_tickets(hall, date)),
        ("recent_service_minutes", lambda: store.recent_service_minutes(hall, date, "A")),
        ("next_seq + insert_ticket + call_ticket", ticket_cycle),
        ("hall_schedules", lambda: store.hall_schedules(hall)),
        ("active_schedules", lambda: store.active_schedules(hall_id=hall)),
        ("exceptions_on", lambda: store.exceptions_on(hall, date)),
    ]


def future_slot_id(a: dict[str, Any]) -> ObjectId:
    return ObjectId(a["slot_id"])


async def _time(fn: Callable[[], Awaitable[Any]], repeat: int) -> float:
    await fn()  # warm up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


async def run(sizes: list[int], repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="zjb-store-") as tmp:
        server = EmbeddedDatabase(Path(tmp) / "db")
        server.start()
        client = connect(server.uri)
        try:
            db = client["store_costs"]
            await ensure_schema(db, COLLECTIONS)
            store = AppointmentStore(db)
            now = dt.datetime.now(UTC)
            results: dict[str, list[float]] = {}
            seeded = 0
            for size in sizes:
                took = await seed(db, seeded, size, now=now, outbox=False)
                print(f"seeded {size - seeded} bookings (total {size}) in {took:.1f} s", flush=True)
                seeded = size
                f = await _fixtures(store, db, now)
                for name, fn in _cases(store, f, now):
                    results.setdefault(name, []).append(await _time(fn, repeat))
            print(f"\nmachine: {machine()}")
            head = " | ".join(f"{s:>9,} bookings" for s in sizes)
            print(f"| store method | {head} | ratio |\n|---|{'---|' * len(sizes)}---|")
            for name, ms in results.items():
                cells = " | ".join(f"{x:>12.2f} ms" for x in ms)
                print(f"| {name} | {cells} | {ms[-1] / ms[0]:.1f}× |")
        finally:
            await client.close()
            server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,100000")
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    asyncio.run(run([int(s) for s in args.sizes.split(",")], args.repeat))


if __name__ == "__main__":
    main()
