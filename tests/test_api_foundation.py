"""The API foundation: error shape, validation at the edge, request ids, OpenAPI coverage."""
from __future__ import annotations

import json
import time

import pytest
from jsonschema import Draft202012Validator

from backend.core.openapi import undocumented
from tests.support import Api, assert_error, new_resident


def test_health_and_readiness(api: Api) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    r = api.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["database"] == "up"


def test_every_answer_has_a_request_id_and_an_incoming_one_is_kept(api: Api) -> None:
    r = api.get("/healthz")
    assert len(r.headers["X-Request-Id"]) >= 8
    r = api.get("/healthz", headers={"X-Request-Id": "trace-12345678"})
    assert r.headers["X-Request-Id"] == "trace-12345678"
    # A malformed incoming id is replaced, not echoed.
    r = api.get("/healthz", headers={"X-Request-Id": "<script>"})
    assert r.headers["X-Request-Id"] != "<script>"


def test_request_id_is_on_every_log_line_of_a_request(api: Api, log_capture) -> None:
    rid = "req-" + "a1b2c3d4e5"
    api.post("/api/v1/auth/wechat-login", {"code": "test-logline"}, headers={"X-Request-Id": rid})
    wanted = {"zjb.access", "zjb.provider", "zjb.identity"}
    deadline = time.monotonic() + 5  # the access line is written just after the answer is sent
    while True:
        lines = [json.loads(line) for line in log_capture.lines if rid in line]
        if {line["logger"] for line in lines} >= wanted or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert {line["logger"] for line in lines} >= wanted
    assert all(line["request_id"] == rid for line in lines)


def test_unknown_path_is_404_in_contract_shape(api: Api) -> None:
    assert_error(api.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(api.post("/nothing/here", {}), 404, "not_found")


def test_wrong_method_is_405_in_contract_shape(api: Api) -> None:
    assert_error(api.request("DELETE", "/api/v1/me"), 405, "method_not_allowed")
    assert_error(api.get("/api/v1/auth/wechat-login"), 405, "method_not_allowed")


def test_bad_json_is_400(api: Api) -> None:
    r = api.request("POST", "/api/v1/auth/wechat-login", data=b"{not json",
                    headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_input")
    r = api.request("POST", "/api/v1/auth/wechat-login", data=b"\xff\xfe", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_input")


def test_body_must_be_json(api: Api) -> None:
    r = api.request("POST", "/api/v1/auth/wechat-login", data="code=test-x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 415, "unsupported_media_type")


def test_missing_wrong_typed_and_unknown_fields_are_named(api: Api) -> None:
    err = assert_error(api.post("/api/v1/auth/wechat-login", {}), 400, "invalid_input")
    assert err["details"]["fields"] == {"code": "必填"}
    err = assert_error(api.post("/api/v1/auth/wechat-login", {"code": 123}), 400, "invalid_input")
    assert err["details"]["fields"] == {"code": "应为字符串"}
    err = assert_error(api.post("/api/v1/auth/wechat-login", {"code": "test-a", "admin": True}), 400, "invalid_input")
    assert err["details"]["fields"] == {"admin": "不支持该字段"}
    err = assert_error(api.post("/api/v1/auth/wechat-login", ["code"]), 400, "invalid_input")
    assert "body" in err["details"]["fields"]


def test_operator_objects_never_reach_a_query(api: Api) -> None:
    err = assert_error(api.post("/api/v1/auth/wechat-login", {"code": {"$gt": ""}}), 400, "invalid_input")
    assert err["details"]["fields"] == {"code": "应为字符串"}
    staff = api.post("/api/v1/staff/login", {"username": {"$ne": None}, "password": {"$ne": None}})
    assert_error(staff, 400, "invalid_input")


def test_oversized_and_deeply_nested_bodies_are_refused(api: Api) -> None:
    big = json.dumps({"code": "x" * 1_100_000}).encode()
    r = api.request("POST", "/api/v1/auth/wechat-login", data=big, headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")
    deep: object = "x"
    for _ in range(40):
        deep = [deep]
    r = api.request("POST", "/api/v1/auth/wechat-login", data=json.dumps({"code": deep}).encode(),
                    headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_input")


def test_security_headers(api: Api) -> None:
    r = api.get("/healthz")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "Server" not in r.headers
    # Errors carry them too.
    assert api.get("/api/v1/nope").headers["X-Content-Type-Options"] == "nosniff"


def test_cors_is_closed_by_default(api: Api) -> None:
    r = api.request("OPTIONS", "/api/v1/me", headers={"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_cors_answers_only_configured_origins(make_server) -> None:
    srv = make_server(server={"cors_origins": ["https://console.example.gov.cn"], "trusted_proxies": []})
    api = Api(srv.base)
    r = api.request("OPTIONS", "/api/v1/me", headers={"Origin": "https://console.example.gov.cn"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://console.example.gov.cn"
    r = api.request("OPTIONS", "/api/v1/me", headers={"Origin": "https://other.example"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_openapi_documents_every_route(api: Api, server) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert undocumented(server.ctx.routes) == []
    templates = {r[3] for r in server.ctx.routes}
    assert templates == set(doc["paths"])
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["summary"] and op["responses"], (method, path)
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                Draft202012Validator.check_schema(body)
            if op.get("security"):
                assert "401" in op["responses"], (method, path)
    assert doc["paths"]["/api/v1/me/realname"]["post"]["security"] == [{"resident": []}]
    assert doc["paths"]["/api/v1/staff/accounts"]["get"]["security"] == [{"staff": []}]


def test_database_down_is_503_in_contract_shape(make_server, log_capture) -> None:  # noqa: ANN001
    srv = make_server(wait_started=False,
                      database={"uri": "mongodb://127.0.0.1:9/?retryWrites=false&directConnection=true",
                                "server_selection_timeout_ms": 300})
    api = Api(srv.base)
    r = api.post("/api/v1/auth/wechat-login", {"code": "test-dbdown"}, headers={"X-Request-Id": "req-dbdown0001"})
    err = assert_error(r, 503, "service_unavailable")
    assert "Traceback" not in r.text and "pymongo" not in r.text.lower() and "127.0.0.1:9" not in r.text
    assert err["details"] == {"reason": "database_unavailable"}
    assert api.get("/readyz", headers={"X-Request-Id": "req-notready01"}).status_code == 503
    assert api.get("/healthz").status_code == 200
    assert "\nzjb_database_up 0.0\n" in api.get("/metrics").text
    # a failed request is an error in the log; "not ready" while starting is not
    assert _access_line(log_capture, "req-dbdown0001")["level"] == "error"
    assert _access_line(log_capture, "req-notready01")["level"] == "info"


def _access_line(log_capture, request_id: str) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + 5  # the access line is written just after the answer is sent
    while True:
        lines = [json.loads(line) for line in log_capture.lines if request_id in line]
        access = [line for line in lines if line["logger"] == "zjb.access"]
        if access:
            return access[0]
        assert time.monotonic() < deadline, lines
        time.sleep(0.02)


class _Exploding:
    async def by_id(self, user_id: str) -> None:
        raise RuntimeError("internal detail: secret-table-name")


def test_unexpected_errors_are_500_without_internals(make_server) -> None:
    srv = make_server()
    api = Api(srv.base)
    resident = new_resident(api)
    srv.ctx.service("identity").users = _Exploding()  # an injected store that fails unexpectedly
    r = api.get("/api/v1/me", token=resident.access_token)
    assert_error(r, 500, "internal_error")
    assert "secret-table-name" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/staff/me"])
def test_no_token_is_401(api: Api, path: str) -> None:
    assert_error(api.get(path), 401, "unauthenticated")
    assert_error(api.get(path, headers={"Authorization": "Basic abc"}), 401, "unauthenticated")
