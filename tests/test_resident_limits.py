"""Per-resident limits: past the configured number of applications, bookings, payment starts,
complaints, uploads or 办事码 in its window, a resident gets 429 ``rate_limited`` with Retry-After; other
residents are not affected."""
from __future__ import annotations

import datetime as dt
import io

import pytest
import requests
from PIL import Image

from tests.support import Api, ResidentHandle, assert_error, new_resident
from tests.support_appointments import book, make_bookable, open_day, slots
from tests.support_cases import service

LIMITS = {"applications_per_resident_per_hour": 3, "bookings_per_resident_per_hour": 2,
          "pay_starts_per_resident_per_hour": 2, "complaints_per_resident_per_day": 2,
          "uploads_per_resident_per_hour": 2, "identity_codes_per_resident_per_10_minutes": 3}


@pytest.fixture(scope="module")
def limited(database, tmp_path_factory) -> Api:  # noqa: ANN001
    from tests.conftest import test_config
    from tests.support import AppServer
    srv = AppServer(test_config(database, tmp_path_factory.mktemp("limits"), ratelimit=LIMITS)).start()
    yield Api(srv.base)
    srv.stop()


def _limited(resp: requests.Response, window: int) -> None:
    err = assert_error(resp, 429, "rate_limited")
    assert 0 < int(resp.headers["Retry-After"]) <= window
    assert err["details"]["retry_after_seconds"] == int(resp.headers["Retry-After"])


def _apply(api: Api, r: ResidentHandle) -> requests.Response:
    svc = service(api, "HJ-QIANRU")
    mats = [m["key"] for m in svc["guide"]["materials"] if m["required"] and not m["tolerable"]]
    return api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"reason": "投靠配偶"},
                                             "materials": mats}, token=r.access_token)


def test_applications_are_limited_per_resident(limited: Api) -> None:
    r, other = new_resident(limited, verified=True), new_resident(limited, verified=True)
    assert [_apply(limited, r).status_code for _ in range(3)] == [201, 201, 201]
    _limited(_apply(limited, r), 3600)
    assert _apply(limited, other).status_code == 201


def test_bookings_are_limited_per_resident(limited: Api) -> None:
    b = make_bookable(limited, capacity=5, services=1)
    day = dt.date.today() + dt.timedelta(days=2)
    open_day(limited, b, day)
    slot = slots(limited, b, day)[0]["id"]
    r = new_resident(limited, verified=True)
    first = book(limited, r.access_token, slot)
    assert first.status_code == 201, first.text
    assert limited.post(f"/api/v1/appointments/{first.json()['id']}/cancel", {},
                        token=r.access_token).status_code == 200
    assert book(limited, r.access_token, slot).status_code == 201
    other_slot = slots(limited, b, day)[1]
    _limited(book(limited, r.access_token, other_slot["id"]), 3600)
    # Refused by the limit before anything else: no place taken, and told so even for a slot
    # that does not exist.
    assert next(s for s in slots(limited, b, day) if s["id"] == other_slot["id"])["remaining"] == \
        other_slot["remaining"]
    _limited(book(limited, r.access_token, "0" * 24), 3600)
    assert book(limited, new_resident(limited, verified=True).access_token, slot).status_code == 201


def test_payment_starts_are_limited_per_resident(limited: Api) -> None:
    from tests.support import staff_login
    from tests.support_cases import move
    r = new_resident(limited, verified=True)
    case = _apply(limited, r).json()
    assert move(limited, staff_login(limited, role="clerk")["access_token"], case["id"], "accepted").status_code == 200
    order = limited.post("/api/v1/staff/payments", {"application_id": case["id"],
                                                    "items": [{"name": "工本费", "amount_fen": 1000}]},
                         token=staff_login(limited, role="finance")["access_token"])
    assert order.status_code == 201, order.text
    pay = f"/api/v1/payments/{order.json()['id']}/pay"
    assert [limited.post(pay, {"channel": "wechat"}, token=r.access_token).status_code for _ in range(2)] == [200, 200]
    _limited(limited.post(pay, {"channel": "wechat"}, token=r.access_token), 3600)


def test_complaints_are_limited_per_resident(limited: Api) -> None:
    r = new_resident(limited, verified=True)
    body = {"category": "complaint", "content": "大厅空调不制冷，等候区很热。"}
    assert [limited.post("/api/v1/complaints", body, token=r.access_token).status_code for _ in range(2)] == [201, 201]
    _limited(limited.post("/api/v1/complaints", body, token=r.access_token), 86400)


def test_uploads_are_limited_per_resident(limited: Api) -> None:
    r = new_resident(limited, verified=True)
    shades = iter(range(10, 250, 10))

    def upload() -> requests.Response:  # a different picture each time (the same bytes are stored once)
        buf = io.BytesIO()
        Image.new("RGB", (8, 8), (next(shades), 30, 30)).save(buf, format="PNG")
        return requests.post(limited.base + "/api/v1/files", files={"file": ("a.png", buf.getvalue(), "image/png")},
                             headers={"Authorization": f"Bearer {r.access_token}"}, timeout=30)
    assert [upload().status_code for _ in range(2)] == [201, 201]
    _limited(upload(), 3600)


def test_identity_codes_are_limited_per_resident(limited: Api) -> None:
    r, other = new_resident(limited, verified=True), new_resident(limited, verified=True)
    codes = [limited.get("/api/v1/me/identity-code", token=r.access_token) for _ in range(3)]
    assert [c.status_code for c in codes] == [200, 200, 200]
    refused = limited.get("/api/v1/me/identity-code", token=r.access_token)
    _limited(refused, 600)
    assert "办事码" in refused.json()["error"]["message"] and "code" not in refused.json()["error"]["details"]
    assert limited.get("/api/v1/me/identity-code", token=other.access_token).status_code == 200
