"""A booking through a waitlist offer goes the same way as a direct one: the held place first,
then the booking written booked and settled, then its message; a booking not written gives the
place back to the offer's hold, never to someone else."""
from __future__ import annotations

import datetime as dt

from bson import ObjectId

from tests.support import Api, AppServer, assert_error
from tests.support_appointments import book, day_ahead, eventually, make_bookable, open_day, slots, verified
from tests.test_appointments_races import crash_at


def _slot(server: AppServer, slot_id: str) -> dict:
    return server.run(server.ctx.db["appt_slots"].find_one({"_id": ObjectId(slot_id)}))


def _offered(api: Api, server: AppServer) -> tuple:
    """A full one-place slot whose place, freed, is offered to a resident on its waitlist; that
    resident has booked another slot of the same day. Returns (slot ids, resident, entry, their
    other booking)."""
    b = make_bookable(api, capacity=1, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    s0, s1 = (x["id"] for x in slots(api, b, day)[:2])
    a, w = verified(api, 2)
    first = book(api, a.access_token, s0).json()
    other = book(api, w.access_token, s1)
    assert other.status_code == 201, other.text
    entry = api.post(f"/api/v1/slots/{s0}/waitlist", token=w.access_token).json()
    assert api.post(f"/api/v1/appointments/{first['id']}/cancel", token=a.access_token).status_code == 200
    mine = api.get("/api/v1/me/waitlist", token=w.access_token).json()["items"][0]
    assert mine["status"] == "offered"
    return (s0, s1), w, entry, other.json()


def test_an_offer_refused_by_a_person_rule_keeps_its_hold(api: Api, server: AppServer) -> None:
    (s0, _), w, entry, other = _offered(api, server)
    # One booking of the service a day: refused after the held place was taken, which goes back
    # to the hold, not to everyone.
    assert_error(api.post(f"/api/v1/waitlist/{entry['id']}/accept", token=w.access_token), 409, "already_booked")
    s = _slot(server, s0)
    assert s["booked"] == 0 and s["held"] == 1 and s["free"] == 0 and s["claims"] == []
    assert [h["w"] for h in s["holds"]] == [entry["id"]]
    assert api.get("/api/v1/me/waitlist", token=w.access_token).json()["items"][0]["status"] == "offered"
    # Once the other booking is cancelled, the offer can be taken.
    assert api.post(f"/api/v1/appointments/{other['id']}/cancel", token=w.access_token).status_code == 200
    r = api.post(f"/api/v1/waitlist/{entry['id']}/accept", token=w.access_token)
    assert r.status_code == 201, r.text
    s = _slot(server, s0)
    assert s["booked"] == 1 and s["held"] == 0 and s["holds"] == [] and s["claims"] == [ObjectId(r.json()["id"])]


def test_an_offer_booking_is_written_settled_with_its_message(api: Api, server: AppServer) -> None:
    (s0, _), w, entry, other = _offered(api, server)
    assert api.post(f"/api/v1/appointments/{other['id']}/cancel", token=w.access_token).status_code == 200
    r = api.post(f"/api/v1/waitlist/{entry['id']}/accept", token=w.access_token)
    assert r.status_code == 201 and r.json()["status"] == "booked", r.text
    doc = server.run(server.ctx.db["appointments"].find_one({"_id": ObjectId(r.json()["id"])}))
    assert doc["status"] == "booked" and doc["notes"] == [] and list(doc["at"]) == ["booked"]
    assert doc["waitlist_id"] == entry["id"]
    sent = eventually(lambda: server.run(server.ctx.db["outbox"].count_documents(
        {"kind": "appointment.booked", "payload.appointment_id": r.json()["id"]})))
    assert sent == 1
    assert api.get("/api/v1/me/waitlist", token=w.access_token).json()["items"][0]["status"] == "accepted"
    # The slot's check finds the booking and forgets where its place came from.
    assert "check_due" in _slot(server, s0)


def test_crash_after_taking_the_held_place_gives_it_back_to_the_hold(api: Api, server: AppServer, clock) -> None:
    (s0, _), w, entry, other = _offered(api, server)
    assert api.post(f"/api/v1/appointments/{other['id']}/cancel", token=w.access_token).status_code == 200
    with crash_at(server, "after_claim"):
        assert_error(api.post(f"/api/v1/waitlist/{entry['id']}/accept", token=w.access_token), 500,
                     "internal_error")
    s = _slot(server, s0)
    assert s["booked"] == 1 and s["held"] == 0 and len(s["claims"]) == 1 and "check_due" in s
    clock.advance(seconds=31)
    server.run(server.ctx.service("appointments").sweep())
    s = _slot(server, s0)
    assert s["booked"] == 0 and s["held"] == 1 and s["free"] == 0 and s["claims"] == []
    assert [h["w"] for h in s["holds"]] == [entry["id"]] and "check_due" not in s and "taken" not in s
    # The offer still stands (its time not yet out): it can be taken.
    until = dt.datetime.fromisoformat(
        api.get("/api/v1/me/waitlist", token=w.access_token).json()["items"][0]["offer_until"])
    assert until > clock.now()
    r = api.post(f"/api/v1/waitlist/{entry['id']}/accept", token=w.access_token)
    assert r.status_code == 201, r.text
