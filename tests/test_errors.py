"""The error catalogue: every code the code base raises is a catalogue entry (found by reading the
source), each entry has one status and a Chinese message, and ``/openapi.json`` publishes it."""
from __future__ import annotations

import ast
import re

from backend.core import errors
from tests.conftest import ROOT
from tests.support import Api

SCANNED = ("backend", "payments", "notify", "sandbox")

# Calls whose ``code=`` is not a literal, with every value it can take. A new such call fails
# the scan until it is listed here (or, better, raises the catalogue class itself).
COMPUTED_CODES = {
    "sandbox/wechatpay.py": {"order_closed", "order_expired"},
    "sandbox/alipay.py": {"order_closed", "order_expired"},
}


def _error_classes() -> set[str]:
    return {name for name, value in vars(errors).items()
            if isinstance(value, type) and issubclass(value, errors.AppError)}


def _error_class_of(func: ast.expr, imported: set[str], classes: set[str]) -> str | None:
    """``errors.Conflict`` or an imported ``Conflict``: the class name, else None."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "errors":
        return func.attr if func.attr in classes else None
    if isinstance(func, ast.Name) and func.id in imported:
        return func.id
    return None


def _scan() -> tuple[dict[str, list[str]], list[str], list[str]]:
    """(code -> places raised with it, places with a computed code, error classes defined outside
    backend/core/errors.py with their own code)."""
    classes = _error_classes()
    found: dict[str, list[str]] = {}
    computed: list[str] = []
    stray: list[str] = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "backend/core/errors.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
            imported = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                        and n.module == "backend.core.errors" for a in n.names if a.name in classes}
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _error_class_of(node.func, imported, classes):
                    for kw in node.keywords:
                        if kw.arg != "code":
                            continue
                        if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                            found.setdefault(kw.value.value, []).append(f"{rel}:{node.lineno}")
                        else:
                            computed.append(rel)
                elif isinstance(node, ast.ClassDef) and any(_error_class_of(b, imported, classes) for b in node.bases):
                    if any(isinstance(s, ast.Assign) and any(getattr(t, "id", None) == "code" for t in s.targets)
                           for s in node.body):
                        stray.append(f"{rel}:{node.lineno} {node.name}")
    return found, computed, stray


def test_every_code_raised_in_the_code_base_is_in_the_catalogue() -> None:
    found, computed, stray = _scan()
    known = {e["code"] for e in errors.catalogue()}
    assert len(found) > 30, "the scan found too few codes to be reading the source"
    missing = {code: where for code, where in found.items() if code not in known}
    assert missing == {}, f"add these codes to backend/core/errors.py: {missing}"
    unlisted = sorted(set(computed) - set(COMPUTED_CODES))
    assert unlisted == [], f"error codes computed at run time; raise the catalogue class instead: {unlisted}"
    for where, codes in COMPUTED_CODES.items():
        assert codes <= known, (where, codes - known)
    assert stray == [], f"define error codes in backend/core/errors.py, not here: {stray}"


def test_each_entry_has_one_code_a_status_and_a_chinese_message() -> None:
    table = errors.catalogue()
    codes = [e["code"] for e in table]
    assert codes == sorted(set(codes))
    for e in table:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e["code"]), e
        assert 400 <= e["status"] <= 599, e
        assert re.search(r"[\u4e00-\u9fff]", e["message"]), e
        assert errors.lookup(e["code"]).http_status == e["status"]


def test_a_code_raised_through_a_base_class_takes_its_catalogue_status_and_message() -> None:
    e = errors.Conflict(code="slot_full")
    assert (e.http_status, e.code, e.message) == (409, "slot_full", "该时段已约满，可加入候补")
    e = errors.Conflict("该居民尚未实名认证", code="realname_required")
    assert (e.http_status, e.message) == (403, "该居民尚未实名认证")
    assert errors.SlotFull("就这个时段满了").to_body() == {
        "error": {"code": "slot_full", "message": "就这个时段满了", "details": {}}}
    e = errors.InvalidInput({"name": "不一致"}, code="realname_mismatch")
    assert (e.http_status, e.message, e.details) == (400, "姓名与身份证号不一致，请核对后重试",
                                                     {"fields": {"name": "不一致"}})
    e = errors.RateLimited(7)
    assert (e.http_status, e.headers, e.details) == (429, {"Retry-After": "7"}, {"retry_after_seconds": 7})
    assert isinstance(errors.PaymentExpired(), errors.InvalidState)


def test_openapi_lists_the_catalogue(api: Api) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["x-error-codes"] == errors.catalogue()
    schemas = doc["components"]["schemas"]
    assert schemas["ErrorCode"]["enum"] == [e["code"] for e in errors.catalogue()]
    assert schemas["Error"]["properties"]["error"]["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    r = api.get("/api/v1/services/000000000000000000000000")
    assert r.status_code == 404 and r.json()["error"]["code"] in schemas["ErrorCode"]["enum"]

