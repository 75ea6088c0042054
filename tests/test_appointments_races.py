"""Concurrency and crashes: exact counts, no overbooking, no double booking, reconciled state."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from bson import ObjectId

from tests.support import Api, AppServer, assert_error
from tests.support_appointments import book, day_ahead, eventually, make_bookable, open_day, slots, verified


def _slot(server: AppServer, slot_id: str) -> dict:
    return server.run(server.ctx.db["appt_slots"].find_one({"_id": ObjectId(slot_id)}))


def _active(server: AppServer, slot_id: str) -> int:
    return server.run(server.ctx.db["appointments"].count_documents(
        {"slot_id": slot_id, "status": {"$in": ["pending", "booked", "checked_in"]}}))


def _open_slot(api: Api, server: AppServer, *, capacity: int) -> str:
    """The first slot of a new hall's one service, two days ahead, released: its id."""
    b = make_bookable(api, capacity=capacity, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    return slots(api, b, day)[0]["id"]


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


def _booked_messages(server: AppServer, appt_id: str) -> int:
    return server.run(server.ctx.db["outbox"].count_documents(
        {"kind": "appointment.booked", "payload.appointment_id": appt_id}))


def test_crash_after_claim_gives_the_place_back(api: Api, server: AppServer, clock) -> None:
    sid = _open_slot(api, server, capacity=1)
    (r,) = verified(api)

    with crash_at(server, "after_claim"):
        assert_error(book(api, r.access_token, sid), 500, "internal_error")
    # Half-way: the place is taken, no booking was written, the slot is due for a check.
    s = _slot(server, sid)
    assert s["booked"] == 1 and s["free"] == 0 and len(s["claims"]) == 1 and "check_due" in s
    assert server.run(server.ctx.db["appointments"].count_documents({"user_id": r.id})) == 0
    assert_error(book(api, r.access_token, sid), 409, "slot_full")
    server.run(server.ctx.service("appointments").sweep())  # too fresh: the request may still write it
    assert _slot(server, sid)["booked"] == 1
    clock.advance(seconds=31)
    server.run(server.ctx.service("appointments").sweep())
    s = _slot(server, sid)
    assert s["booked"] == 0 and s["free"] == 1 and s["claims"] == [] and "check_due" not in s
    # Running the sweep again changes nothing; the resident can book the place.
    server.run(server.ctx.service("appointments").sweep())
    assert _slot(server, sid)["free"] == 1
    a = book(api, r.access_token, sid)
    assert a.status_code == 201, a.text
    assert _slot(server, sid)["claims"] == [ObjectId(a.json()["id"])]


def test_crash_between_the_booking_and_its_message_sends_it_once(api: Api, server: AppServer, clock) -> None:
    sid = _open_slot(api, server, capacity=2)
    (r,) = verified(api)

    with crash_at(server, "after_insert"):
        assert_error(book(api, r.access_token, sid), 500, "internal_error")
    appt = server.run(server.ctx.db["appointments"].find_one({"user_id": r.id}))
    assert appt["status"] == "booked" and _slot(server, sid)["claims"] == [appt["_id"]]
    assert _booked_messages(server, str(appt["_id"])) == 0
    clock.advance(seconds=31)
    server.run(server.ctx.service("appointments").sweep())
    assert _booked_messages(server, str(appt["_id"])) == 1
    s = _slot(server, sid)
    assert s["booked"] == 1 and s["claims"] == [appt["_id"]] and "check_due" not in s
    server.run(server.ctx.service("appointments").sweep())
    assert _booked_messages(server, str(appt["_id"])) == 1


def test_a_crash_after_the_answer_still_sends_the_message_once(api: Api, server: AppServer, clock) -> None:
    """The booked are answered before their message is written: should the process die in
    between, the slot's check writes it, once."""
    sid = _open_slot(api, server, capacity=2)
    (r,) = verified(api)

    with crash_at(server, "after_answer"):
        answer = book(api, r.access_token, sid)
    assert answer.status_code == 201, answer.text
    appt_id = answer.json()["id"]
    assert _booked_messages(server, appt_id) == 0
    clock.advance(seconds=31)
    server.run(server.ctx.service("appointments").sweep())
    assert _booked_messages(server, appt_id) == 1
    assert "check_due" not in _slot(server, sid)
    server.run(server.ctx.service("appointments").sweep())
    assert _booked_messages(server, appt_id) == 1


def test_a_booking_is_settled_by_its_own_writes(api: Api, server: AppServer) -> None:
    """The place, the booking written booked and settled, its message: nothing left for the
    sweep until the first reminder, and the slot's check finds everything in order."""
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    s = slots(api, b, day)[0]
    (r,) = verified(api)
    a = book(api, r.access_token, s["id"]).json()
    doc = server.run(server.ctx.db["appointments"].find_one({"_id": ObjectId(a["id"])}))
    start = dt.datetime.fromisoformat(s["start"])
    assert doc["status"] == "booked" and doc["notes"] == [] and doc["v"] == 0 and list(doc["at"]) == ["booked"]
    assert doc["due_at"] == start - dt.timedelta(minutes=max(doc["reminders"]))
    eventually(lambda: _booked_messages(server, a["id"]) == 1)   # written right after the answer
    slot = _slot(server, s["id"])
    assert slot["check_due"] == doc["created_at"] + dt.timedelta(seconds=30)
    assert ObjectId(a["id"]).generation_time == doc["created_at"].replace(microsecond=0)


def test_a_stalled_request_gives_its_places_back(api: Api, server: AppServer, clock) -> None:
    """A request held up after taking places, for half the check time, writes no booking the
    sweep could have given the place of away: it gives them back and answers 503."""
    sid = _open_slot(api, server, capacity=2)
    (r,) = verified(api)

    async def stall(step: str) -> None:
        if step == "after_claim":
            clock.advance(seconds=16)
    server.ctx.service("appointments").fault_hook = stall
    try:
        assert_error(book(api, r.access_token, sid), 503, "service_unavailable")
    finally:
        server.ctx.service("appointments").fault_hook = None
    s = _slot(server, sid)
    assert s["booked"] == 0 and s["free"] == 2 and s["claims"] == []
    assert server.run(server.ctx.db["appointments"].count_documents({"user_id": r.id})) == 0
    assert book(api, r.access_token, sid).status_code == 201


def test_a_place_refused_by_a_person_rule_passes_to_the_next_in_line(api: Api, server: AppServer) -> None:
    """In one group, a resident refused by a person rule after the places were taken hands the
    place to the next request, which would otherwise have found the slot full; with nobody
    else in line it goes back to everyone."""
    from backend.core.access import Resident
    b = make_bookable(api, capacity=3, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    s0, s1, s2 = (x["id"] for x in slots(api, b, day)[:3])
    x, y, z, w = verified(api, 4)
    assert book(api, y.access_token, s1).status_code == 201  # y has booked this day already
    svc = server.ctx.service("appointments")

    def resident(p) -> Resident:  # noqa: ANN001
        return Resident(id=p.id, openid="o", realname_verified=True)

    async def together(slot_id: str, people: list) -> list:
        # The first request commits alone; the rest arrive meanwhile and go as one group.
        return await asyncio.gather(*(svc.book(resident(p), slot_id) for p in people), return_exceptions=True)

    # s0 has 3 places: x alone, then [y, z, w] for 2 places: y is refused (one booking a day),
    # so z and w both get one.
    out = server.run(together(s0, [x, y, z, w]))
    assert [getattr(o, "code", "ok") for o in out] == ["ok", "already_booked", "ok", "ok"], out
    slot = _slot(server, s0)
    assert slot["booked"] == 3 and slot["free"] == 0 and _active(server, s0) == 3
    assert sorted(slot["claims"]) == sorted(ObjectId(o["id"]) for o in out if isinstance(o, dict))
    # s2 has 3 places: [y] is refused with nobody behind: its place goes back.
    out = server.run(together(s2, [y]))
    assert getattr(out[0], "code", None) == "already_booked"
    slot = _slot(server, s2)
    assert slot["booked"] == 0 and slot["free"] == 3 and slot["claims"] == []


def test_crash_after_cancel_gives_the_place_back_once(api: Api, server: AppServer) -> None:
    sid = _open_slot(api, server, capacity=1)
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
    sid = _open_slot(api, server, capacity=4)
    people = verified(api, 10)
    # The first group to hold places dies before writing its bookings.
    with crash_at(server, "after_claim", once=True):
        results = _storm(api.base, [(p.access_token, sid) for p in people])
    codes = [r.status_code for r in results]
    crashed = codes.count(500)
    assert crashed >= 1 and codes.count(201) + crashed + codes.count(409) == 10, codes
    held = _slot(server, sid)
    assert held["booked"] == 4 and held["free"] == 0 and _active(server, sid) == codes.count(201) < 4
    # The crashed group's places have no bookings: the sweep gives them back after the check time.
    clock.advance(seconds=31)
    server.run(server.ctx.service("appointments").sweep())
    s = _slot(server, sid)
    active = _active(server, sid)
    assert s["booked"] == len(s["claims"]) == active == codes.count(201) and s["free"] == 4 - active
    booked_ids = [str(a["_id"]) for a in server.run(server.ctx.db["appointments"].find(
        {"slot_id": sid, "status": "booked"}).to_list(None))]
    assert len(booked_ids) == active and {ObjectId(i) for i in booked_ids} == set(s["claims"])
    assert server.run(server.ctx.db["outbox"].count_documents(
        {"kind": "appointment.booked", "payload.appointment_id": {"$in": booked_ids}})) == active
    # The places are bookable again.
    rest = [p for p, r in zip(people, results, strict=True) if r.status_code != 201]
    again = _storm(api.base, [(p.access_token, sid) for p in rest])
    assert [r.status_code for r in again].count(201) == 4 - active
    assert _slot(server, sid)["free"] == 0 and _active(server, sid) == 4


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
