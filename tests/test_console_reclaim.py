"""The clerk's 实名找回 page: the resident, having passed face verification on their own phone, shows
their ID card at the window; the clerk enters it and the identity moves to their account."""
from __future__ import annotations

import pytest

from tests.support import Api, bind_realname, make_id_number, new_resident

pytestmark = pytest.mark.browser


def test_a_clerk_reclaims_an_identity_at_the_window(console, api: Api) -> None:  # noqa: ANN001
    name, n = "郭华", make_id_number()
    attacker = new_resident(api, verified=True, name=name, id_number=n)
    person = new_resident(api)
    assert bind_realname(api, person, name, n).status_code == 409  # their face verification is kept

    c = console("reclaim").login_as("clerk").go("clerk/realname-reclaim")
    p = c.page
    p.get_by_label("姓名").fill(name)
    p.get_by_label("身份证号").fill(n)
    p.get_by_role("button", name="办理实名找回").click()
    p.get_by_role("button", name="确认").click()
    p.get_by_text("请先核验居民身份证原件与本人一致").first.wait_for()  # the card check is required
    assert api.get("/api/v1/me", token=attacker.access_token).status_code == 200

    p.get_by_label("已当面核验居民身份证原件", exact=False).check()
    p.get_by_role("button", name="办理实名找回").click()
    p.get_by_role("button", name="确认").click()
    p.get_by_text("已为居民").wait_for()
    c.shot("reclaimed")
    assert n not in p.locator("main").inner_text()
    assert api.get("/api/v1/me", token=person.access_token).json()["realname_verified"] is True
    assert api.get("/api/v1/me", token=attacker.access_token).status_code == 401
