"""Concurrency and crashes: exact counts, no overbooking, no double booking, reconciled state."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from bson import ObjectId

from tests.support import Api, AppServer, assert_error
from tests.support_appointments import book, day_ahead, make_bookable, open_day, slots, verified


def _slot(server: AppServer, slot_id: str) -> dict:
    return server.run(server.ctx.db["appt_slots"].find_one({"_id": ObjectId(slot_id)}))


def _active(server: AppServer, slot_id: str) -> int:
    return server.run(server.ctx.db["appointments"].count_documents(
        {"slot_id": slot_id, "status": {"$in": ["pending", "booked", "checked_in"]}}))


def _storm(api_base: str, calls: list[tuple[str, str]]) -> list:
    def one(call: tuple[str, str]):  # noqa: ANN202
        return book(Api(api_base), call[0], call[1])
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))



@contextlib.contextmanager
def crash_at(server: AppServer, step: str, *, once: bool = False) -> Iterator[None]:
    """The appointments service dies (raises) at ``step`` of its writes — every time, or ``once``."""
    crashes = {"n": 0}

    async def crash(name: str) -> None:
        if name == step and not (once and crashes["n"]):
            crashes["n"] += 1
            raise RuntimeError("simulated crash")
    server.ctx.service("appointments").fault_hook = crash
    try:
        yield
    finally:
        server.ctx.service("appointments").fault_hook = None

def test_many_residents_on_one_slot_never_overbook(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=5, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    sid = slots(api, b, day)[0]["id"]
    people = verified(api, 40)
    results = _storm(api.base, [(p.access_token, sid) for p in people])
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 5 and codes.count(409) == 35, codes
    assert all(r.json()["error"]["code"] == "slot_full" for r in results if r.status_code == 409)
    s = _slot(server, sid)
    assert s["booked"] == 5 and len(s["claims"]) == 5 and s["free"] == 0 and _active(server, sid) == 5
    assert slots(api, b, day)[0]["remaining"] == 0


def test_one_resident_racing_itself_wins_once(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=10, services=2)
    days = [day_ahead(server, d) for d in range(2, 8)]
    for d in days:
        open_day(api, b, d)
    (r,) = verified(api)
    # The same slot twelve times at once.
    sid = slots(api, b, days[0])[0]["id"]
    res = _storm(api.base, [(r.access_token, sid)] * 12)
    assert [x.status_code for x in res].count(201) == 1
    assert {x.json()["error"]["code"] for x in res if x.status_code != 201} == {"already_booked"}
    assert _slot(server, sid)["booked"] == 1
    # Every slot of another day (two services) at once: one booking per day in total.
    day2 = [s["id"] for k in (0, 1) for s in slots(api, b, days[1], service=k)]
    res = _storm(api.base, [(r.access_token, s) for s in day2])
    assert [x.status_code for x in res].count(201) == 1, [x.text for x in res]
    # One slot on each of four more days at once: at most 3 open bookings, so one more wins.
    more = [slots(api, b, d)[0]["id"] for d in days[2:6]]
    res = _storm(api.base, [(r.access_token, s) for s in more])
    assert [x.status_code for x in res].count(201) == 1
    assert {x.json()["error"]["code"] for x in res if x.status_code != 201} == {"too_many_open"}
    n = server.run(server.ctx.db["appointments"].count_documents({"user_id": r.id, "status": "booked"}))
    assert n == 3
    total = sum(_slot(server, s)["booked"] for s in [sid, *day2, *more])
    assert total == 3


def test_crash_after_claim_is_finished_by_the_reconciler(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    sid = slots(api, b, day)[0]["id"]
    (r,) = verified(api)

    with crash_at(server, "after_claim"):
        assert_error(book(api, r.access_token, sid), 500, "internal_error")
    # Half-way: the place is taken, the booking is pending, no event yet.
    s = _slot(server, sid)
    appt = server.run(server.ctx.db["appointments"].find_one({"user_id": r.id}))
    assert appt["status"] == "pending" and s["booked"] == 1 and s["claims"] == [appt["_id"]]
    server.run(server.ctx.service("appointments").sweep())  # too fresh: left alone
    assert server.run(server.ctx.db["appointments"].find_one({"_id": appt["_id"]}))["status"] == "pending"
    clock.advance(seconds=31)
    server.run(server.ctx.service("appointments").sweep())
    done = server.run(server.ctx.db["appointments"].find_one({"_id": appt["_id"]}))
    assert done["status"] == "booked" and _slot(server, sid)["booked"] == 1
    kinds = [e["kind"] for e in server.run(server.ctx.db["outbox"].find({"payload.appointment_id": str(appt["_id"])})
                                           .to_list(None))]
    assert kinds.count("appointment.booked") == 1
    # Running the reconciler again changes nothing.
    server.run(server.ctx.service("appointments").sweep())
    assert _slot(server, sid)["booked"] == 1


def test_crash_between_the_message_and_booked_sends_the_message_once(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    sid = slots(api, b, day)[0]["id"]
    (r,) = verified(api)

    with crash_at(server, "after_announce"):
        assert_error(book(api, r.access_token, sid), 500, "internal_error")
    appt = server.run(server.ctx.db["appointments"].find_one({"user_id": r.id}))
    assert appt["status"] == "pending" and _slot(server, sid)["claims"] == [appt["_id"]]

    def booked_messages() -> int:
        return server.run(server.ctx.db["outbox"].count_documents(
            {"kind": "appointment.booked", "payload.appointment_id": str(appt["_id"])}))
    assert booked_messages() == 1  # written before the crash: the place was already taken
    clock.advance(seconds=31)
    server.run(server.ctx.service("appointments").sweep())
    done = server.run(server.ctx.db["appointments"].find_one({"_id": appt["_id"]}))
    assert done["status"] == "booked" and done["notes"] == [] and booked_messages() == 1


def test_a_booking_is_settled_by_its_own_writes(api: Api, server: AppServer) -> None:
    """Message first, then one write to booked with nothing left for the sweep until the first reminder."""
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    s = slots(api, b, day)[0]
    (r,) = verified(api)
    a = book(api, r.access_token, s["id"]).json()
    doc = server.run(server.ctx.db["appointments"].find_one({"_id": ObjectId(a["id"])}))
    start = dt.datetime.fromisoformat(s["start"])
    assert doc["status"] == "booked" and doc["notes"] == [] and doc["v"] == 1
    assert doc["due_at"] == start - dt.timedelta(minutes=max(doc["reminders"]))
    assert server.run(server.ctx.db["outbox"].count_documents(
        {"kind": "appointment.booked", "payload.appointment_id": a["id"]})) == 1


def test_crash_before_claim_is_undone_and_frees_the_person(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    sid = slots(api, b, day)[0]["id"]
    (r,) = verified(api)

    with crash_at(server, "after_insert"):
        assert_error(book(api, r.access_token, sid), 500, "internal_error")
    assert _slot(server, sid)["booked"] == 0
    # Until reconciled, the pending booking still holds the person's keys.
    assert_error(book(api, r.access_token, sid), 409, "already_booked")
    clock.advance(seconds=31)
    server.run(server.ctx.service("appointments").sweep())
    appt = server.run(server.ctx.db["appointments"].find_one({"user_id": r.id}))
    assert appt["status"] == "abandoned" and "keys" not in appt
    from tests.support_appointments import fresh
    fresh(api, r)
    assert book(api, r.access_token, sid).status_code == 201
    assert _slot(server, sid)["booked"] == 1


def test_crash_after_cancel_gives_the_place_back_once(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    sid = slots(api, b, day)[0]["id"]
    (r,) = verified(api)
    a = book(api, r.access_token, sid).json()

    with crash_at(server, "after_cancel"):
        assert_error(api.post(f"/api/v1/appointments/{a['id']}/cancel", token=r.access_token), 500, "internal_error")
    assert _slot(server, sid)["booked"] == 1  # cancelled, place not yet back
    server.run(server.ctx.service("appointments").sweep())
    server.run(server.ctx.service("appointments").sweep())
    s = _slot(server, sid)
    assert s["booked"] == 0 and s["free"] == 1 and s["claims"] == []


def test_crash_inside_a_group_of_bookings_is_repaired_by_the_sweep(api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=4, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    sid = slots(api, b, day)[0]["id"]
    people = verified(api, 10)
    # The first group to hold places dies before recording its bookings.
    with crash_at(server, "after_claim", once=True):
        results = _storm(api.base, [(p.access_token, sid) for p in people])
    codes = [r.status_code for r in results]
    crashed = codes.count(500)
    assert crashed >= 1 and codes.count(201) + crashed + codes.count(409) == 10, codes
    # The places the crashed group took are held by pending bookings until the sweep finishes them.
    clock.advance(seconds=31)
    server.run(server.ctx.service("appointments").sweep())
    s = _slot(server, sid)
    active = _active(server, sid)
    assert s["booked"] == len(s["claims"]) == active == 4 and s["free"] == 0
    booked_ids = [str(a["_id"]) for a in server.run(server.ctx.db["appointments"].find(
        {"slot_id": sid, "status": "booked"}).to_list(None))]
    assert len(booked_ids) == 4
    from tests.support_appointments import eventually
    eventually(lambda: server.run(server.ctx.db["outbox"].count_documents(
        {"kind": "appointment.booked", "payload.appointment_id": {"$in": booked_ids}})) == 4)
    assert server.run(server.ctx.db["appointments"].count_documents({"slot_id": sid, "status": "pending"})) == 0


def test_bookings_written_by_an_earlier_version_keep_their_rules_after_the_upgrade(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    s0, s1 = slots(api, b, day)[:2]
    (r,) = verified(api)
    now = server.clock.now()
    start = dt.datetime.fromisoformat(s0["start"])
    old = {"_id": ObjectId(), "code": "OLDV1234", "user_id": r.id, "slot_id": s0["id"], "hall_id": b.hall_id,
           "service_id": b.service_id, "date": day.isoformat(), "start": start, "end": start + dt.timedelta(hours=1),
           "status": "booked", "created_at": now, "slot_key": f"{r.id}:{s0['id']}",
           "day_key": f"{r.id}:{day.isoformat()}:0", "svc_key": f"{r.id}:{b.service_id}:{day.isoformat()}:0",
           "open_key": f"{r.id}:0"}
    server.run(server.ctx.db["appointments"].insert_one(old))
    assert server.run(server.ctx.service("appointments").upgrade_old_documents()) == 1
    doc = server.run(server.ctx.db["appointments"].find_one({"_id": old["_id"]}))
    assert doc["keys"] == [f"s:{old['slot_key']}", f"d:{old['day_key']}", f"v:{old['svc_key']}", f"o:{old['open_key']}"]
    assert doc["due_at"] == old["end"] and "day_key" not in doc
    # Its person keys still count: the same resident cannot book another slot that day.
    assert_error(book(api, r.access_token, s1["id"]), 409, "already_booked")
