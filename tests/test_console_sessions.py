"""The console ends a staff session cleanly and says why: after 30 minutes without use, at the end of
the session's lifetime, and when the server has ended it (logged out elsewhere, password changed)."""
from __future__ import annotations

import datetime as dt

import pytest
import requests

from tests.support import Api, staff_login

pytestmark = pytest.mark.browser


@pytest.fixture
def fake_clock(console, request: pytest.FixtureRequest):  # noqa: ANN001, ANN201
    """A tab whose timers and Date the test moves. The browser's clock belongs to its (shared)
    context, so it is set back to the real time afterwards for the tests that follow."""
    def open_tab(name: str, role: str = "clerk"):  # noqa: ANN202
        c = console(name)
        c.page.clock.install()
        request.addfinalizer(lambda: c.page.context.clock.set_system_time(dt.datetime.now(dt.UTC)))
        return c.login_as(role)
    return open_tab


def test_thirty_idle_minutes_log_out_with_a_message(fake_clock) -> None:  # noqa: ANN001
    c = fake_clock("idle")
    token = c.token()
    c.page.clock.fast_forward("29:00")
    c.page.mouse.click(5, 5)  # in use: the 30 minutes start again
    c.page.clock.fast_forward("29:00")
    assert c.page.locator("#nav a").first.is_visible()
    c.page.clock.fast_forward("02:00")
    c.page.get_by_text("30 分钟未操作，已自动退出登录，请重新登录。").wait_for()
    c.page.get_by_label("用户名").wait_for()
    assert c.page.evaluate("() => sessionStorage.getItem('zjb.console.session')") is None
    c.shot("idle-logout")
    # Logged out on the server as well: the token is refused at once.
    r = requests.get(c.base + "/api/v1/staff/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 401 and r.json()["error"]["details"]["ended_because"] == "logout"


def test_the_end_of_the_session_lifetime_logs_out_with_a_message(fake_clock) -> None:  # noqa: ANN001
    c = fake_clock("lifetime")
    for _ in range(12 * 4):  # twelve hours, in use every quarter of an hour
        c.page.clock.fast_forward("15:00")
        c.page.mouse.click(5, 5)
        if c.page.get_by_label("用户名").is_visible():
            break
    c.page.get_by_text("本次登录已到期，请重新登录。").wait_for()
    c.shot("lifetime-logout")


def test_a_session_ended_on_the_server_shows_why(console, api: Api) -> None:  # noqa: ANN001
    c = console("ended").login_as("finance")
    me = staff_login(api, username="finance1")
    # The same person logs out everywhere from another desk.
    assert api.post("/api/v1/staff/logout", {"everywhere": True}, token=me["access_token"]).status_code == 200
    c.go("finance/receipts")
    c.page.evaluate("h => { location.hash = h }", "#/finance/payments")  # this page asks the API
    c.page.get_by_text("您已在所有设备上退出登录，请重新登录").wait_for()
    c.page.get_by_label("用户名").wait_for()
    # Going elsewhere (a bookmark, the back button) keeps the reason on the login form.
    c.page.evaluate("""h => new Promise((done) => {
        addEventListener('hashchange', () => setTimeout(done), { once: true });
        location.hash = h;
    })""", "#/finance/receipts")
    c.page.get_by_label("用户名").wait_for()
    assert c.page.get_by_text("您已在所有设备上退出登录，请重新登录").is_visible()
