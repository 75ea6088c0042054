"""The supervisor's charts and the licence register in the console, in headless Chromium: bars drawn
to scale on their axis (a department rated 2.5 on average gets half the bar of one rated 5), the
trend's bars match the API's figures, every chart has a Chinese summary and a data table, axe finds
nothing serious; the register filters, finds and opens cases, and an approver revokes from it."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, AppServer, staff_login
from tests.support_cases import eventually, inbox, rated_refusal
from tests.support_console import require_endpoints
from tests.test_console_a11y import axe_problems
from tests.test_licences import issued_licence

pytestmark = pytest.mark.browser

PLOT_W, PLOT_H = 360, 180  # the plot's length in views/supervision/charts.js (horizontal, vertical)


@pytest.fixture(scope="module")
def data(server: AppServer) -> dict[str, Any]:
    """One department rated 2 and 3 (2.5 on average), another rated 5 on a case that issued a licence."""
    api = Api(server.base)
    rated_refusal(api, score=2)
    rated_refusal(api, score=3)
    staff = {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver")}
    holder, lic = issued_licence(api, staff)
    rated = api.post(f"/api/v1/applications/{lic['application_id']}/rating", {"score": 5}, token=holder.access_token)
    assert rated.status_code == 201, rated.text
    return {"holder": holder, "licence": lic}


def _bars(page: Any, chart: str, series: str | None = None) -> list[Any]:
    sel = f'figure[data-chart="{chart}"] rect.bar' + (f'[data-series="{series}"]' if series else "")
    return page.locator(sel).all()


def test_department_charts_are_drawn_to_scale(console, api: Api, server: AppServer, data: dict[str, Any]) -> None:
    require_endpoints(server, "/staff/supervision/summary", "/staff/supervision/trend")
    c = console("charts-departments").login_as("supervisor").go("supervisor/stats")
    p = c.page
    p.locator('figure[data-chart="satisfaction"] rect.bar').first.wait_for()
    depts = api.get("/api/v1/staff/supervision/summary", token=c.token()).json()["departments"]
    by_name = {d["department_name"]: d for d in depts}
    stars = p.locator('figure[data-chart="satisfaction"] svg')
    assert stars.get_attribute("data-top") == "5" and stars.get_attribute("role") == "img"
    assert "各部门满意度" in stars.get_attribute("aria-label")
    assert p.locator('figure[data-chart="satisfaction"] text.tick').all_text_contents() == [f"{n} 分" for n in range(6)]
    widths = {}
    for bar in _bars(p, "satisfaction"):
        value = bar.get_attribute("data-value")
        if value:
            widths[float(value)] = float(bar.get_attribute("width"))
            assert abs(widths[float(value)] - float(value) / 5 * PLOT_W) < 0.5
    assert 2.5 in widths and 5.0 in widths and abs(widths[2.5] * 2 - widths[5.0]) < 0.5
    # the lights: one bar per department and light, each to scale on the same axis
    top = float(p.locator('figure[data-chart="lights"] svg').get_attribute("data-top"))
    bars = _bars(p, "lights")
    assert len(bars) == 3 * len(depts)
    assert all(abs(float(b.get_attribute("width")) - float(b.get_attribute("data-value")) / top * PLOT_W) < 0.5
               for b in bars)
    # the data table says the same as the API
    table = p.locator('figure[data-chart="satisfaction"] table')
    for row in table.locator("tbody tr").all():
        name, shown = row.locator("td").all_text_contents()
        value = by_name[name]["satisfaction"]
        assert shown == ("无数据" if value is None else f"{value:.0f} 分" if value == int(value) else f"{value:.2f} 分")
    assert axe_problems(p) == []


def test_trend_charts_follow_the_api_and_the_chosen_period(console, api: Api, data: dict[str, Any]) -> None:
    c = console("charts-trend").login_as("supervisor").go("supervisor/stats")
    p = c.page
    p.locator('figure[data-chart="volume"] svg').wait_for()
    trend = api.get("/api/v1/staff/supervision/trend", token=c.token()).json()
    assert p.get_by_label("开始日期").input_value() == trend["from"]
    received = [float(b.get_attribute("data-value")) for b in _bars(p, "volume", "收件")]
    assert received == [i["received"] for i in trend["items"]] and received[-1] >= 3
    top = float(p.locator('figure[data-chart="volume"] svg').get_attribute("data-top"))
    for bar in _bars(p, "volume"):
        assert abs(float(bar.get_attribute("height")) - float(bar.get_attribute("data-value")) / top * PLOT_H) < 0.5
    labels = p.locator('figure[data-chart="volume"] svg > text:not(.tick):not(.value)').all_text_contents()
    assert labels == [i["label"] for i in trend["items"]]
    assert p.locator('figure[data-chart="volume"] text.value').all_text_contents()[-2:] == [
        str(trend["items"][-1]["received"]), str(trend["items"][-1]["completed"])]
    # by day, for the last three days
    days = api.get("/api/v1/staff/supervision/trend", params={"bucket": "day"}, token=c.token()).json()["items"][-3:]
    p.get_by_label("统计方式").select_option("day")
    p.get_by_label("开始日期").fill(days[0]["start"])
    p.get_by_label("结束日期").fill(days[-1]["start"])
    p.get_by_role("button", name="查看").click()
    p.locator(".trend-title").filter(has_text="按日统计").wait_for()
    assert len(_bars(p, "volume", "收件")) == 3
    assert p.locator('figure[data-chart="overdue"] svg').get_attribute("aria-label").startswith("逾期办件")
    stars = p.locator('figure[data-chart="trend_satisfaction"] svg')
    assert stars.get_attribute("data-top") == "5"
    # a period too long is refused in words, and the charts shown stay
    p.get_by_label("开始日期").fill("2020-01-01")
    p.get_by_role("button", name="查看").click()
    p.get_by_text("按日统计最长 62 天").first.wait_for()
    assert len(_bars(p, "volume", "收件")) == 3
    assert axe_problems(p) == []


def test_the_licence_register_filters_finds_and_revokes(console, api: Api, data: dict[str, Any]) -> None:
    lic, holder = data["licence"], data["holder"]
    c = console("licence-register").login_as("approver").go("licences")
    p = c.page
    row = p.locator(f'tr[data-number="{lic["number"]}"]')
    row.wait_for()
    assert lic["holder_masked"] in row.inner_text() and holder.name not in row.inner_text()
    assert "有效" in row.inner_text() and "营业执照（个体工商户）" in row.inner_text()
    serial = row.locator("a.serial").inner_text()
    assert axe_problems(p) == []
    # find by the case's serial
    p.get_by_label("证照编号或办件编号").fill(serial.lower())
    p.get_by_role("button", name="查找").click()
    p.locator("tbody tr").filter(has_text=lic["number"]).wait_for()
    assert p.locator("tbody tr").count() == 1
    # revoke from the list, with a reason the holder is told
    p.get_by_role("button", name=f"撤销证照 {lic['number']}").click()
    p.get_by_label("撤销理由").fill("经营者申请注销")
    p.get_by_role("button", name="撤销证照", exact=True).click()
    p.get_by_text(f"证照 {lic['number']} 已撤销").wait_for()
    p.locator(f'tr[data-number="{lic["number"]}"][data-status="revoked"]').wait_for()
    told = eventually(lambda: [m for m in inbox(api, holder) if m.get("kind") == "licence.revoked"])
    assert len(told) == 1 and "经营者申请注销" in told[0]["text"]
    # the status filter: not among the valid, among the revoked
    p.get_by_label("证照编号或办件编号").fill("")
    p.get_by_label("状态").select_option("valid")
    p.locator('tbody tr[data-status="valid"], tbody td.empty').first.wait_for()
    assert p.locator(f'tr[data-number="{lic["number"]}"]').count() == 0
    p.get_by_label("状态").select_option("revoked")
    p.locator(f'tr[data-number="{lic["number"]}"]').wait_for()
    # the case page opens from the list
    p.locator(f'tr[data-number="{lic["number"]}"] a.serial').click()
    p.locator("main h1").filter(has_text="办件").first.wait_for()
    assert lic["application_id"] in p.url


def test_who_sees_the_register(console) -> None:
    clerk = console("licence-register-clerk").login_as("clerk")
    assert "电子证照" in clerk.nav_items()
    clerk.go("licences")
    clerk.page.locator("tbody tr").first.wait_for()
    assert clerk.page.get_by_role("button", name="撤销").count() == 0  # approvers revoke
    finance = console("licence-register-finance").login_as("finance")
    assert "电子证照" not in finance.nav_items()
    assert finance.fetch("GET", "/api/v1/staff/licences")["status"] == 403
