"""People are told once, in their own words, and each push opens the page of what it is about:
a refusal at intake is 不予受理 (not 不予批准); a 补正 is one message; a 一件事 speaks as one (its
cases' submissions and acceptances folded into the bundle's messages); a bundle whose cases were all
withdrawn is 已撤回; a licence issued or revoked tells its holder; every push page is in app.json."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from backend.bundles.service import overall_status
from backend.cases.rules import outcome
from tests.support import Api, AppServer, make_id_number, miniprogram_pages, new_resident, staff_login
from tests.support_cases import (
    consent,
    eventually,
    inbox,
    move,
    relogin,
    service,
    submit,
    waive_promises,
    wechat_messages,
)
from tests.support_payments import db_find
from tests.test_notify_messages import KINDS, SAMPLES, page_of, render, template_key

ROOT = Path(__file__).resolve().parent.parent
APP_PAGES = miniprogram_pages()
OUTCOMES = json.loads((ROOT / "miniprogram" / "test" / "case-rules.examples.json")
                      .read_text(encoding="utf-8"))["outcome"]
AT = dt.datetime(2026, 11, 30, 2, 15, tzinfo=dt.UTC)



@pytest.fixture(scope="module")
def staff(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver")}


@pytest.mark.parametrize("example", OUTCOMES, ids=lambda e: f"{e['status']}-after-{'-'.join(e['history'])}")
def test_the_outcome_rule_is_the_one_the_mini_program_applies(example: dict) -> None:
    assert outcome(example["status"], example["history"]) == example["outcome"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_push_opens_a_page_of_the_mini_program(kind: str) -> None:
    words = render(kind, SAMPLES[kind], AT)
    if template_key(kind) is None:
        return
    assert words.page, kind
    path, _, query = words.page.partition("?")
    assert path in APP_PAGES, (kind, words.page)
    assert not query or "=" in query and not query.endswith("="), words.page
    # Without an id the push still opens a page that exists: the list.
    bare = page_of(kind, {})
    assert bare is not None and bare in APP_PAGES, (kind, bare)


def test_a_bundle_all_withdrawn_is_withdrawn_and_refusals_say_which() -> None:
    assert overall_status(["withdrawn", "withdrawn"]) == "withdrawn"
    assert overall_status(["withdrawn", "rejected"]) == "closed"
    assert overall_status(["completed", "withdrawn"]) == "partly_completed"
    done = render("bundle.completed", {**SAMPLES["bundle.completed"], "status": "withdrawn"}, AT)
    assert done.title == "“一件事”已撤回" and "均已由您撤回" in done.text and "未获批准" not in done.text
    assert done.wechat_data()["phrase2"]["value"] == "已撤回"
    closed = render("bundle.completed", {**SAMPLES["bundle.completed"], "status": "closed",
                                         "outcomes": {"not_accepted": 1, "withdrawn": 2}}, AT)
    assert "1 个事项不予受理、2 个事项已撤回" in closed.text
    refused = render("case.status_changed", {**SAMPLES["case.status_changed"], "status": "rejected",
                                             "outcome": "not_accepted"}, AT)
    assert refused.title == "办件不予受理" and "不予受理" in refused.text and "不予批准" not in refused.text
    assert refused.wechat_data()["phrase2"]["value"] == "不予受理"
    invited = render("rating.invited", {**SAMPLES["rating.invited"], "outcome": "not_accepted"}, AT)
    assert "不予受理" in invited.text and invited.wechat_data()["phrase3"]["value"] == "不予受理"
    paid = render("payment.paid", {**SAMPLES["payment.paid"], "serial": "YJS20261130000004"}, AT)
    assert "一件事编号 YJS20261130000004" in paid.text and "办件编号" not in paid.text


def test_a_refusal_at_intake_and_after_review_each_say_what_happened(api: Api, server: AppServer,
                                                                     staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    consent(api, r, "case_progress", n=10)
    at_intake = submit(api, r)
    assert move(api, staff["clerk"], at_intake["id"], "rejected", reason="不属于本部门受理范围").status_code == 200
    reviewed = submit(api, r, form={"reason": "投靠子女"})
    for to, who in (("accepted", "clerk"), ("in_review", "clerk")):
        assert move(api, staff[who], reviewed["id"], to).status_code == 200
    assert move(api, staff["approver"], reviewed["id"], "rejected", reason="不符合投靠条件").status_code == 200
    mine = {c["id"]: c for c in api.get("/api/v1/applications", token=r.access_token).json()["items"]}
    assert mine[at_intake["id"]]["outcome"] == "not_accepted" and mine[reviewed["id"]]["outcome"] == "not_approved"
    staff_view = api.get(f"/api/v1/staff/applications/{at_intake['id']}", token=staff["clerk"]).json()
    assert staff_view["status"] == "rejected" and staff_view["outcome"] == "not_accepted"
    def refusals() -> list[str] | None:
        found = sorted(m["title"] for m in inbox(api, r) if m["kind"] == "case.status_changed" and "不予" in m["title"])
        return found if len(found) == 2 else None
    assert eventually(refusals) == ["办件不予受理", "办件不予批准"]

    def pushed() -> dict[str, str] | None:
        found = {p["data"]["phrase2"]["value"]: p["page"] for p in wechat_messages(api, r.openid)
                 if p["data"].get("phrase2", {}).get("value") in ("不予受理", "不予批准")}
        return found if len(found) == 2 else None
    assert eventually(pushed) == {"不予受理": f"pages/case/detail/index?id={at_intake['id']}",
                                  "不予批准": f"pages/case/detail/index?id={reviewed['id']}"}


def test_a_correction_is_one_message(api: Api, server: AppServer, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    case = submit(api, r)
    assert move(api, staff["clerk"], case["id"], "correction_requested", missing=["结婚证"]).status_code == 200
    rows = [m for m in db_find(server, "outbox", {"user_id": r.id}) if m["payload"].get("application_id") == case["id"]]
    assert sorted(m["kind"] for m in rows) == ["case.correction_requested", "case.status_changed"]
    assert next(m for m in rows if m["kind"] == "case.status_changed")["payload"]["status"] == "submitted"


HOUSING = {"property_cert_no": "黑（2020）齐齐哈尔市不动产权第0012345号",
           "property_address": "龙沙区明月花园 5 号楼 2 单元 301 室",
           "floor_area": "89.36", "deal_price_yuan": 560000, "contract_no": "CLF2026112900123", "seller_name": "王芳",
           "buyer_name": "刘洋", "buyer_first_home": "是", "buyer_share": "单独所有", "water_account": "SW0012345",
           "contact_phone": "13900002222"}


def _bundle(api: Api, r: Any) -> dict[str, Any]:
    resp = api.post("/api/v1/life-events/housing/applications",
                    {"form": {**HOUSING, "seller_id_number": make_id_number(), "buyer_id_number": make_id_number()},
                     "materials": ["ids", "cert", "contract"]}, token=r.access_token)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_a_bundle_speaks_as_one(api: Api, server: AppServer, clock, staff: dict[str, str]) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    b = _bundle(api, r)
    ids = [c["id"] for c in b["applications"]]
    for cid in ids:
        for to, who in (("accepted", "clerk"), ("in_review", "clerk"), ("approved", "approver"),
                        ("completed", "clerk")):
            assert move(api, staff[who], cid, to, **waive_promises(to)).status_code == 200
    clock.advance(seconds=61)
    assert server.run(server.ctx.service("bundles").watch()) == 1
    kinds = sorted(m["kind"] for m in db_find(server, "outbox", {"user_id": r.id}))
    # Three cases through four steps each, and their licences: the resident hears of the bundle three times.
    assert [k for k in kinds if not k.startswith("licence.")] == ["bundle.completed", "bundle.progress",
                                                                  "bundle.submitted"]
    relogin(api, r)

    def delivered() -> dict[str, Any] | None:
        found = {m["kind"]: m for m in inbox(api, r) if m["kind"].startswith("bundle.")}
        return found if len(found) == 3 else None
    texts = eventually(delivered, timeout=30)
    assert b["serial"] in texts["bundle.progress"]["text"] and "一件事编号" in texts["bundle.progress"]["text"]
    assert "欢迎在小程序中对各事项的服务进行评价" in texts["bundle.completed"]["text"]
    assert texts["bundle.completed"]["title"] == "“一件事”已办结"


def test_a_bundle_withdrawn_by_the_resident_is_withdrawn(api: Api, server: AppServer, clock) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    b = _bundle(api, r)
    for c in b["applications"]:
        assert api.post(f"/api/v1/applications/{c['id']}/withdraw", token=r.access_token).status_code == 200
    clock.advance(seconds=61)
    assert server.run(server.ctx.service("bundles").watch()) == 1
    got = api.get(f"/api/v1/bundles/{b['id']}", token=relogin(api, r).access_token).json()
    assert got["status"] == "withdrawn" and got["status_name"] == "已撤回" and got["done"] is True
    done = eventually(lambda: [m for m in inbox(api, r) if m["kind"] == "bundle.completed"])
    assert done[0]["title"] == "“一件事”已撤回" and "未获批准" not in done[0]["text"]


def test_a_licence_issued_and_revoked_tells_its_holder(api: Api, server: AppServer, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    consent(api, r, "case_progress", n=10)
    svc = service(api, "SC-GTH")
    case = api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"name": "张记早点铺"},
                                             "materials": ["id_card"]}, token=r.access_token).json()
    for to, who in (("accepted", "clerk"), ("in_review", "clerk"), ("approved", "approver"), ("completed", "clerk")):
        assert move(api, staff[who], case["id"], to, **waive_promises(to)).status_code == 200
    lic = api.get("/api/v1/me/licences", token=r.access_token).json()["items"][0]
    issued = eventually(lambda: [m for m in inbox(api, r) if m["kind"] == "licence.issued"])
    assert len(issued) == 1 and issued[0]["title"] == "电子证照已签发"
    assert lic["number"] in issued[0]["text"] and case["serial"] in issued[0]["text"]
    assert "长期有效" in issued[0]["text"]
    assert api.post(f"/api/v1/staff/licences/{lic['id']}/revoke", {"reason": "登记事项有误，依申请撤销"},
                    token=staff["approver"]).status_code == 200
    assert api.post(f"/api/v1/staff/licences/{lic['id']}/revoke", {"reason": "再次"},
                    token=staff["approver"]).status_code == 409
    revoked = eventually(lambda: [m for m in inbox(api, relogin(api, r)) if m["kind"] == "licence.revoked"])
    assert len(revoked) == 1 and "登记事项有误，依申请撤销" in revoked[0]["text"]
    def pushes() -> list[dict[str, Any]] | None:
        found = [p for p in wechat_messages(api, r.openid)
                 if p["data"].get("phrase2", {}).get("value") in ("已签发", "已撤销")]
        return found if len(found) == 2 else None
    assert {p["page"] for p in eventually(pushes)} == {"pages/me/licences/index"}
