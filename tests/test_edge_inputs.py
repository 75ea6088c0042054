"""Malformed input at the request edge is a 400, never a 500 with a traceback."""
from __future__ import annotations

import requests

from tests.support import Api, assert_error, staff_login


def _raw_post(api: Api, path: str, body: bytes, token: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(api.base + path, data=body, headers=headers, timeout=30)


def test_deep_json_is_refused_before_it_is_parsed(api: Api, log_capture) -> None:
    for body in (b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"[" * 33 + b"]" * 33):
        err = assert_error(_raw_post(api, "/api/v1/auth/wechat-login", body), 400, "invalid_input")
        assert err["message"] == "请求内容嵌套过深"
    # Brackets inside strings are text, not nesting.
    r = _raw_post(api, "/api/v1/auth/wechat-login", b'{"code": "' + b"[" * 100 + b'"}')
    assert r.status_code != 500 and "RecursionError" not in log_capture.text()


def test_lone_surrogates_are_refused(api: Api) -> None:
    err = assert_error(_raw_post(api, "/api/v1/auth/wechat-login", b'{"code": "test-\\ud800"}'), 400, "invalid_input")
    assert err["message"] == "请求内容含有无效的字符"
    assert_error(_raw_post(api, "/api/v1/auth/wechat-login", b'{"\\udfff": 1, "code": "x"}'), 400, "invalid_input")
    # A pair of escapes is one character, and fine.
    assert _raw_post(api, "/api/v1/auth/wechat-login", b'{"code": "test-\\ud83d\\ude00"}').status_code == 200


def test_impossible_dates_are_refused_in_bodies_and_queries(api: Api) -> None:
    hall = staff_login(api, role="hall_manager")["access_token"]
    halls = api.get("/api/v1/halls").json()["items"]
    err = assert_error(api.patch(f"/api/v1/staff/halls/{halls[0]['id']}", {"closed_dates": ["2026-02-30"]},
                                 token=hall), 400, "invalid_input")
    assert err["details"]["fields"] == {"closed_dates.0": "不是有效的日期（YYYY-MM-DD）"}
    service = api.get("/api/v1/services").json()["items"][0]
    err = assert_error(api.get(f"/api/v1/services/{service['id']}/slots?date=2026-02-30"), 400, "invalid_input")
    assert err["details"]["fields"] == {"date": "不是有效的日期（YYYY-MM-DD）"}


def test_nul_in_a_path_is_refused(api: Api) -> None:
    assert requests.get(api.base + "/console/index.html%00.js", timeout=10).status_code == 400
    assert_error(requests.get(api.base + "/api/v1/services/abc%00def", timeout=10), 400, "invalid_input")
    assert_error(requests.get(api.base + "/api/v1/nowhere%00", timeout=10), 400, "invalid_input")


def test_numbers_no_database_can_store_are_refused(api: Api) -> None:
    for body in (b'{"code": NaN}', b'{"code": Infinity}', b'{"code": 1e999}', b'{"code": 9223372036854775808}'):
        err = assert_error(_raw_post(api, "/api/v1/auth/wechat-login", body), 400, "invalid_input")
        assert err["message"] == "请求内容含有超出范围的数值", body
