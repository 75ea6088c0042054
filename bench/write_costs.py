"""What each database command of a booking wave costs the database, per booking, and what each
index of the appointment adds, against the brief conditional update in the same run.

    .venv/bin/python bench/write_costs.py [--wave 67] [--slots 8] [--repeat 30]

A storm's wave (bench/booking_storm.py: about 67 bookings over 8 slots) sends one command per
part: the slots' claims, the appointments' insert, the booked messages, the rate-limit counters,
and the sessions', accounts' and identities' reads of the token checks. This bench sends each of them
``--repeat`` times on its own SecantusDB, with the product's collections and indexes
(``CollectionSpec``), and reads the server's CPU (``/proc``) around each: database CPU per
booking, and as a ratio to one brief update (``{_id, free >= 1}`` → ``$inc``, sent
``--wave`` at once as the reference of bench/reference.py is). It then inserts the same
appointments into collections with ``_id`` only and with each of the appointment's indexes
alone, and claims on a counters-only document: what a design with fewer indexes would save.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.appointments.store import COLLECTIONS as APPOINTMENTS  # noqa: E402
from backend.appointments.store_documents import appointment_doc, new_slot_doc  # noqa: E402
from backend.appointments.values import BOOKING_KEYS, FIRST_KEYS, Appointment, AppointmentStatus, NewSlot  # noqa: E402
from backend.config import AppointmentsConfig  # noqa: E402
from backend.core.clock import UTC  # noqa: E402
from backend.core.store import COLLECTIONS as SHARED  # noqa: E402
from backend.db.embedded import EmbeddedDatabase  # noqa: E402
from backend.db.mongo import connect, ensure_schema  # noqa: E402
from backend.identity.store import COLLECTIONS as IDENTITY  # noqa: E402
from bench.booking_storm import cpu_seconds  # noqa: E402
from bench.common import machine  # noqa: E402
from notify.store import COLLECTIONS as NOTIFY  # noqa: E402
from notify.store import OutboxStore  # noqa: E402
from notify.values import NewMessage  # noqa: E402


class Costs:
    def __init__(self, pid: int, wave: int, repeat: int):
        self.pid, self.wave, self.repeat = pid, wave, repeat

    async def per_booking(self, op: Callable[[int], Awaitable[Any]], bookings: int | None = None) -> float:
        """Database CPU milliseconds per booking of ``op`` (each call serves ``bookings``)."""
        await op(0)  # warm: the collection's first write
        before = cpu_seconds(self.pid)
        for r in range(1, self.repeat + 1):
            await op(r)
        return (cpu_seconds(self.pid) - before) * 1000 / (self.repeat * (bookings or self.wave))


def _appointment(slot: dict[str, Any], now: dt.datetime) -> Appointment:
    user = f"u-{uuid.uuid4().hex[:12]}"
    return Appointment(
        id=ObjectId(), code=uuid.uuid4().hex[:10].upper(), user_id=user, slot_id=str(slot["_id"]),
        hall_id=slot["hall_id"], service_id=slot["service_id"], date=slot["date"], start=slot["start"],
        end=slot["end"], status=AppointmentStatus.BOOKED, created_at=now, updated_at=now, v=0, at={"booked": now},
        service_name="压测事项", hall_name="压测大厅", reminders=(1440, 60), due_at=slot["start"],
        keys=tuple(BOOKING_KEYS.new_keys(user, str(slot["_id"]), slot["service_id"], slot["date"],
                                         FIRST_KEYS, BOOKING_KEYS.needed(AppointmentsConfig()))))


async def run(uri: str, pid: int, args: argparse.Namespace) -> None:
    client = connect(uri)
    db = client[f"costs_{uuid.uuid4().hex[:6]}"]
    await ensure_schema(db, [*APPOINTMENTS, *SHARED, *NOTIFY, *IDENTITY])
    now = dt.datetime.now(UTC)
    start = (now + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    slots = []
    for i in range(args.slots):
        doc = new_slot_doc(NewSlot(hall_id="bench-hall", service_id=f"svc-{i}", schedule_id="bench",
                                   date=start.date().isoformat(), start=start, end=start + dt.timedelta(hours=1),
                                   capacity=10 ** 6, release_at=now - dt.timedelta(hours=1), created_at=now))
        doc["_id"] = ObjectId()
        slots.append(doc)
    await db["appt_slots"].insert_many(slots)
    await db["bench_counters"].insert_many([{"_id": s["_id"], "free": 10 ** 6, "booked": 0} for s in slots])
    costs = Costs(pid, args.wave, args.repeat)
    per_slot = max(1, args.wave // args.slots)
    wave_docs = lambda: [appointment_doc(_appointment(slots[i % len(slots)], now)) for i in range(args.wave)]  # noqa: E731

    async def brief(_: int) -> None:
        await asyncio.gather(*[db["bench_counters"].update_one({"_id": slots[i % len(slots)]["_id"],
                                                                "free": {"$gte": 1}}, {"$inc": {"free": -1}})
                               for i in range(args.wave)])

    async def fresh_slots(tag: str) -> list[list[dict[str, Any]]]:
        """A set of new slots for each call of a claims variant (written before it is timed): each
        call claims on slots as a storm's first wave finds them, not on slots earlier calls filled."""
        sets = []
        for r in range(args.repeat + 1):
            docs = []
            for i in range(args.slots):
                doc = new_slot_doc(NewSlot(hall_id=f"bench-{tag}-{r}", service_id=f"svc-{i}", schedule_id="bench",
                                           date=start.date().isoformat(), start=start,
                                           end=start + dt.timedelta(hours=1), capacity=10 ** 6,
                                           release_at=now - dt.timedelta(hours=1), created_at=now))
                doc["_id"] = ObjectId()
                docs.append(doc)
            await db["appt_slots"].insert_many(docs)
            sets.append(docs)
        return sets

    with_ids, without_ids = await fresh_slots("ids"), await fresh_slots("no-ids")

    def slot_claims(sets: list[list[dict[str, Any]]], *, push_ids: bool) -> Callable[[int], Awaitable[None]]:
        """The wave's claim on the ``r``-th set of new slots, as the store makes it (the ids pushed
        into ``claims``) or with the counters alone."""
        async def claim(r: int) -> None:
            ops = []
            for s in sets[r]:
                update: dict[str, Any] = {"$inc": {"free": -per_slot, "booked": per_slot}, "$min": {"check_due": now}}
                if push_ids:
                    update["$push"] = {"claims": {"$each": [ObjectId() for _ in range(per_slot)]}}
                ops.append(UpdateOne({"_id": s["_id"], "status": "open", "free": {"$gte": per_slot},
                                      "release_at": {"$lte": now}}, update))
            await db["appt_slots"].bulk_write(ops, ordered=False)
        return claim

    claims = slot_claims(with_ids, push_ids=True)
    claims_without_ids = slot_claims(without_ids, push_ids=False)

    async def counters_only(_: int) -> None:
        await db["bench_counters"].bulk_write([UpdateOne({"_id": s["_id"], "free": {"$gte": per_slot}},
                                                         {"$inc": {"free": -per_slot, "booked": per_slot}})
                                               for s in slots], ordered=False)

    outbox = OutboxStore(db)

    async def messages(_: int) -> None:
        await outbox.add_many([NewMessage(kind="appointment.booked", user_id=f"u-{i}", payload={"code": "X" * 10},
                                          created_at=now, deliver_after=now) for i in range(args.wave)])

    async def counters(r: int) -> None:
        window = uuid.uuid4().hex[:8]
        await db["rate_limits"].insert_many([{"_id": f"resident-bookings:u-{i}:{window}", "n": 1, "expires_at": now}
                                             for i in range(args.wave)], ordered=False)

    sessions = [uuid.uuid4().hex for _ in range(args.wave)]
    await db["sessions"].insert_many([{"_id": s, "subject": "x", "audience": "resident", "created_at": now,
                                       "expires_at": None, "last_seen_at": now, "ended_at": None, "purge_at": now}
                                      for s in sessions])
    users = await db["users"].insert_many([{"openid": uuid.uuid4().hex, "created_at": now, "status": "active"}
                                           for _ in range(args.wave)])

    async def token_checks(_: int) -> None:
        await db["sessions"].find({"_id": {"$in": sessions}}).to_list(None)
        await db["users"].find({"_id": {"$in": users.inserted_ids}}).to_list(None)
        await db["realnames"].find({"_id": {"$in": users.inserted_ids}}).to_list(None)

    reference = await costs.per_booking(brief)
    print(f"machine: {machine()}")
    print(f"a wave of {args.wave} bookings on {args.slots} slots; database CPU per booking, and ÷ one brief "
          f"update ({reference:.3f} ms each, {args.wave} at once):")
    rows: list[tuple[str, float]] = [
        ("appointments insert (all its indexes)", await costs.per_booking(
            lambda _: db["appointments"].insert_many(wave_docs(), ordered=False))),
        ("slot claims (one command for new slots)", await costs.per_booking(claims)),
        ("booked messages (outbox insert)", await costs.per_booking(messages)),
        ("rate-limit counters (insert)", await costs.per_booking(counters)),
        ("token checks (sessions, accounts, identities)", await costs.per_booking(token_checks)),
    ]
    for name, ms in rows:
        print(f"  {name:<46}{ms:7.3f} ms  {ms / reference:5.2f}×")
    total = sum(ms for _, ms in rows)
    print(f"  {'all of a booking':<46}{total:7.3f} ms  {total / reference:5.2f}×")

    print("what the appointment's indexes and the slot's cost, the same writes on other collections:")
    spec = next(c for c in APPOINTMENTS if c.name == "appointments")
    variants: list[tuple[str, list[Any]]] = [("_id only", [])]
    variants += [(f"only {ix.document['name']}", [ix]) for ix in spec.indexes]
    for name, indexes in variants:
        col = db[f"bench_appt_{uuid.uuid4().hex[:6]}"]
        await db.create_collection(col.name)
        if indexes:
            await col.create_indexes(indexes)
        ms = await costs.per_booking(lambda _, col=col: col.insert_many(wave_docs(), ordered=False))
        print(f"  appointments insert, {name:<28}{ms:7.3f} ms  {ms / reference:5.2f}×")
    ms = await costs.per_booking(claims_without_ids)
    print(f"  {'slot claims without the ids ($inc, $min)':<46}{ms:7.3f} ms  {ms / reference:5.2f}×")
    ms = await costs.per_booking(counters_only)
    print(f"  {'slot claims on a counters-only document':<46}{ms:7.3f} ms  {ms / reference:5.2f}×")
    await client.drop_database(db.name)
    await client.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wave", type=int, default=67, help="bookings in a wave (a storm of 200: about 67)")
    ap.add_argument("--slots", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="write-costs-") as tmp:
        db = EmbeddedDatabase(Path(tmp) / "db")
        db.start()
        try:
            pid = next(int(p) for p in os.listdir("/proc") if p.isdigit()
                       and tmp in Path(f"/proc/{p}/cmdline").read_text(errors="replace"))
            asyncio.run(run(db.uri, pid, args))
        finally:
            db.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
