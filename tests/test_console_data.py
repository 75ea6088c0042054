"""What the staff console needs from the API to speak Chinese throughout: names of services and
departments on ratings and rectification orders, each service's form definition (the labels of a
case's form fields), and a Chinese word for every audit action, outcome, target and detail field."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.appointments.labels import TICKET_STATUS
from backend.audit import labels as audit_labels
from backend.cases.labels import CASE_STATUS
from tests.support import Api, new_resident, staff_login
from tests.support_cases import move, submit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def staff(server) -> dict[str, str]:  # noqa: ANN001
    api = Api(server.base)
    return {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver", "supervisor", "admin")}


def test_ratings_and_rectifications_name_the_service_and_department(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    case = submit(api, r)  # 户口迁入（投靠落户）, 市公安局户政
    assert move(api, staff["approver"], case["id"], "rejected", reason="不符合投靠落户条件").status_code == 200
    rated = api.post(f"/api/v1/applications/{case['id']}/rating", {"score": 1, "comment": "材料说明不清"},
                     token=r.access_token)
    assert rated.status_code == 201, rated.text
    assert rated.json()["service_name"] == "户口迁入（投靠落户）" and rated.json()["department_name"] == "市公安局户政"
    ratings = api.get("/api/v1/staff/ratings", token=staff["supervisor"]).json()["items"]
    mine = next(x for x in ratings if x["application_id"] == case["id"])
    assert {k: mine[k] for k in ("serial", "service_name", "department_name")} == {
        "serial": case["serial"], "service_name": "户口迁入（投靠落户）", "department_name": "市公安局户政"}
    rects = api.get("/api/v1/staff/rectifications", token=staff["supervisor"]).json()["items"]
    rect = next(x for x in rects if x["application_id"] == case["id"])
    assert rect["service_name"] == "户口迁入（投靠落户）" and rect["department_name"] == "市公安局户政"
    replied = api.post(f"/api/v1/staff/rectifications/{rect['id']}/reply", {"reply": "已补充材料清单说明"},
                       token=staff["clerk"])
    assert replied.status_code == 200, replied.text
    assert replied.json()["department_name"] == "市公安局户政"


def test_every_service_publishes_its_form_definition(api: Api) -> None:
    services = api.get("/api/v1/services").json()["items"]
    for svc in services:
        keys = [f["key"] for f in svc["guide"]["form"]]
        assert keys[:2] == ["contact_phone", "note"], svc["code"]
        assert all(f["label"] and not re.search(r"[A-Za-z_]", f["label"]) for f in svc["guide"]["form"])
    qianru = next(s for s in services if s["code"] == "HJ-QIANRU")
    assert {f["key"]: f["label"] for f in qianru["guide"]["form"]}["reason"] == "迁入原因"


def test_a_hall_manager_may_set_a_services_form(api: Api) -> None:
    mgr = staff_login(api, role="hall_manager")["access_token"]
    svc = next(s for s in api.get("/api/v1/services").json()["items"] if s["code"] == "BDC-BF")
    form = [*svc["guide"]["form"], {"key": "lost_at", "label": "遗失日期", "type": "date", "required": True}]
    r = api.patch(f"/api/v1/staff/services/{svc['id']}", {"guide": {**svc["guide"], "form": form}}, token=mgr)
    assert r.status_code == 200, r.text
    assert r.json()["guide"]["form"][-1] == {"key": "lost_at", "label": "遗失日期", "type": "date", "required": True}
    bad = api.patch(f"/api/v1/staff/services/{svc['id']}",
                    {"guide": {**svc["guide"], "form": [{"key": "Bad Key", "label": "x"}]}}, token=mgr)
    assert bad.status_code == 400


# -- the audit log's words --------------------------------------------------------------------------

# Actions written as f-strings, and the values their placeholder takes.
EXPANSIONS = {
    "case.{to}": list(CASE_STATUS),
    "appointments.ticket.{to}": [s for s in TICKET_STATUS if s not in ("waiting", "called")],
    "payment.refund.{final}": ["success", "failed"],
    "payment.late_refund.{final}": ["success", "failed"],
}
_ACTION = re.compile(r"""(?:action=|audit\.(?:staff|system)\([^,()]+,\s*|self\._audit\(\w+,\s*)(f?)"([a-z_.{}]+)\"""")


def recorded_actions() -> set[str]:
    """Every audit action the code base records, f-strings expanded."""
    found: set[str] = set()
    for folder in ("backend", "payments", "notify", "sandbox"):
        for path in (ROOT / folder).rglob("*.py"):
            for fstring, action in _ACTION.findall(path.read_text(encoding="utf-8")):
                if "." not in action:
                    continue  # argparse's action="store_true"
                if fstring:
                    assert action in EXPANSIONS, f"{path}: name the values of {action} in EXPANSIONS"
                    head = action[:action.index("{")]
                    found.update(head + v for v in EXPANSIONS[action])
                else:
                    found.add(action)
    return found


def test_every_recorded_action_has_a_chinese_name() -> None:
    actions = recorded_actions()
    assert {"staff.login", "case.accepted", "appointments.ticket.walk_in", "payment.refund.success"} <= actions
    assert sorted(actions - set(audit_labels.ACTIONS)) == []


def test_the_log_of_real_actions_is_all_in_words(api: Api, staff: dict[str, str]) -> None:
    """Entries written by real calls: every action, outcome, target type and detail field named."""
    username = "words" + new_resident(api).id[-6:]
    assert api.post("/api/v1/staff/login", {"username": "admin1", "password": "wrong-password"}).status_code == 401
    created = api.post("/api/v1/staff/accounts", {"username": username, "password": "Desk-pass-2026",
                                                  "roles": ["clerk"]}, token=staff["admin"])
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    # Refused (the administrator set its password, so it may not add roles to it), and audited so.
    assert api.patch(f"/api/v1/staff/accounts/{sid}", {"roles": ["clerk", "approver"], "status": "disabled"},
                     token=staff["admin"]).status_code == 403
    assert api.patch(f"/api/v1/staff/accounts/{sid}", {"status": "disabled"}, token=staff["admin"]).status_code == 200
    assert api.post(f"/api/v1/staff/accounts/{sid}/password", {"password": "Desk-pass-2027"},
                    token=staff["admin"]).status_code == 200
    mgr = staff_login(api, role="hall_manager")["access_token"]
    hall = api.get("/api/v1/halls").json()["items"][0]
    assert api.patch(f"/api/v1/staff/halls/{hall['id']}", {"notice": hall["notice"] or "欢迎"},
                     token=mgr).status_code == 200
    r = new_resident(api, verified=True)
    case = submit(api, r)
    assert move(api, staff["clerk"], case["id"], "accepted").status_code == 200
    leaving = staff_login(api, role="finance")["access_token"]
    assert api.post("/api/v1/staff/logout", {"everywhere": True}, token=leaving).status_code == 200
    entries = api.get("/api/v1/staff/audit", params={"limit": 100}, token=staff["admin"]).json()["items"]
    seen = {e["action"] for e in entries}
    assert {"staff.login", "staff.create", "staff.update", "staff.password.reset", "catalogue.hall.update",
            "case.accepted", "staff.logout"} <= seen
    for e in entries:
        assert e["action"] in audit_labels.ACTIONS, e
        assert (e.get("outcome") or "ok") in audit_labels.OUTCOMES, e
        assert e["target"]["type"] in audit_labels.TARGETS, e
        for key, value in e["details"].items():
            assert key in audit_labels.FIELDS, e
            if isinstance(value, dict):
                assert set(value) <= set(audit_labels.FIELDS), e
            if key == "fields":
                assert set(value) <= set(audit_labels.FIELDS), e
            if key == "reason" and e["outcome"] == "denied":
                assert value in audit_labels.VALUES["reason"], e
