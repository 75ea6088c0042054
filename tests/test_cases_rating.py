"""好差评 for every finished case: completed, rejected (refusals included) and withdrawn after acceptance,
by one rule the mini-program applies too (checked here against the examples its tests use), with an
invitation when the case finishes and one reminder if nobody rated it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.cases.rules import rating_allowed
from tests.support import Api, AppServer, assert_error, new_resident, staff_login
from tests.support_cases import eventually, inbox, move, outbox_rows, relogin, submit

EXAMPLES = json.loads((Path(__file__).resolve().parent.parent / "miniprogram" / "test" / "case-rules.examples.json")
                      .read_text(encoding="utf-8"))["rating_allowed"]


@pytest.fixture(scope="module")
def staff(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver")}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e['status']}-after-{'-'.join(e['history'])}")
def test_the_rule_is_the_one_the_mini_program_applies(example: dict) -> None:
    assert rating_allowed(example["status"], example["history"]) is example["allowed"]


def _walk(api: Api, staff: dict[str, str], case_id: str, *moves: str) -> None:
    extra = {"rejected": {"reason": "不符合投靠落户条件"}, "correction_requested": {"missing": ["结婚证"]}}
    for to in moves:
        who = "approver" if to in ("approved", "rejected") else "clerk"
        assert move(api, staff[who], case_id, to, **extra.get(to, {})).status_code == 200


def test_every_finished_case_may_be_rated_and_no_other(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    refused = submit(api, r)
    _walk(api, staff, refused["id"], "rejected")
    early = submit(api, r)
    assert api.post(f"/api/v1/applications/{early['id']}/withdraw", token=r.access_token).status_code == 200
    late = submit(api, r)
    _walk(api, staff, late["id"], "accepted", "in_review", "correction_requested")
    assert api.post(f"/api/v1/applications/{late['id']}/withdraw", token=r.access_token).status_code == 200
    approved = submit(api, r)
    _walk(api, staff, approved["id"], "accepted", "in_review", "approved")

    for case in (early, approved):
        assert_error(api.post(f"/api/v1/applications/{case['id']}/rating", {"score": 4}, token=r.access_token),
                     409, "invalid_state")
    for case in (refused, late):
        rated = api.post(f"/api/v1/applications/{case['id']}/rating", {"score": 3}, token=r.access_token)
        assert rated.status_code == 201, rated.text
        assert api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()["rated"] is True
    assert api.get(f"/api/v1/applications/{approved['id']}", token=r.access_token).json()["rated"] is False

    def invitations() -> list:
        found = [m for m in inbox(api, r) if m["kind"] == "rating.invited"]
        return found if len(found) >= 2 else []  # both are delivered, whatever their order
    invited = eventually(invitations)
    assert sorted(m["ref"]["application_id"] for m in invited) == sorted([refused["id"], late["id"]])
    refusal = next(m for m in invited if m["ref"]["application_id"] == refused["id"])
    assert f"（办件编号 {refused['serial']}）不予受理，欢迎对本次服务进行评价" in refusal["text"]


def test_a_finished_case_nobody_rated_is_reminded_once(api: Api, server: AppServer, clock,  # noqa: ANN001
                                                       staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    quiet = submit(api, r)
    _walk(api, staff, quiet["id"], "rejected")
    rated = submit(api, r)
    _walk(api, staff, rated["id"], "rejected")
    assert api.post(f"/api/v1/applications/{rated['id']}/rating", {"score": 5},
                    token=r.access_token).status_code == 201
    clock.advance(days=server.config.cases.rating_reminder_days, hours=1)
    cases = server.ctx.service("cases")
    server.run(cases.supervise())
    server.run(cases.supervise())

    def reminders() -> list[dict]:
        return [m for m in outbox_rows(server, r.id) if m["kind"] == "rating.invited" and m["payload"].get("reminder")]
    assert [m["payload"]["application_id"] for m in reminders()] == [quiet["id"]]
    relogin(api, r)
    text = eventually(lambda: [m["text"] for m in inbox(api, r) if "您还没有评价" in m["text"]])
    assert text == [f"您申请的“{quiet['service_name']}”（办件编号 {quiet['serial']}）不予受理，您还没有评价。"
                    f"欢迎对本次服务进行评价，您的意见会帮助我们改进。"]
