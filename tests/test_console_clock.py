"""The console takes "today" from the server's clock (GET /api/v1/time), not from the browser: with
the server's clock moved forward, the check-in list opens on the server's day and shows its
bookings."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.support import Api, AppServer, new_resident
from tests.support_console import require_endpoints
from tests.test_console_flows import make_hall_with_slots

pytestmark = pytest.mark.browser


def test_the_checkin_list_opens_on_the_servers_day(console, api: Api, server: AppServer, clock) -> None:  # noqa: ANN001
    require_endpoints(server, "/staff/checkin", "/staff/appointments", "/time")
    hall = make_hall_with_slots(api, server)  # bookable the day after tomorrow
    slot = api.get(f"/api/v1/services/{hall['service_id']}/slots",
                   params={"date": hall["day"].isoformat(), "hall_id": hall["hall_id"]}).json()["items"][0]
    booked = api.post("/api/v1/appointments", {"slot_id": slot["id"]},
                      token=new_resident(api, verified=True).access_token)
    assert booked.status_code == 201, booked.text
    start = dt.datetime.fromisoformat(booked.json()["start"])
    clock.offset += (start - dt.timedelta(minutes=30)) - clock.now()  # the server's morning of that day

    c = console("clerk-server-today").login_as("clerk").go("clerk/checkin")
    p = c.page
    day = p.get_by_label("日期")
    expect(day).to_have_value(hall["day"].isoformat())  # the browser's own date is two days earlier
    # Dates are typed and shown as 2026-12-08 whatever the browser's locale: no native date or
    # time field (an en-US browser would show those as mm/dd/yyyy and AM/PM).
    assert day.get_attribute("data-format") == "date" and day.get_attribute("placeholder") == "如 2026-12-08"
    assert p.locator('input[type="date"], input[type="time"], input[type="datetime-local"]').count() == 0
    p.get_by_label("大厅").select_option(hall["hall_id"])
    p.locator(f'tr[data-code="{booked.json()["code"]}"]').wait_for()
    assert not p.get_by_text("当天没有预约").is_visible()
    c.shot("checkin-server-day")
