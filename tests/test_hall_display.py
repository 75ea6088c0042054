"""The hall's public call screen (叫号屏), in headless Chromium: no login, no personal data, a
call reaches it by server push within a second, and axe finds nothing serious on it."""
from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import requests

from backend.core.clock import TZ
from tests.support import Api, AppServer, assert_error
from tests.support_appointments import (
    advance_to,
    book,
    day_ahead,
    fresh_staff,
    make_bookable,
    open_day,
    slots,
    verified,
)
from tests.test_console_a11y import axe_problems

pytestmark = pytest.mark.browser


def test_a_call_reaches_the_display_within_a_second(console: Any, api: Api, server: AppServer, clock) -> None:
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(server, 2)
    open_day(api, b, day)
    (res,) = verified(api)
    a = book(api, res.access_token, slots(api, b, day)[0]["id"]).json()
    advance_to(server, dt.datetime.combine(day, dt.time(8, 45), TZ))
    fresh_staff(b, api)
    assert api.post("/api/v1/staff/checkin", {"appointment_code": a["code"]}, token=b.clerk).status_code == 200
    walk = api.post("/api/v1/staff/tickets", {"hall_id": b.hall_id, "service_id": b.service_id}, token=b.clerk)
    assert walk.status_code == 201, walk.text

    # The board as JSON: numbers, windows and services, nobody's name, code or id number.
    board = api.get(f"/api/v1/halls/{b.hall_id}/display").json()
    assert board["called"] == [] and [n["ticket_number"] for n in board["next"]] == ["A001", "A002"]
    assert board["waiting"] == 2 and board["hall_name"] == "测试大厅"
    text = str(board)
    assert a["code"] not in text and "resident" not in text and "user_id" not in text
    assert_error(api.get("/api/v1/halls/000000000000000000000000/display"), 404, "not_found")

    c = console("hall-display")
    p = c.page
    p.goto(f"{server.base}/hall/{b.hall_id}/display")
    p.locator("#next li", has_text="A001").wait_for()
    assert p.locator("#called li").inner_text() == "暂无叫号"
    assert axe_problems(p) == []

    called = api.post(f"/api/v1/staff/windows/{b.window_id}/call-next", {"hall_id": b.hall_id}, token=b.clerk)
    sent = time.monotonic()
    assert called.status_code == 200 and called.json()["ticket_number"] == "A001"
    first = p.locator("#called li").first
    first.wait_for(timeout=1000)
    p.wait_for_function("() => document.querySelector('#called li')?.dataset.ticket === 'A001'", timeout=1000)
    assert time.monotonic() - sent < 1.0
    assert "01 号窗口" in first.inner_text()
    assert [t.strip() for t in p.locator("#next li").all_inner_texts()] == ["A002"]
    assert axe_problems(p) == []


def test_the_event_stream_sends_the_board_at_once(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=1, services=1)
    with requests.get(f"{server.base}/api/v1/halls/{b.hall_id}/display/events", stream=True, timeout=10) as r:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        lines = []
        for line in r.iter_lines(decode_unicode=True):
            lines.append(line)
            if line == "" and len(lines) > 1:
                break
    assert lines[0] == "event: board" and lines[1].startswith("data: {")
    assert '"hall_id":"' + b.hall_id + '"' in lines[1]
