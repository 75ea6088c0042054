"""A waitlist grows by one entry per resident and slot, whatever spelling of the slot's id the
request used; nobody waits for a slot they hold; and one resident waits on a bounded number of
waitlists at once."""
from __future__ import annotations

from tests.support import Api, AppServer, assert_error
from tests.support_appointments import book, day_ahead, make_bookable, open_day, slots, verified


def _full_slots(api: Api, server: AppServer, n: int) -> tuple[list[str], object]:
    """``n`` one-place slots, each booked by the same resident (who is returned)."""
    b = make_bookable(api, capacity=1, services=1, slot_minutes=30)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    ids = [x["id"] for x in slots(api, b, day)[:n]]
    assert len(ids) == n
    holders = verified(api, n)
    for sid, h in zip(ids, holders, strict=True):
        assert book(api, h.access_token, sid).status_code == 201
    return ids, holders[0]


def test_one_entry_per_slot_whatever_the_spelling_of_its_id(api: Api, server: AppServer) -> None:
    [sid], holder = _full_slots(api, server, 1)
    [w] = verified(api, 1)
    assert api.post(f"/api/v1/slots/{sid}/waitlist", token=w.access_token).status_code == 201
    for spelling in (sid.upper(), sid.lower(), sid[:12].upper() + sid[12:]):
        assert_error(api.post(f"/api/v1/slots/{spelling}/waitlist", token=w.access_token), 409, "already_waitlisted")
    assert len(api.get("/api/v1/me/waitlist", token=w.access_token).json()["items"]) == 1
    # the resident holding the slot's place cannot wait for it, however the id is written
    assert_error(api.post(f"/api/v1/slots/{sid.upper()}/waitlist", token=holder.access_token), 409, "already_booked")


def test_a_resident_waits_on_a_bounded_number_of_waitlists(api: Api, server: AppServer) -> None:
    limit = server.ctx.config.appointments.max_waitlists
    ids, _ = _full_slots(api, server, limit + 1)
    [w] = verified(api, 1)
    for sid in ids[:limit]:
        assert api.post(f"/api/v1/slots/{sid}/waitlist", token=w.access_token).status_code == 201
    err = assert_error(api.post(f"/api/v1/slots/{ids[limit]}/waitlist", token=w.access_token), 409,
                       "too_many_waitlists")
    assert str(limit) in err["message"]
    mine = api.get("/api/v1/me/waitlist", token=w.access_token).json()["items"]
    assert len(mine) == limit
    # leaving one makes room for another
    assert api.post(f"/api/v1/waitlist/{mine[0]['id']}/leave", token=w.access_token).status_code == 200
    assert api.post(f"/api/v1/slots/{ids[limit]}/waitlist", token=w.access_token).status_code == 201
