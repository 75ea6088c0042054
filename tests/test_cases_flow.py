"""Cases through the API: submission, every transition allowed and forbidden, races, the
timeline residents and staff see, corrections pausing the clock, withdrawal, ratings."""
from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import Api, AppServer, assert_error, new_resident, staff_login
from tests.support_cases import move, relogin, service, submit


@pytest.fixture(scope="module")
def staff(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver", "supervisor", "finance")}


def test_submit_gives_a_serial_materials_and_a_working_day_deadline(api: Api) -> None:
    r = new_resident(api, verified=True)
    case = submit(api, r)
    assert re.fullmatch(r"ZJB\d{8}\d{6}", case["serial"])
    assert case["status"] == "submitted" and [e["status"] for e in case["timeline"]] == ["submitted"]
    assert "actor" not in case["timeline"][0]
    housing = next(m for m in case["materials"] if m["key"] == "housing")
    assert housing["tolerable"] and not housing["provided"]  # 容缺受理
    assert case["deadline"] and case["light"] == "green"
    assert api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()["serial"] == case["serial"]
    assert [c["id"] for c in api.get("/api/v1/applications", token=r.access_token).json()["items"]] == [case["id"]]


def test_submission_is_refused_clearly(api: Api) -> None:
    unverified = new_resident(api)
    svc = service(api)
    assert_error(api.post("/api/v1/applications", {"service_id": svc["id"], "form": {}}, token=unverified.access_token),
                 403, "realname_required")
    r = new_resident(api, verified=True)
    err = assert_error(api.post("/api/v1/applications", {"service_id": svc["id"], "form": {}, "materials": ["id_card"]},
                                token=r.access_token), 400, "invalid_input")
    assert "居民户口簿" in err["details"]["missing"]
    assert_error(api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"x": {"$gt": ""}}},
                          token=r.access_token), 400, "invalid_input")
    assert_error(api.post("/api/v1/applications", {"service_id": service(api, "HJ-SFZ")["id"], "form": {},
                                                   "materials": ["old_id_card", "hukou"]}, token=r.access_token),
                 409, "not_online")
    assert api.get("/api/v1/applications", token=r.access_token).json()["items"] == []


def test_the_whole_path_and_the_timeline(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    case = submit(api, r)
    assert move(api, staff["clerk"], case["id"], "accepted", note="材料齐全").status_code == 200
    assert move(api, staff["clerk"], case["id"], "in_review").status_code == 200
    assert_error(move(api, staff["clerk"], case["id"], "approved"), 403, "forbidden")  # approvers decide
    assert move(api, staff["approver"], case["id"], "approved").status_code == 200
    done = move(api, staff["clerk"], case["id"], "completed", note="证件已出",
                promise_reason="住所证明已在窗口核验原件")  # the 容缺 material, waived with a reason
    assert done.status_code == 200 and done.json()["status"] == "completed"
    mine = api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()
    assert [e["status"] for e in mine["timeline"]] == ["submitted", "accepted", "in_review", "approved", "completed"]
    assert all("actor" not in e for e in mine["timeline"])  # no staff names for residents
    full = api.get(f"/api/v1/staff/applications/{case['id']}", token=staff["approver"]).json()
    assert full["timeline"][3]["actor"]["name"] == "李审批"
    for to in ("submitted", "accepted", "rejected", "withdrawn"):  # nothing moves a completed case
        assert_error(move(api, staff["approver"], case["id"], to), 409, "invalid_state")


@pytest.mark.parametrize("start,to", [("submitted", "approved"), ("submitted", "completed"),
                                      ("submitted", "in_review"), ("submitted", "submitted")])
def test_forbidden_moves_are_409_and_change_nothing(api: Api, staff: dict[str, str], start: str, to: str) -> None:
    case = submit(api, new_resident(api, verified=True))
    assert_error(move(api, staff["approver"], case["id"], to), 409, "invalid_state")
    after = api.get(f"/api/v1/staff/applications/{case['id']}", token=staff["clerk"]).json()
    assert after["status"] == start and after["version"] == 1


def test_rejection_needs_a_reason(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    case = submit(api, r)
    assert_error(move(api, staff["clerk"], case["id"], "rejected"), 400, "invalid_input")
    ok = move(api, staff["clerk"], case["id"], "rejected", reason="不符合投靠落户条件")
    assert ok.status_code == 200 and ok.json()["rejection_reason"] == "不符合投靠落户条件"
    assert api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()["timeline"][-1]["note"] \
        == "不符合投靠落户条件"


def test_two_staff_racing_on_one_case_cannot_both_move_it(api: Api, staff: dict[str, str]) -> None:
    case = submit(api, new_resident(api, verified=True))
    moves = ["accepted", "rejected", "correction_requested", "accepted", "accepted", "accepted"]

    def go(to: str) -> int:
        extra = ({"reason": "理由"} if to == "rejected"
                 else {"missing": ["户口簿"]} if to == "correction_requested" else {})
        return move(Api(api.base), staff["clerk"], case["id"], to, **extra).status_code
    with ThreadPoolExecutor(len(moves)) as pool:
        codes = list(pool.map(go, moves))
    assert codes.count(200) == 1 and codes.count(409) == len(moves) - 1, codes
    after = api.get(f"/api/v1/staff/applications/{case['id']}", token=staff["clerk"]).json()
    assert len(after["timeline"]) == 2 and after["version"] == 2


def test_correction_stops_the_clock_and_resubmission_resumes_it(api: Api, server: AppServer, clock,  # noqa: ANN001
                                                                staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    case = submit(api, r)
    deadline = dt.datetime.fromisoformat(case["deadline"])
    assert_error(move(api, staff["clerk"], case["id"], "correction_requested"), 400, "invalid_input")
    asked = move(api, staff["clerk"], case["id"], "correction_requested", missing=["合法稳定住所证明"])
    assert asked.status_code == 200
    mine = api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()
    assert mine["correction"]["missing"] == ["合法稳定住所证明"] and mine["correction"]["due"]
    clock.advance(days=14)  # two weeks: ten working days (or fewer over holidays) waiting for the resident
    relogin(api, r)
    back = api.post(f"/api/v1/applications/{case['id']}/resubmit", {"materials": ["housing"]}, token=r.access_token)
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["status"] == "submitted" and body["correction"] is None
    assert next(m for m in body["materials"] if m["key"] == "housing")["provided"]
    assert dt.datetime.fromisoformat(body["deadline"]) - deadline >= dt.timedelta(days=12)


def test_withdrawal_only_before_acceptance_and_only_by_the_applicant(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    other = new_resident(api, verified=True)
    case = submit(api, r)
    assert_error(api.post(f"/api/v1/applications/{case['id']}/withdraw", token=other.access_token), 404, "not_found")
    assert_error(api.get(f"/api/v1/applications/{case['id']}", token=other.access_token), 404, "not_found")
    assert_error(move(api, staff["clerk"], case["id"], "withdrawn"), 409, "invalid_state")
    assert api.post(f"/api/v1/applications/{case['id']}/withdraw", token=r.access_token).json()["status"] == "withdrawn"
    case2 = submit(api, r)
    move(api, staff["clerk"], case2["id"], "accepted")
    assert_error(api.post(f"/api/v1/applications/{case2['id']}/withdraw", token=r.access_token), 409, "invalid_state")
    assert_error(api.post(f"/api/v1/applications/{case2['id']}/resubmit", {}, token=r.access_token), 409,
                 "invalid_state")


def _completed(api: Api, staff: dict[str, str]) -> tuple:
    r = new_resident(api, verified=True)
    case = submit(api, r)
    for to, who in (("accepted", "clerk"), ("in_review", "clerk"), ("approved", "approver"), ("completed", "clerk")):
        extra = {"promise_reason": "住所证明已在窗口核验原件"} if to == "completed" else {}
        assert move(api, staff[who], case["id"], to, **extra).status_code == 200
    return r, case


def test_rating_once_after_completion_and_a_bad_one_opens_rectification(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    early = submit(api, r)
    assert_error(api.post(f"/api/v1/applications/{early['id']}/rating", {"score": 5}, token=r.access_token),
                 409, "invalid_state")
    r, case = _completed(api, staff)
    assert_error(api.post(f"/api/v1/applications/{case['id']}/rating", {"score": 6}, token=r.access_token),
                 400, "invalid_input")
    rated = api.post(f"/api/v1/applications/{case['id']}/rating",
                     {"score": 1, "comment": "等候太久\u202e😀", "indicators": ["办事效率"]}, token=r.access_token)
    assert rated.status_code == 201 and rated.json()["level"] == "非常不满意"
    assert_error(api.post(f"/api/v1/applications/{case['id']}/rating", {"score": 5}, token=r.access_token),
                 409, "already_rated")
    assert api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()["rated"] is True
    rect_id = rated.json()["rectification_id"]
    opened = [x for x in api.get("/api/v1/staff/rectifications", params={"status": "open"},
                                 token=staff["supervisor"]).json()["items"] if x["id"] == rect_id]
    assert opened and opened[0]["score"] == 1
    assert_error(api.post(f"/api/v1/staff/rectifications/{rect_id}/close", {}, token=staff["supervisor"]),
                 409, "invalid_state")
    reply = api.post(f"/api/v1/staff/rectifications/{rect_id}/reply", {"reply": "已增开窗口，减少等候"},
                     token=staff["clerk"])
    assert reply.status_code == 200 and reply.json()["status"] == "replied"
    assert api.post(f"/api/v1/staff/rectifications/{rect_id}/close", {}, token=staff["supervisor"]).json()["status"] \
        == "closed"
    assert_error(api.post(f"/api/v1/staff/rectifications/{rect_id}/close", {}, token=staff["clerk"]), 403, "forbidden")
    summary = api.get("/api/v1/staff/supervision/summary", token=staff["supervisor"]).json()["items"]
    row = next(x for x in summary if x["department_id"] == case["department_id"])
    assert row["completed"] >= 1 and row["satisfaction"] is not None and row["on_time_rate"] is not None


def test_window_registration_and_staff_lists(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    svc = service(api, "HJ-SFZ")  # not online: taken at the window, the resident there with their 办事码
    code = api.get("/api/v1/me/identity-code", token=r.access_token).json()["code"]
    reg = api.post("/api/v1/staff/applications", {"identity_code": code, "service_id": svc["id"], "form": {},
                                                  "materials": ["old_id_card", "hukou"]}, token=staff["clerk"])
    assert reg.status_code == 201, reg.text
    assert api.get(f"/api/v1/applications/{reg.json()['id']}", token=r.access_token).json()["timeline"][0]["note"] \
        == "窗口收件（本人到场，已核验办事码）"
    listed = api.get("/api/v1/staff/applications",
                     params={"status": "submitted", "department_id": svc["department_id"]},
                     token=staff["approver"]).json()["items"]
    assert reg.json()["id"] in [c["id"] for c in listed]
    assert_error(api.post("/api/v1/staff/applications", {"resident_id": r.id, "service_id": svc["id"], "form": {}},
                          token=staff["approver"]), 403, "forbidden")
    assert_error(api.get("/api/v1/staff/applications", token=r.access_token), 401, "unauthenticated")
