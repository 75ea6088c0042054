"""The error catalogue: every code the code base raises is a catalogue entry (found by reading the
source), each entry has one status and a Chinese message, and ``/openapi.json`` publishes it."""
from __future__ import annotations

import ast
import re

from backend.appointments.errors import SlotFull
from backend.core import errors
from backend.identity.errors import RealnameMismatch
from backend.lexicon import lexicon
from payments.errors import PaymentExpired
from sandbox import words as sandbox_words
from tests.conftest import ROOT
from tests.support import Api

SCANNED = ("backend", "payments", "notify", "sandbox")
LEXICON = lexicon(sandbox_words.WORDS)
CATALOGUE = LEXICON.error_catalogue()


def _defined_errors() -> dict[str, str]:
    """Every class in the code base that sets its own ``code`` (an error entry) → where it is."""
    found: dict[str, str] = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=rel)):
                if isinstance(node, ast.ClassDef) and any(
                        isinstance(s, ast.Assign) and any(getattr(x, "id", None) == "code" for x in s.targets)
                        and isinstance(s.value, ast.Constant) for s in node.body):
                    found[node.name] = rel
    return found


def test_every_error_is_a_class_in_its_domains_errors_module_and_registered() -> None:
    defined = _defined_errors()
    assert len(defined) > 60, "the scan found too few error classes to be reading the source"
    registered = {cls.__name__: cls for v in LEXICON.vocabularies for cls in v.errors}
    assert sorted(set(defined) - set(registered)) == [], "error classes no vocabulary registers"
    for name, rel in defined.items():
        assert rel.endswith("/errors.py"), f"{name} is defined in {rel}, not in its domain's errors.py"
        module = registered[name].__module__.replace(".", "/") + ".py"
        assert module == rel, (name, module, rel)


def test_errors_are_raised_by_class_never_by_code() -> None:
    offenders = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=rel)):
                if isinstance(node, ast.Call) and any(kw.arg == "code" for kw in node.keywords):
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if name in {c.__name__ for c in errors.ALL} or name.endswith(("Error", "Conflict")):
                        offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_the_app_registers_the_same_words_as_the_lexicon(server) -> None:
    app_runtime = server.ctx
    built = {v.domain for v in app_runtime.lexicon.vocabularies}
    assert built == {v.domain for v in LEXICON.vocabularies}
    assert app_runtime.lexicon.error_catalogue() == CATALOGUE


def test_each_entry_has_one_code_a_status_and_a_chinese_message() -> None:
    table = CATALOGUE
    codes = [e["code"] for e in table]
    assert codes == sorted(set(codes))
    for e in table:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e["code"]), e
        assert 400 <= e["status"] <= 599, e
        assert re.search(r"[\u4e00-\u9fff]", e["message"]), e
        assert LEXICON.error(e["code"]).http_status == e["status"]


def test_a_code_raised_through_a_base_class_takes_its_catalogue_status_and_message() -> None:
    e = SlotFull()
    assert (e.http_status, e.code, e.message) == (409, "slot_full", "该时段已约满，可加入候补")
    e = errors.RealnameRequired("该居民尚未实名认证")
    assert (e.http_status, e.message) == (403, "该居民尚未实名认证")
    assert SlotFull("就这个时段满了").to_body() == {
        "error": {"code": "slot_full", "message": "就这个时段满了", "details": {}}}
    e = RealnameMismatch({"name": "不一致"})
    assert (e.http_status, e.message, e.details) == (400, "姓名与身份证号不一致，请核对后重试",
                                                     {"fields": {"name": "不一致"}})
    e = errors.RateLimited(7)
    assert (e.http_status, e.headers, e.details) == (429, {"Retry-After": "7"}, {"retry_after_seconds": 7})
    assert isinstance(PaymentExpired(), errors.InvalidState)


def test_openapi_lists_the_catalogue(api: Api) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["x-error-codes"] == CATALOGUE
    schemas = doc["components"]["schemas"]
    assert schemas["ErrorCode"]["enum"] == [e["code"] for e in CATALOGUE]
    assert schemas["Error"]["properties"]["error"]["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    r = api.get("/api/v1/services/000000000000000000000000")
    assert r.status_code == 404 and r.json()["error"]["code"] in schemas["ErrorCode"]["enum"]

