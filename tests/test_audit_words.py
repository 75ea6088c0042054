"""Every audit entry reads in Chinese: each detail key the code records and each system actor it
names has its words in backend/audit/labels.py (the console shows those, never the keys)."""
from __future__ import annotations

import ast
from pathlib import Path

from backend.audit import labels

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("backend", "payments", "notify")


def _calls() -> list[tuple[Path, ast.Call]]:
    out = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            out += [(path, n) for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)]
    return out


def _detail_dicts(call: ast.Call) -> list[ast.expr]:
    """The details an audit call records: ``record(details={...})`` or a domain's
    ``audit.staff(staff, action, target_type, target_id, ip, {...})``."""
    if not isinstance(call.func, ast.Attribute):
        return []
    if call.func.attr == "record":
        return [k.value for k in call.keywords if k.arg == "details"]
    if call.func.attr == "staff" and len(call.args) > 5:
        return [call.args[5]]
    return []


def test_every_detail_key_recorded_has_its_words() -> None:
    missing = {}
    for path, call in _calls():
        for d in _detail_dicts(call):
            if isinstance(d, ast.Dict):
                for k in d.keys:
                    if isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value not in labels.FIELDS:
                        missing[k.value] = f"{path.relative_to(ROOT)}:{call.lineno}"
    assert missing == {}


def test_every_system_actor_named_has_its_words() -> None:
    missing = {}
    for path, call in _calls():
        if isinstance(call.func, ast.Name) and call.func.id == "system_actor" and call.args:
            arg = call.args[0]
            if isinstance(arg, ast.Constant) and arg.value not in labels.SYSTEM_ACTORS:
                missing[arg.value] = f"{path.relative_to(ROOT)}:{call.lineno}"
    assert missing == {}


def test_the_check_sees_detail_keys() -> None:
    keys = {k.value for _, call in _calls() for d in _detail_dicts(call) if isinstance(d, ast.Dict)
            for k in d.keys if isinstance(k, ast.Constant)}
    assert {"reason", "ticket_number", "via", "grantee_type"} <= keys


def test_entries_name_their_objects(api, server) -> None:  # noqa: ANN001
    from tests.support import new_resident, staff_login
    from tests.support_cases import move, submit

    clerk = staff_login(api, role="clerk")["access_token"]
    case = submit(api, new_resident(api, verified=True))
    assert move(api, clerk, case["id"], "accepted").status_code == 200
    admin = staff_login(api, role="admin")["access_token"]
    entries = api.get("/api/v1/staff/audit", params={"target_id": case["id"], "limit": 10}, token=admin).json()["items"]
    accepted = next(e for e in entries if e["action"] == "case.accepted")
    assert accepted["target"] == {"type": "application", "id": case["id"], "name": case["serial"]}
    logins = api.get("/api/v1/staff/audit", params={"action": "staff.login", "limit": 5}, token=admin).json()["items"]
    assert all("（" in e["target"]["name"] and e["target"]["name"].endswith("）") for e in logins if e["target"]["id"])
