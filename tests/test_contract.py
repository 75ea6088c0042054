"""Where the clients meet the server, checked generically so the checks keep holding as endpoints
and message kinds are added:

- ``/openapi.json`` is a valid OpenAPI 3.1 document (openapi-spec-validator) with unique operationIds;
- every push opens a page the mini-program has (``app.json``): each message kind rendered with its
  sample payload, and the configured default page;
- the mini-program's jest fixtures (``miniprogram/test/fixtures.js``) are answers the API can give:
  each validates against the response schema of the endpoint it stands for;
- every API path the console (``console/js``) and the mini-program (``services``, ``pages``, ``utils``)
  call exists in ``/openapi.json``, with the method it is called with where the code says it.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from backend.core.openapi import operation_id
from backend.core.schema import FORMATS
from tests.support import Api, miniprogram_pages
from tests.test_notify_messages import AT, KINDS, SAMPLES, render

ROOT = Path(__file__).resolve().parent.parent
MINIPROGRAM = ROOT / "miniprogram"
CONSOLE = ROOT / "console"
API_PREFIX = "/api/v1"


@pytest.fixture(scope="module")
def doc(server) -> dict[str, Any]:
    r = Api(server.base).get("/openapi.json")
    assert r.status_code == 200, r.text
    return r.json()


# -- one valid API document ---------------------------------------------------------------------

def test_the_api_document_is_valid_openapi(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # the validator for the document's version; raises on any error (duplicate operationIds too)


def test_operation_ids_are_unique_and_derived_from_the_route(doc: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["operationId"] == operation_id(method, path)
            assert op["operationId"] not in seen, (op["operationId"], seen.get(op["operationId"]), path)
            seen[op["operationId"]] = f"{method} {path}"
    # The two refresh endpoints that once shared a handler's class name, each named for its route.
    assert doc["paths"]["/api/v1/auth/refresh"]["post"]["operationId"] == "post_auth_refresh"
    assert doc["paths"]["/api/v1/me/licences/refresh"]["post"]["operationId"] == "post_me_licences_refresh"
    assert doc["paths"]["/api/v1/appointments/{id}/cancel"]["post"]["operationId"] == "post_appointments_by_id_cancel"


# -- every push opens a page that exists ----------------------------------------------------------

def _page_of(link: str) -> str:
    """``pages/booking/detail/index?id=…`` → ``pages/booking/detail/index``."""
    return link.split("?", 1)[0].lstrip("/")


def test_every_push_opens_a_page_of_the_mini_program(server) -> None:
    pages = miniprogram_pages()
    default = server.ctx.config.notify.page
    assert _page_of(default) in pages, f"the configured push page {default} is not in app.json"
    assert not default.startswith("/"), "a subscribe message's page has no leading slash"
    assert set(SAMPLES) == set(KINDS)  # every kind has a sample (tests/test_notify_messages.py keeps it so)
    for kind in sorted(KINDS):
        words = render(kind, SAMPLES[kind], AT)
        page = words.page or default
        assert _page_of(page) in pages, f"{kind} opens {page}, which is not a page in app.json"
        assert not page.startswith("/"), (kind, page)


# -- matching a client's path to the document -------------------------------------------------------

def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/")]


def _is_param(seg: str) -> bool:
    return "${" in seg or (seg.startswith("{") and seg.endswith("}"))


def _template_for(doc: dict[str, Any], path: str) -> str | None:
    """The document's path template a client path stands for: a client's ``${…}`` segment is a
    template's ``{param}``; a literal segment matches the same literal or a ``{param}`` (fixture ids).
    A fixed path wins over a template that also matches it (``/receipts/verify``, ``/receipts/{id}``)."""
    full = path if path.startswith("/sandbox/") else API_PREFIX + path
    mine = _segments(full)
    best: tuple[int, str] | None = None
    for template in doc["paths"]:
        theirs = _segments(template)
        if len(theirs) != len(mine):
            continue
        ok = all((_is_param(t) and (_is_param(m) or m)) if _is_param(t) else (m == t)
                 for m, t in zip(mine, theirs, strict=True))
        if ok:
            params = sum(_is_param(t) for t in theirs)
            if best is None or params < best[0]:
                best = (params, template)
    return best[1] if best else None


# -- the mini-program's fixtures are answers the API can give ---------------------------------------

def _fixture_answers() -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to read miniprogram/test/fixtures.js (make test installs it for jest)")
    out = subprocess.run([node, "scripts/export-fixtures.js"], cwd=MINIPROGRAM, capture_output=True, text=True,
                         timeout=60, check=True)
    return json.loads(out.stdout)


def _response_schema(doc: dict[str, Any], template: str, method: str) -> dict[str, Any]:
    op = doc["paths"][template][method.lower()]
    for status in ("200", "201"):
        content = op["responses"].get(status, {}).get("content", {})
        if "application/json" in content:
            return content["application/json"]["schema"]
    raise AssertionError(f"{method} {template} documents no JSON answer")


def _errors(doc: dict[str, Any], schema: dict[str, Any], body: Any) -> list[str]:
    # The document's components are in scope for any "#/components/…" reference.
    root = {"components": doc.get("components", {}), "allOf": [schema]}
    v = Draft202012Validator(root, format_checker=FORMATS)
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(answer)'}: {e.message}"
            for e in sorted(v.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))]


def test_the_mini_programs_fixtures_validate_against_the_published_answers(doc: dict[str, Any]) -> None:
    answers = _fixture_answers()
    assert len(answers) >= 20, "fixtures.install() registered suspiciously few answers"
    problems = []
    for a in answers:
        template = _template_for(doc, a["path"])
        if template is None or a["method"].lower() not in doc["paths"][template]:
            problems.append(f"{a['method']} {a['path']}: no such endpoint in /openapi.json")
            continue
        for err in _errors(doc, _response_schema(doc, template, a["method"]), a["body"]):
            problems.append(f"{a['method']} {a['path']} ({template}): {err}")
    assert not problems, "\n".join(problems)


def test_a_fixture_that_breaks_its_schema_is_caught(doc: dict[str, Any]) -> None:
    """The check above can fail: an answer missing a required field or with a wrong type is reported."""
    template = _template_for(doc, "/applications/c1")
    assert template == "/api/v1/applications/{id}"
    schema = _response_schema(doc, template, "GET")
    assert _errors(doc, schema, {"id": "c1"})
    assert _errors(doc, _response_schema(doc, "/api/v1/payments/{id}", "GET"),
                   {"id": "p", "status": "unpaid", "amount_fen": 10.5, "items": [], "out_trade_no": "x",
                    "receipt_id": None})


# -- every path the clients call exists ----------------------------------------------------------------

LITERAL = re.compile(r"""'(/[^'\n]*)'|"(/[^"\n]*)"|`(/[^`]*)`|'((?:GET|POST|PUT|PATCH|DELETE) /[^'\n]*)'""")
CALL_BEFORE = re.compile(r"""(?:\b(?:api|http)\.(get|post|put|patch|delete)|\b(blob|download|upload|fetch))\(\s*$""")
METHOD_ARG_BEFORE = re.compile(r"""\b(?:request|send)\(\s*'([A-Z]+)',\s*$""")
CALL_METHOD = {"blob": "get", "download": "get", "fetch": "get", "upload": "post"}
# Literals that start with a slash and are not API paths: mini-program pages and components, the API's
# base (prefixed to paths), the sandbox prefix test, and the document itself.
NOT_API_PREFIXES = ("/pages/", "/components/")
NOT_API = {"/", "/api/v1", "/sandbox/", "/openapi.json"}


def _client_files() -> list[Path]:
    roots = [CONSOLE / "js", MINIPROGRAM / "api", MINIPROGRAM / "services", MINIPROGRAM / "pages",
             MINIPROGRAM / "utils", MINIPROGRAM / "components", MINIPROGRAM / "app.js"]
    files: list[Path] = []
    for r in roots:
        files.extend([r] if r.is_file() else sorted(r.rglob("*.js")))
    return [f for f in files if "node_modules" not in f.parts and "miniprogram_npm" not in f.parts]


def client_calls(text: str) -> list[tuple[str | None, str]]:
    """(method or None, path) of every API path written in a client's source."""
    out = []
    for m in LITERAL.finditer(text):
        if m.group(4):  # "GET /staff/x、POST /staff/y": the endpoints a screen says it needs
            for part in m.group(4).split("、"):
                method, path = part.strip().split(" ", 1)
                out.append((method.lower(), path))
            continue
        path = next(g for g in m.groups()[:3] if g is not None)
        path = re.split(r"[?#]", path, maxsplit=1)[0]
        if path in NOT_API or path.startswith(NOT_API_PREFIXES) or not re.fullmatch(r"[\w\-./${}()]+", path):
            continue
        before = text[max(0, m.start() - 40):m.start()]
        call, arg = CALL_BEFORE.search(before), METHOD_ARG_BEFORE.search(before)
        method = None
        if call:
            method = call.group(1) or CALL_METHOD[call.group(2)]
        elif arg:
            method = arg.group(1).lower()
        out.append((method, path.removeprefix(API_PREFIX) if path.startswith(API_PREFIX + "/") else path))
    return out


def test_client_calls_are_read_from_the_source() -> None:
    """The reader sees the ways the clients call the API (so the next test is not vacuous)."""
    src = ("api.post(`/staff/tickets/${t.id}/recall`, {}); http.get(`/services/${id(s)}/slots`, { auth: false });"
           " blob(`/staff/files/${f.id}/content`); paths.has('/staff/queue'); missingEndpoint(m, 'GET /staff/x');"
           " send('POST', '/staff/refresh', {}); wx.navigateTo({ url: `/pages/case/detail/index?id=${x}` });"
           " fetch('/api/v1/time'); missingEndpoint(m, 'GET /staff/a、POST /staff/b');")
    assert client_calls(src) == [("post", "/staff/tickets/${t.id}/recall"), ("get", "/services/${id(s)}/slots"),
                                 ("get", "/staff/files/${f.id}/content"), (None, "/staff/queue"),
                                 ("get", "/staff/x"), ("post", "/staff/refresh"), ("get", "/time"),
                                 ("get", "/staff/a"), ("post", "/staff/b")]


def test_every_path_the_clients_call_exists(doc: dict[str, Any]) -> None:
    problems, seen = [], 0
    for f in _client_files():
        for method, path in client_calls(f.read_text(encoding="utf-8")):
            seen += 1
            where = f.relative_to(ROOT)
            template = _template_for(doc, path)
            if template is None:
                problems.append(f"{where}: {path} is not in /openapi.json")
            elif method is not None and method not in doc["paths"][template]:
                problems.append(f"{where}: {method.upper()} {path} ({template}) is not in /openapi.json")
    assert seen >= 100, f"only {seen} API paths found in the clients: the reader is broken"
    assert not problems, "\n".join(problems)


def test_the_day_strip_reaches_as_far_as_the_backend_releases() -> None:
    """The mini-program's strip reaches the backend's default release (until the slots answer names the
    last released day of the chosen hall: tests/journeys/test_booking.py)."""
    from backend.config import AppointmentsConfig
    src = (MINIPROGRAM / "utils" / "booking-window.js").read_text(encoding="utf-8")
    m = re.search(r"const RELEASE_DAYS = (\d+);", src)
    assert m, "miniprogram/utils/booking-window.js names no RELEASE_DAYS"
    assert int(m.group(1)) == AppointmentsConfig().release_days
