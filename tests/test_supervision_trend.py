"""电子监察 over time: per day or per week, the cases received and completed, those that passed
their deadline unfinished, and satisfaction; bounded periods, Chinese bucket labels, supervisors only."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from backend.cases.trend import bucket_label
from backend.core.clock import TZ
from tests.support import Api, AppServer, assert_error, new_resident, staff_login
from tests.support_cases import move, rated_refusal, submit

TREND = "/api/v1/staff/supervision/trend"


@pytest.fixture
def sup(api: Api) -> str:
    return staff_login(api, role="supervisor")["access_token"]


def _today(server: AppServer) -> dt.date:
    return server.clock.now().astimezone(TZ).date()


def _day(api: Api, token: str, day: dt.date) -> dict[str, Any]:
    r = api.get(TREND, params={"bucket": "day", "from": day.isoformat(), "to": day.isoformat()}, token=token)
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    return item


def _completed(api: Api) -> dict[str, Any]:
    clerk = staff_login(api, role="clerk")["access_token"]
    approver = staff_login(api, role="approver")["access_token"]
    case = submit(api, new_resident(api, verified=True))
    for to, who in (("accepted", clerk), ("in_review", clerk), ("approved", approver), ("completed", clerk)):
        extra = {"promise_reason": "已在窗口核验原件"} if to == "completed" else {}
        assert move(api, who, case["id"], to, **extra).status_code == 200
    return case


def test_a_day_counts_what_it_received_completed_and_how_residents_rated_it(api: Api, server: AppServer,
                                                                             sup: str) -> None:
    today = _today(server)
    before = _day(api, sup, today)
    submit(api, new_resident(api, verified=True))
    _completed(api)
    rated_refusal(api, score=2)
    after = _day(api, sup, today)
    assert after["received"] - before["received"] == 3
    assert after["completed"] - before["completed"] == 1
    assert after["ratings"] - before["ratings"] == 1
    stars = (after["satisfaction"] * after["ratings"]) - ((before["satisfaction"] or 0) * before["ratings"])
    assert round(stars) == 2
    assert after["label"] == f"{today.month}月{today.day}日" and after["start"] == after["end"] == today.isoformat()
    assert after["title"].startswith(after["label"] + "（周")


def _running_due_on(api: Api, token: str, day: dt.date) -> set[str]:
    """The cases falling due on ``day`` still being handled (not waiting for a 补正)."""
    items = api.get("/api/v1/staff/applications", params={"limit": 200}, token=token).json()["items"]
    return {c["id"] for c in items if c.get("deadline") and dt.datetime.fromisoformat(c["deadline"]).astimezone(TZ)
            .date() == day and c["status"] in ("submitted", "accepted", "in_review", "approved")}


def test_a_case_past_its_deadline_unfinished_counts_as_overdue_on_its_deadline_day(api: Api, server: AppServer,
                                                                                     clock) -> None:  # noqa: ANN001
    late = submit(api, new_resident(api, verified=True))
    _completed(api)                                    # finished in time: not overdue
    rated_refusal(api)                                 # refused in time: not overdue
    paused = submit(api, new_resident(api, verified=True))
    clerk = staff_login(api, role="clerk")["access_token"]
    assert move(api, clerk, paused["id"], "correction_requested", missing=["户口簿"]).status_code == 200
    deadline = dt.datetime.fromisoformat(late["deadline"])
    due_day = deadline.astimezone(TZ).date()
    sup = staff_login(api, role="supervisor")["access_token"]
    assert _day(api, sup, due_day)["overdue"] == 0  # not passed yet
    clock.advance(seconds=(deadline - clock.now()).total_seconds() + 3600)
    sup = staff_login(api, role="supervisor")["access_token"]
    running = _running_due_on(api, sup, due_day)
    assert late["id"] in running and paused["id"] not in running
    assert _day(api, sup, due_day)["overdue"] == len(running)


def test_weeks_are_whole_weeks_labelled_by_month_and_number(api: Api, server: AppServer, sup: str) -> None:
    body = api.get(TREND, token=sup).json()
    assert body["bucket"] == "week" and len(body["items"]) == 8
    assert [dt.date.fromisoformat(i["start"]).weekday() for i in body["items"]] == [0] * 8
    assert [dt.date.fromisoformat(i["end"]).weekday() for i in body["items"]] == [6] * 8
    assert body["items"][-1]["start"] <= _today(server).isoformat() <= body["items"][-1]["end"]
    assert all(re.fullmatch(r"(\d{4}年)?\d{1,2}月第[1-5]周", i["label"]) for i in body["items"])
    r = api.get(TREND, params={"bucket": "week", "from": "2026-12-02", "to": "2026-12-09"}, token=sup).json()
    assert (r["from"], r["to"]) == ("2026-11-30", "2026-12-13")
    assert [i["label"] for i in r["items"]] == ["12月第1周", "12月第2周"]
    assert r["items"][0]["title"] == "12月第1周（11月30日至12月6日）"


def test_bucket_labels_name_the_year_only_outside_the_periods_last_year() -> None:
    assert bucket_label(dt.date(2025, 12, 29), dt.date(2026, 1, 4), weekly=True, year=2026)[0] == "1月第1周"
    assert bucket_label(dt.date(2025, 12, 22), dt.date(2025, 12, 28), weekly=True, year=2026)[0] == "2025年12月第4周"
    assert bucket_label(dt.date(2026, 12, 6), dt.date(2026, 12, 6), weekly=False, year=2026) == ("12月6日",
                                                                                               "12月6日（周日）")


@pytest.mark.parametrize("params,field", [
    ({"from": "2026-12-10", "to": "2026-12-01"}, "from"),
    ({"bucket": "day", "from": "2026-01-01", "to": "2026-03-31"}, "from"),
    ({"bucket": "week", "from": "2025-01-01", "to": "2026-03-31"}, "from"),
    ({"bucket": "month"}, "bucket"),
    ({"from": "2026-02-30"}, "from"),
    ({"to": "12/06/2026"}, "to"),
])
def test_a_bad_period_is_400_naming_the_field(api: Api, sup: str, params: dict[str, str], field: str) -> None:
    err = assert_error(api.get(TREND, params=params, token=sup), 400, "invalid_input")
    assert field in err["details"]["fields"]


@pytest.mark.parametrize("role", ["clerk", "approver", "finance", "hall_manager", "admin", "hotline"])
def test_only_supervisors_see_the_trend(api: Api, role: str) -> None:
    assert_error(api.get(TREND, token=staff_login(api, role=role)["access_token"]), 403, "forbidden")


def test_the_trend_needs_a_staff_login(api: Api) -> None:
    assert api.get(TREND).status_code == 401
    assert api.get(TREND, token=new_resident(api).access_token).status_code == 401


def test_the_default_period_is_eight_whole_weeks_whatever_the_weekday() -> None:
    from backend.cases.trend import period
    for offset in range(7):
        today = dt.date(2026, 12, 7) + dt.timedelta(days=offset)
        p = period("week", None, None, today)
        assert p.first.weekday() == 0 and p.last.weekday() == 6 and p.first <= today <= p.last, today
        assert (p.last - p.first).days + 1 == 8 * 7, today
