"""Submissions made once: the same Idempotency-Key and body answers the first case or bundle (200),
another body under that key is 409; without a key the same content from the same resident within
the window answers the first; two identical requests at once make one; the window (窗口收件)
warns of an open case for the same person and service and goes ahead only when confirmed."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import pytest

from tests.conftest import test_config
from tests.support import Api, AppServer, assert_error, make_id_number, new_resident, staff_login
from tests.support_cases import service
from tests.support_payments import db_find


@pytest.fixture(scope="module")
def server(database, tmp_path_factory) -> Iterator[AppServer]:  # noqa: ANN001
    """The duplicate window at its default (the shared test configuration turns it off)."""
    srv = AppServer(test_config(database, tmp_path_factory.mktemp("data"),
                                cases={"duplicate_window_seconds": 300})).start()
    yield srv
    srv.stop()


def _body(svc: dict[str, Any], reason: str = "投靠配偶") -> dict[str, Any]:
    return {"service_id": svc["id"], "form": {"reason": reason},
            "materials": [m["key"] for m in svc["guide"]["materials"] if m["required"] and not m["tolerable"]]}


def _post(api: Api, token: str, body: dict[str, Any], key: str | None = None):  # noqa: ANN202
    return api.post("/api/v1/applications", body, token=token, headers={"Idempotency-Key": key} if key else None)


def test_the_same_key_and_body_answer_the_first_case(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    body, key = _body(service(api)), f"k-{uuid.uuid4().hex}"
    first = _post(api, r.access_token, body, key)
    assert first.status_code == 201, first.text
    again = _post(api, r.access_token, {**body, "form": dict(body["form"])}, key)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["serial"] == first.json()["serial"]
    err = assert_error(_post(api, r.access_token, _body(service(api), "投靠子女"), key), 409, "submission_key_reused")
    assert "请求号" in err["message"]
    assert len(db_find(server, "cases", {"applicant_id": r.id})) == 1
    # One submission, one message.
    assert len([m for m in db_find(server, "outbox", {"user_id": r.id}) if m["kind"] == "case.status_changed"]) == 1


def test_a_malformed_key_is_a_clear_400(api: Api) -> None:
    r = new_resident(api, verified=True)
    err = assert_error(_post(api, r.access_token, _body(service(api)), "short"), 400, "invalid_input")
    assert "Idempotency-Key" in err["details"]["fields"]


def test_the_same_content_without_a_key_answers_the_first_within_the_window(api: Api, server: AppServer,
                                                                            clock) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    body = _body(service(api))
    first = _post(api, r.access_token, body)
    assert first.status_code == 201
    # A new tap (a new key) with the same content a minute later is the same submission.
    clock.advance(seconds=60)
    again = _post(api, r.access_token, body, f"k-{uuid.uuid4().hex}")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = _post(api, r.access_token, _body(service(api), "投靠父母"))
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # Someone else with the same content is their own case.
    s = new_resident(api, verified=True)
    assert _post(api, s.access_token, body).status_code == 201
    clock.advance(seconds=301)
    r.access_token = api.post("/api/v1/auth/wechat-login", {"code": r.openid[2:]}).json()["access_token"]
    later = _post(api, r.access_token, body)
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert len(db_find(server, "cases", {"applicant_id": r.id})) == 3


def test_two_identical_submissions_at_once_make_one_case(api: Api, server: AppServer) -> None:
    for key in (None, f"k-{uuid.uuid4().hex}"):
        r = new_resident(api, verified=True)
        body = _body(service(api))
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _, t=r.access_token, b=body, k=key: _post(Api(server.base), t, b, k),
                                    range(4)))
        assert sorted(a.status_code for a in answers) == [200, 200, 200, 201], [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        assert len(db_find(server, "cases", {"applicant_id": r.id})) == 1


HOUSING = {"property_cert_no": "黑（2020）齐齐哈尔市不动产权第0012345号",
           "property_address": "龙沙区明月花园 5 号楼 2 单元 301 室",
           "floor_area": "89.36", "deal_price_yuan": 560000, "contract_no": "CLF2026112900123", "seller_name": "王芳",
           "buyer_name": "刘洋", "buyer_first_home": "是", "buyer_share": "单独所有", "water_account": "SW0012345",
           "contact_phone": "13900002222"}


def test_two_identical_bundles_at_once_make_one_bundle_and_its_cases_once(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    body = {"form": {**HOUSING, "seller_id_number": make_id_number(), "buyer_id_number": make_id_number()},
            "materials": ["ids", "cert", "contract"]}

    def apply(key: str) -> Any:
        return Api(server.base).post("/api/v1/life-events/housing/applications", body, token=r.access_token,
                                     headers={"Idempotency-Key": key})
    with ThreadPoolExecutor(3) as pool:  # a double tap: two keys; a retry: the same key again
        answers = list(pool.map(apply, ["tap-one-0001", "tap-two-0002", "tap-one-0001"]))
    assert sorted(a.status_code for a in answers) == [200, 200, 201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert all(len(a.json()["applications"]) == 3 for a in answers)
    assert len(db_find(server, "bundles", {"user_id": r.id})) == 1
    assert len(db_find(server, "cases", {"applicant_id": r.id})) == 3
    changed = {**body, "materials": ["ids", "cert", "contract", "marriage"]}
    assert_error(api.post("/api/v1/life-events/housing/applications", changed, token=r.access_token,
                          headers={"Idempotency-Key": "tap-one-0001"}), 409, "submission_key_reused")


def test_the_window_warns_of_an_open_case_and_goes_ahead_when_confirmed(api: Api, server: AppServer) -> None:
    clerk = staff_login(api, role="clerk")["access_token"]
    r = new_resident(api, verified=True)
    svc = service(api)

    def register(**extra: Any):  # noqa: ANN202
        code = api.get("/api/v1/me/identity-code", token=r.access_token).json()["code"]
        return api.post("/api/v1/staff/applications", {**_body(svc), "identity_code": code, **extra}, token=clerk)
    first = register()
    assert first.status_code == 201, first.text
    err = assert_error(register(), 409, "open_case_exists")
    assert err["details"]["serial"] == first.json()["serial"] and err["details"]["application_id"] == first.json()["id"]
    assert first.json()["serial"] in err["message"] and "已提交" in err["message"]
    assert len(db_find(server, "cases", {"applicant_id": r.id})) == 1
    second = register(confirm=True)
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]
