"""Malformed input at every published operation never reaches a 5xx.

Hypothesis throws at each operation of ``/openapi.json`` (the stand-ins' ``/sandbox/`` protocols
left out): path segments of arbitrary bytes (NUL, invalid UTF-8, upper-case ids, ``..``), query
strings with impossible dates and numbers, and bodies that are deeply nested, not UTF-8, carry
lone surrogates, NaN, infinities or integers no database can store, or are shaped like the
operation's own body with hostile values. Requests carry a valid token for the operation's
audience so they get past authentication. Every answer must be below 500.
"""
from __future__ import annotations

import http.client
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from backend.core.access import STAFF_ROLES
from backend.db.embedded import EmbeddedDatabase
from tests.conftest import test_config
from tests.support import Api, AppServer, new_resident

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("ZJB_FUZZ_EXAMPLES", "30"))
METHODS = ("get", "post", "put", "patch", "delete")


def _document() -> dict:
    from backend.app import make_app
    from backend.config import load_config
    config = load_config(None, env={}, overrides={"database": {"uri": "mongodb://127.0.0.1:1/?directConnection=true"},
                                                  "sandbox": {"standins_mode": "inline"}})
    return make_app(config).settings["runtime"].openapi()


DOCUMENT = _document()
OPERATIONS = sorted((path, method) for path, item in DOCUMENT["paths"].items() if not path.startswith("/sandbox/")
                    for method in item if method in METHODS)


@pytest.fixture(scope="module")
def target(database: EmbeddedDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    unlimited = {k: 1_000_000 for k in ("login_per_ip_per_minute", "login_per_openid_per_minute",
                                        "realname_per_ip_per_minute", "realname_per_user_per_hour",
                                        "realname_per_id_number_per_hour", "staff_login_per_ip_per_minute",
                                        "applications_per_resident_per_hour", "bookings_per_resident_per_hour",
                                        "pay_starts_per_resident_per_hour", "complaints_per_resident_per_day",
                                        "uploads_per_resident_per_hour",
                                        "identity_codes_per_resident_per_10_minutes")}
    srv = AppServer(test_config(database, tmp_path_factory.mktemp("hfuzz"), ratelimit=unlimited,
                                staff={"login_free_failures": 1_000_000, "address_free_failures": 1_000_000,
                                           "exclusive_roles": []})).start()
    api = Api(srv.base)
    resident = new_resident(api, verified=True)

    async def staff() -> None:
        await srv.ctx.service("staff").create(username="hfuzzer", password="hfuzz-password-2026",
                                              roles=sorted(STAFF_ROLES), display_name="模糊测试")
    srv.run(staff())
    login = api.post("/api/v1/staff/login", {"username": "hfuzzer", "password": "hfuzz-password-2026"}).json()
    conn = http.client.HTTPConnection("127.0.0.1", int(srv.base.rsplit(":", 1)[1]), timeout=30)
    yield {"server": srv, "conn": conn, "tokens": {"resident": resident.access_token, "staff": login["access_token"]}}
    conn.close()
    srv.stop()


# -- what is thrown ---------------------------------------------------------------------------------

NASTY_TEXT = st.sampled_from([
    "", "0", "-1", "9" * 40, "1e999", "NaN", "null", "true", "[]", "{}", "0" * 24, "A" * 24, "ABCDEF0123456789ABCDEF01",
    "2026-02-30", "2026-13-01", "2026-00-00", "0000-01-01", "9999-12-31", "2026-2-3", "2026-02-28T25:61:00+08:00",
    "../../etc/passwd", "..", ".", "%00", "%2F", "a/b", "\x00", "a\x00b", "\u202e", "𠮷", "😀", "\ufffd",
    "<script>", "'\"", "$where", "$gt", "{\"$ne\": null}", " ", "\t\n", "x" * 5000,
])
TEXT = st.one_of(NASTY_TEXT, st.text(max_size=30))
RAW_BYTES = st.one_of(TEXT.map(lambda s: s.encode()), st.binary(max_size=30),
                      st.sampled_from([b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\x80", b"\x00"]))

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63 - 2, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=-(2**63) + 2), st.floats(allow_nan=True, allow_infinity=True), TEXT,
)
JSON_VALUES = st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                           st.dictionaries(TEXT, kids, max_size=4)), max_leaves=12)

HOSTILE_BODIES = [
    b"", b"[" * 100_000, b"{\"a\":" * 5_000 + b"1" + b"}" * 5_000, b"\xff\xfe\x00", b"{\"a\": \"\\ud800\"}",
    b"{\"\\udc00\": 1}", b"NaN", b"{\"x\": NaN}", b"{\"x\": Infinity}", b"{\"x\": 1e999}", b"{\"x\": -1e999}",
    b"{\"x\": 123456789012345678901234567890}", b"{\"a\": 1, \"a\": 2}", b"{\"a\": ", b"\"just a string\"",
    b"[1, 2, 3]", b"null", b"{\"x\": \"\\u0000\"}",
]
RAW_BODIES = st.sampled_from(HOSTILE_BODIES)
HOSTILE_SEGMENTS = [b"\x00", b"a\x00.js", b"\xff\xfe", b"\xed\xa0\x80", b"..", b"ABCDEF0123456789ABCDEF01", b"9" * 300]
HOSTILE_VALUES = ["\ud800", "a\udfffb", 2**64, -(2**63) - 1, float("nan"), float("inf"), "2026-02-30", "\x00",
                  "x" * 5000, {"$gt": ""}, [[[[[[]]]]]]]
HOSTILE_QUERY = [b"2026-02-30", b"\x00", b"\xed\xa0\x80", b"-99999999999999999999", b"1e999"]


def _segment(raw: bytes) -> str:
    return quote_from_bytes(raw, safe="") or "x"


def _surrogate_escapes(text: str) -> str:
    """Some strings get a lone surrogate, written as JSON writes it (an escape)."""
    return text.replace("😀", "\\ud83d")


@st.composite
def _body(draw: st.DrawFn, schema: dict | None) -> bytes:
    choice = draw(st.integers(min_value=0, max_value=3))
    if choice == 0:
        return draw(RAW_BODIES)
    if choice == 1 or not schema or not schema.get("properties"):
        value = draw(JSON_VALUES)
    else:
        names = sorted(schema["properties"])
        value = draw(st.fixed_dictionaries({}, optional={n: JSON_VALUES for n in names}))
        if draw(st.booleans()):
            value.update(draw(st.dictionaries(TEXT, JSON_VALUES, max_size=2)))
    text = json.dumps(value, allow_nan=True)
    return _surrogate_escapes(text).encode()


def _request(target: dict[str, Any], method: str, url: str, body: bytes | None, headers: dict[str, str]) -> int:
    conn: http.client.HTTPConnection = target["conn"]
    try:
        conn.request(method.upper(), url, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (http.client.HTTPException, ConnectionError):
        conn.close()  # the server closed the connection (e.g. it refused the request line): reconnect
        conn.request(method.upper(), url, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status


@pytest.mark.parametrize("path,method", OPERATIONS)
def test_no_malformed_input_reaches_a_500(target: dict[str, Any], path: str, method: str) -> None:
    op = DOCUMENT["paths"][path][method]
    security = op.get("security") or []
    audience = next(iter(security[0]), None) if security else None
    params = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
    body_schema = ((op.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema")
    if body_schema and "$ref" in body_schema:
        body_schema = DOCUMENT["components"]["schemas"][body_schema["$ref"].rsplit("/", 1)[1]]
    names = re.findall(r"\{(\w+)\}", path)
    # Logging out would end the fuzzer's own session: those calls go without a token.
    token = None if path.endswith("/logout") else target["tokens"].get(audience or "")

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(segments=st.fixed_dictionaries({n: RAW_BYTES for n in names}),
           query=st.dictionaries(st.one_of(st.sampled_from(params) if params else TEXT, TEXT), RAW_BYTES, max_size=4),
           body=_body(body_schema), content_type=st.sampled_from(["application/json"] * 4 + ["text/plain", ""]))
    def throw(segments: dict[str, bytes], query: dict[str, bytes], body: bytes, content_type: str) -> None:
        url = path
        for name, raw in segments.items():
            url = url.replace("{" + name + "}", _segment(raw))
        if query:
            url += "?" + "&".join(f"{_segment(k.encode('utf-8', 'surrogatepass'))}={_segment(v)}"
                                  for k, v in query.items())
        headers = {"Content-Type": content_type} if content_type else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        sent = body if method in ("post", "put", "patch") else None
        status = _request(target, method, url, sent, headers)
        assert status < 500, (method.upper(), url, sent[:300] if sent else None, status)

    # Every hostile body, path segment and query value once, then what hypothesis makes up.
    plain = {n: b"0123456789abcdef01234567" for n in names}
    for raw in HOSTILE_BODIES:
        throw.hypothesis.inner_test(segments=plain, query={}, body=raw, content_type="application/json")
    props = sorted((body_schema or {}).get("properties") or {})
    for value in HOSTILE_VALUES if props else []:  # the operation's own fields, all hostile
        raw = json.dumps({n: value for n in props}, allow_nan=True).encode()
        throw.hypothesis.inner_test(segments=plain, query={}, body=raw, content_type="application/json")
    for raw in HOSTILE_SEGMENTS:
        throw.hypothesis.inner_test(segments={n: raw for n in names}, query={}, body=b"{}",
                                    content_type="application/json")
    for raw in HOSTILE_QUERY:
        throw.hypothesis.inner_test(segments=plain, query={p: raw for p in params} or {"x": raw}, body=b"{}",
                                    content_type="application/json")
    throw()
