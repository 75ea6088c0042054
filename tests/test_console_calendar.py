"""Staff console in headless Chromium: the working calendar — the admins' banner while next year is
not official, each year with its source, entering a year's notice after a preview."""
from __future__ import annotations

import pytest

from tests.support import Api, staff_login
from tests.support_appointments import advance_to
from tests.test_calendar import BEFORE_2027_IS_OFFICIAL, NOTICE_2027

pytestmark = pytest.mark.browser


def test_admin_sees_the_banner_and_enters_a_year_after_its_preview(console, api: Api, server, clock) -> None:  # noqa: ANN001,E501
    advance_to(server, BEFORE_2027_IS_OFFICIAL)
    year = api.get("/api/v1/staff/calendar", token=staff_login(api, role="admin")["access_token"]).json()
    if not year.get("warning"):
        pytest.fail("a fresh server on the pinned calendar package must warn that a year is not official")
    c = console("calendar").login_as("admin")
    p = c.page
    banner = p.locator("#banner")
    banner.filter(has_text="放假安排尚未录入").wait_for()
    banner.get_by_role("link", name="前往工作日历").click()
    p.get_by_role("heading", name="工作日历", level=1).wait_for()
    p.locator('tr[data-year="2026"]').filter(has_text="国务院通知（日历软件包）").wait_for()
    p.locator('tr[data-year="2027"][data-source="provisional"]').filter(has_text="暂定").wait_for()

    form = p.locator('form.calendar-entry[data-year="2027"]')
    # A day listed twice: the page says which, and nothing is saved.
    form.get_by_label("放假日", exact=False).fill(", ".join([*NOTICE_2027["holidays"], "2027-01-02"]))
    form.get_by_label("调休上班日", exact=False).fill(", ".join(NOTICE_2027["workdays"]))
    form.get_by_role("button", name="预览影响").click()
    form.get_by_role("alert").filter(has_text="2027-01-02 重复列出").wait_for()

    form.get_by_label("放假日", exact=False).fill(", ".join(NOTICE_2027["holidays"]))
    form.get_by_role("button", name="预览影响").click()
    form.get_by_text("改为上班：2月14日（周日）、2月20日（周六）", exact=False).wait_for()
    c.shot("calendar-preview")
    form.get_by_role("button", name="保存").click()
    dialog = p.get_by_role("dialog")
    assert "2027" in dialog.inner_text()
    dialog.get_by_role("button", name="确认录入").click()
    p.locator('tr[data-year="2027"][data-source="entered"]').filter(has_text="管理员录入").wait_for()
    c.shot("calendar-entered")


def test_a_supervisor_reads_the_calendar_but_cannot_enter_a_year(console, server, clock) -> None:  # noqa: ANN001
    advance_to(server, BEFORE_2027_IS_OFFICIAL)
    c = console("calendar-supervisor").login_as("supervisor").go("admin/calendar")
    c.page.locator('tr[data-year="2027"]').wait_for()
    assert c.page.locator("form.calendar-entry").count() == 0
    assert c.page.locator("#banner").is_hidden()
