"""The working calendar: the package's years, entered years, provisional years from the statutory
rules, and what entering a year changes — through the API with the server's clock."""
from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from backend.calendar import statutory
from backend.calendar.working import Source, WorkingCalendar
from tests.support import Api, assert_error, new_resident, staff_login
from tests.support_appointments import advance_to
from tests.support_cases import eventually, inbox, move, submit

D = dt.date
TZ8 = dt.timezone(dt.timedelta(hours=8))
# A day when the package knows 2026 and nobody has published 2027 yet: the calendar's pages are
# tested there, whatever today is (the clock fixture puts it back after each test).
BEFORE_2027_IS_OFFICIAL = dt.datetime(2026, 11, 16, 10, 0, tzinfo=TZ8)


# The layers -------------------------------------------------------------------------------------
def test_package_years_count_holidays_and_exchanged_workdays() -> None:
    cal = WorkingCalendar()
    assert cal.source(2026) is Source.PACKAGE
    # 2026-09-30 (Wed) + 3 working days: 1–7 Oct are National Day, 8 and 9 Oct count, and
    # Saturday 10 Oct is worked in exchange (调休).
    assert cal.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert cal.is_working_day(D(2026, 10, 10)) and not cal.is_working_day(D(2026, 10, 7))
    assert cal.working_days_between(D(2026, 11, 20), D(2026, 11, 27)) == 5
    assert cal.working_days_between(D(2026, 11, 27), D(2026, 11, 20)) == -5
    assert [cal.is_working_day(D(2026, 2, d)) for d in (13, 14, 15, 23, 24, 28)] == \
        [True, True, False, False, True, True]
    assert cal.holiday_name(D(2026, 10, 2)) == "国庆节" and cal.holiday_name(D(2026, 10, 10)) is None


@pytest.mark.parametrize("year", range(2025, max(chinese_calendar.holidays).year + 1))
def test_the_statutory_rules_agree_with_every_official_year_since_they_took_effect(year: int) -> None:
    """Every day the rules give off (from 2025, the 2024 revision) was off in the official notice:
    the notice only adds bridging days and exchanged weekends."""
    official = {d for d in chinese_calendar.holidays if d.year == year}
    assert set(statutory.days_off(year)) <= official


def test_a_year_nobody_published_yet_is_provisional_never_refused() -> None:
    cal = WorkingCalendar()
    assert cal.source(2027) is Source.PROVISIONAL and not cal.official(2027)
    assert cal.official_until() == D(2026, 12, 31)
    # 2027: 元旦 Friday 1 Jan; 春节 除夕 5 Feb to 初三 8 Feb (6–7 Feb a weekend, made up on 9–10 Feb);
    # 清明 5 Apr; 劳动节 1–2 May (a weekend: 3–4 May); 端午 9 Jun; 中秋 15 Sep; 国庆 1–3 Oct (+4, 5 Oct).
    off = statutory.days_off(2027)
    assert {D(2027, 1, 1), D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10),
            D(2027, 4, 5), D(2027, 5, 3), D(2027, 6, 9), D(2027, 9, 15), D(2027, 10, 4)} <= set(off)
    assert off[D(2027, 2, 6)] == "春节" and off[D(2027, 2, 9)] == "春节补休"
    assert cal.is_working_day(D(2027, 1, 4)) and not cal.is_working_day(D(2027, 2, 9))
    assert cal.is_public_holiday(D(2027, 2, 6)) and not cal.is_public_holiday(D(2027, 1, 9))
    assert cal.add_working_days(D(2026, 12, 30), 2) == D(2027, 1, 4)
    assert cal.provisional_within(D(2026, 12, 30), D(2027, 1, 4)) and not cal.provisional_within(D(2026, 1, 1),
                                                                                                   D(2026, 12, 31))
    assert cal.is_working_day(D(2099, 6, 1)) and cal.source(2099) is Source.PROVISIONAL


def test_configured_dates_win_over_every_layer() -> None:
    cal = WorkingCalendar(["2026-11-30", "2027-01-04"], ["2026-11-29"])
    assert not cal.is_working_day(D(2026, 11, 30)) and cal.is_working_day(D(2026, 11, 29))
    assert cal.source(2027) is Source.ENTERED and not cal.is_working_day(D(2027, 1, 4))


def test_admins_are_warned_from_november_until_next_year_is_official() -> None:
    cal = WorkingCalendar()
    assert cal.coverage_warning(D(2026, 10, 31)) is None
    warning = cal.coverage_warning(D(2026, 11, 1))
    assert warning is not None and "2027 年的放假安排尚未录入" in warning and "工作日历" in warning
    assert "暂定" in cal.coverage_warning(D(2027, 1, 4))
    assert WorkingCalendar(["2027-01-01"]).coverage_warning(D(2026, 11, 1)) is None


# Entering a year -------------------------------------------------------------------------------
# A notice like the State Council's (dates for the test): 元旦 1–3 Jan; 春节 5–11 Feb with Sunday
# 14 Feb and Saturday 20 Feb worked; 清明 3–5 Apr; 劳动节 1–5 May with Saturday 8 May worked; 端午
# 9 Jun; 中秋 15 Sep; 国庆 1–7 Oct with Sunday 26 Sep and Saturday 9 Oct worked.
NOTICE_2027 = {
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", *[f"2027-02-{d:02d}" for d in range(5, 12)],
                 "2027-04-03", "2027-04-04", "2027-04-05", *[f"2027-05-0{d}" for d in range(1, 6)],
                 "2027-06-09", "2027-09-15", *[f"2027-10-0{d}" for d in range(1, 8)]],
    "workdays": ["2027-02-14", "2027-02-20", "2027-05-08", "2027-09-26", "2027-10-09"],
    "notice": "国办发明电〔2026〕×号",
}


def _year(overview: dict, year: int) -> dict:
    return next(y for y in overview["years"] if y["year"] == year)


def test_the_calendar_page_lists_each_year_with_its_source_and_warns(api: Api, server, clock) -> None:  # noqa: ANN001
    advance_to(server, BEFORE_2027_IS_OFFICIAL)
    admin = staff_login(api, role="admin")["access_token"]
    body = api.get("/api/v1/staff/calendar", token=admin).json()
    y2026, y2027 = _year(body, 2026), _year(body, 2027)
    assert (y2026["source"], y2026["editable"]) == ("package", False)
    assert (y2027["source"], y2027["editable"]) == ("provisional", True)
    assert y2027["source_label"] == "暂定（按法定假日规则推算）"
    assert {"date": "2027-02-06", "name": "春节", "label": "2月6日（周六）"} in y2027["holidays"]
    assert "2027 年的放假安排尚未录入" in body["warning"]
    # /readyz stays ready and says what admins must do (its details are for operators; the sandbox is one).
    ready = api.get("/readyz").json()
    assert ready["status"] == "ready"
    assert any("放假安排尚未录入" in w for w in ready["warnings"]) == bool(body.get("warning"))
    supervisor = staff_login(api, role="supervisor")["access_token"]
    assert api.get("/api/v1/staff/calendar", token=supervisor).status_code == 200
    clerk = staff_login(api, role="clerk")["access_token"]
    assert_error(api.get("/api/v1/staff/calendar", token=clerk), 403, "forbidden")
    assert_error(api.put("/api/v1/staff/calendar/2027", NOTICE_2027, token=supervisor), 403, "forbidden")


@pytest.mark.parametrize("change, field, words", [
    ({"holidays": [*NOTICE_2027["holidays"], "2027-01-02"]}, "holidays.27", "2027-01-02 重复列出"),
    ({"holidays": [*NOTICE_2027["holidays"], "2028-01-01"]}, "holidays.27", "2028-01-01 不在 2027 年内"),
    ({"workdays": ["2027-02-14", "2027-02-05"]}, "workdays.1", "2027-02-05 既列为放假日又列为调休上班日"),
    ({"workdays": ["2027-02-15"]}, "workdays.0", "2027-02-15 是周一，本来就是工作日"),
    ({"workdays": ["2027-02-14", "2027-02-14"]}, "workdays.1", "2027-02-14 重复列出"),
    ({"holidays": ["2027-02-30"]}, "holidays.0", "2027-02-30 不是有效日期"),
])
def test_a_wrong_schedule_names_the_day_and_changes_nothing(api: Api, change: dict, field: str, words: str) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    before = _year(api.get("/api/v1/staff/calendar", token=admin).json(), 2027)
    for path in ("/api/v1/staff/calendar/2027", "/api/v1/staff/calendar/2027/preview"):
        call = api.put if not path.endswith("preview") else api.post
        err = assert_error(call(path, {**NOTICE_2027, **change}, token=admin), 400, "invalid_input")
        assert field in err["details"]["fields"] and words in err["details"]["fields"][field]
    assert _year(api.get("/api/v1/staff/calendar", token=admin).json(), 2027) == before


def test_a_year_the_package_knows_cannot_be_entered(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    err = assert_error(api.put("/api/v1/staff/calendar/2026", {"holidays": ["2026-01-01"], "workdays": []},
                               token=admin), 400, "invalid_input")
    assert "已由日历软件包提供" in err["details"]["fields"]["year"]
    assert_error(api.put("/api/v1/staff/calendar/20x7", NOTICE_2027, token=admin), 400, "invalid_input")


def test_entering_a_year_recounts_provisional_deadlines_and_tells_the_people_concerned(api: Api, server,
                                                                                        clock) -> None:  # noqa: ANN001
    # Monday 1 Feb 2027: a case with a 5-working-day limit. Provisionally 5–10 Feb are off (春节 and
    # its made-up days), so it is due Friday 12 Feb — marked provisional.
    advance_to(server, dt.datetime(2027, 2, 1, 10, 0, tzinfo=TZ8))
    r = new_resident(api, verified=True)
    case = submit(api, r)
    assert case["deadline"].startswith("2027-02-12") and case["deadline_provisional"] is True
    clerk = staff_login(api, role="clerk")["access_token"]
    assert move(api, clerk, case["id"], "accepted").status_code == 200
    # A 12345 complaint assigned the same day: its reply is due in 5 working days, also provisionally 12 Feb.
    complaint = api.post("/api/v1/complaints", {"category": "complaint", "content": "小区门口路灯坏了一周没人修",
                                                "location": "和平路 8 号", "contact_ok": True},
                         token=r.access_token).json()
    dept = next(d for d in api.get("/api/v1/departments").json()["items"] if d["code"] == "REAL")
    hotline = staff_login(api, role="hotline")["access_token"]
    assigned = api.post(f"/api/v1/staff/complaints/{complaint['id']}/assign", {"department_id": dept["id"]},
                        token=hotline).json()
    assert assigned["due"].startswith("2027-02-12") and assigned["due_provisional"] is True

    admin = staff_login(api, role="admin")["access_token"]
    preview = api.post("/api/v1/staff/calendar/2027/preview", NOTICE_2027, token=admin).json()
    assert {"date": "2027-02-11", "label": "2月11日（周四）", "name": "春节"} in preview["closed_days"]
    assert [d["date"] for d in preview["opened_days"]] == ["2027-02-14", "2027-02-20", "2027-05-08", "2027-09-26",
                                                           "2027-10-09"]
    assert preview["cases"] >= 1 and preview["complaints"] >= 1 and "重新计算" in preview["summary"]
    unchanged = api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()
    assert unchanged["deadline"].startswith("2027-02-12")

    entered = api.put("/api/v1/staff/calendar/2027", NOTICE_2027, token=admin)
    assert entered.status_code == 200, entered.text
    assert entered.json()["source"] == "entered" and entered.json()["effects"]["cases"] >= 1
    # Officially 5–11 Feb are off and Sunday 14 Feb is worked: 2, 3, 4, 12, 14 Feb → due Sunday 14 Feb.
    now = api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()
    assert now["deadline"].startswith("2027-02-14") and now["deadline_provisional"] is False
    told = eventually(lambda: [m for m in inbox(api, r) if m["title"] == "办理时限已调整"])
    assert len(told) == 1
    assert "由2月12日（周五）调整为2月14日（周日）" in told[0]["text"]
    assert "按国务院办公厅公布的2027年节假日安排放假" in told[0]["text"]
    mine = api.get(f"/api/v1/complaints/{complaint['id']}", token=r.access_token).json()
    assert mine["due"].startswith("2027-02-14") and mine["due_provisional"] is False
    assert len(eventually(lambda: [m for m in inbox(api, r) if m["title"] == "工单办理时限已调整"])) == 1
    alerts = api.get("/api/v1/staff/inbox", token=staff_login(api, role="supervisor")["access_token"]).json()["items"]
    assert any(complaint["serial"] in a["text"] and "调整为2月14日" in a["text"] for a in alerts)

    # Entering the same schedule again moves nothing and tells nobody twice.
    again = api.put("/api/v1/staff/calendar/2027", NOTICE_2027, token=admin)
    assert again.status_code == 200 and again.json()["effects"].get("cases", 0) == 0
    assert len([m for m in inbox(api, r) if m["title"] == "办理时限已调整"]) == 1
    body = api.get("/api/v1/staff/calendar", token=admin).json()
    assert _year(body, 2027)["source"] == "entered" and _year(body, 2027)["entered_by"]
    audit = api.get("/api/v1/staff/audit", params={"action": "calendar.year.enter"}, token=admin).json()["items"]
    assert audit and audit[0]["target"]["id"] == "2027"
