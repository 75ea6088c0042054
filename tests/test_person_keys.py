"""A booking takes a key only for the person rules its limits need: with one booking a day the
day's key keeps the slot's and the service's rules too, and the refusals still say which rule a
booking broke. Raising a limit adds the keys it now needs to the bookings made before, at the
next start, so the rules hold for them too."""
from __future__ import annotations

from typing import Any

from tests.support import Api, AppServer, assert_error
from tests.support_appointments import book, day_ahead, make_bookable, open_day, slots, verified


def _keys(srv: AppServer, appt_id: str) -> list[str]:
    from bson import ObjectId
    doc = srv.run(srv.ctx.db["appointments"].find_one({"_id": ObjectId(appt_id)}))
    return sorted(k[:1] for k in doc["keys"])


def _booked(resp: Any) -> str:
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_with_one_booking_a_day_a_booking_takes_two_keys_and_refusals_say_which_rule(
        api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=3, services=2)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    (r,) = verified(api)
    first = slots(api, b, day, service=0)
    appt = _booked(book(api, r.access_token, first[0]["id"]))
    assert _keys(server, appt) == ["d", "o"]
    same_slot = assert_error(book(api, r.access_token, first[0]["id"]), 409, "already_booked")
    assert same_slot["message"] == "您已预约该时段"
    same_service = assert_error(book(api, r.access_token, first[1]["id"]), 409, "already_booked")
    assert same_service["message"] == "您当天已预约过该事项"
    assert_error(book(api, r.access_token, slots(api, b, day, service=1)[0]["id"]), 409, "daily_limit")


def test_raising_the_daily_limit_gives_earlier_bookings_the_keys_it_now_needs(make_server) -> None:
    before = make_server()
    api = Api(before.base)
    b = make_bookable(api, capacity=3, services=2)
    day = day_ahead(before, 2)
    open_day(api, b, day)
    (r,) = verified(api)
    appt = _booked(book(api, r.access_token, slots(api, b, day, service=0)[0]["id"]))
    assert _keys(before, appt) == ["d", "o"]
    name = before.ctx.config.database.name
    before.stop()

    # Two a day, one of each service: the service's key is needed now, for the booking above too.
    after = make_server(database={"name": name}, appointments={"max_per_day": 2})
    api = Api(after.base)
    assert _keys(after, appt) == ["d", "o", "v"]
    same_service = assert_error(book(api, r.access_token, slots(api, b, day, service=0)[1]["id"]), 409,
                                "already_booked")
    assert same_service["message"] == "您当天已预约过该事项"
    other = _booked(book(api, r.access_token, slots(api, b, day, service=1)[0]["id"]))
    assert _keys(after, other) == ["d", "o", "v"]
    name = after.ctx.config.database.name
    after.stop()

    # Two of a service a day: now the slot's key too.
    again = make_server(database={"name": name},
                        appointments={"max_per_day": 3, "max_per_service_per_day": 2})
    api = Api(again.base)
    assert _keys(again, appt) == ["d", "o", "s", "v"]
    same_slot = assert_error(book(api, r.access_token, slots(api, b, day, service=0)[0]["id"]), 409,
                             "already_booked")
    assert same_slot["message"] == "您已预约该时段"
    _booked(book(api, r.access_token, slots(api, b, day, service=0)[1]["id"]))
