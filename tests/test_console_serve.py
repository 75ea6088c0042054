"""Staff console in headless Chromium: the 12345 hotline triages (assign, merge, answer), a
department replies, a supervisor reads the figures; a clerk files for a resident under their grant
and with their 办事码 (帮办代办)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import Api, AppServer, ResidentHandle, fetch_licences, new_resident, staff_login
from tests.support_cases import rated_refusal, service
from tests.support_files import jpeg_bytes, uploaded
from tests.support_people import unique_name

pytestmark = pytest.mark.browser


def complain(api: Api, resident: ResidentHandle, content: str, category: str = "complaint") -> dict[str, Any]:
    r = api.post("/api/v1/complaints", {"category": category, "content": content, "location": "建华区新明大街 28 号",
                                        "contact_ok": True}, token=resident.access_token)
    assert r.status_code == 201, r.text
    return r.json()


def test_hotline_triages_and_the_department_replies(console, api: Api, server: AppServer) -> None:
    first, second, third = (new_resident(api) for _ in range(3))
    master = complain(api, first, "建华区政务服务中心门口盲道被共享单车占满")
    dup = complain(api, second, "政务服务中心门口的盲道上停满了单车")
    question = complain(api, third, "请问公积金提取要带哪些材料？", "consultation")
    dept = next(d for d in api.get("/api/v1/departments").json()["items"] if d["code"] == "SAMR")

    c = console("hotline-triage").login_as("hotline").go("hotline/triage")
    p = c.page
    card = p.locator(f'article.complaint[data-serial="{master["serial"]}"]')
    card.get_by_label("承办部门").select_option(dept["id"])
    card.get_by_role("button", name="分派").click()
    p.get_by_text(f"{master['serial']}：已分派到{dept['name']}").wait_for()
    dup_card = p.locator(f'article.complaint[data-serial="{dup["serial"]}"]')
    dup_card.get_by_label("重复反映，合并到").fill(master["serial"].lower())
    dup_card.get_by_role("button", name="合并").click()
    p.get_by_text(f"{dup['serial']}：已合并到原工单").wait_for()
    q_card = p.locator(f'article.complaint[data-serial="{question["serial"]}"]')
    q_card.get_by_label("直接答复内容").fill("提取住房公积金请携带身份证、购房合同和本人银行卡，可在小程序在线申请。")
    q_card.get_by_role("button", name="直接答复").click()
    p.get_by_text(f"{question['serial']}：已直接答复").wait_for()
    expect(p.locator(f'article.complaint[data-serial="{master["serial"]}"]')).to_have_count(0)  # no longer waiting
    c.shot("triaged")

    d = console("department-reply").login_as("clerk").go("hotline/reply")
    p = d.page
    p.get_by_label("承办部门").select_option(dept["id"])
    # The list is redrawn for the department chosen: typing into the card it replaces would be lost.
    p.wait_for_load_state("networkidle")
    card = p.locator(f'article.complaint[data-serial="{master["serial"]}"]')
    card.wait_for()
    assert "同意联系" in card.inner_text()
    card.get_by_label("答复内容").fill("已协调城管部门清理盲道，并设置共享单车停放区。")
    card.get_by_role("button", name="答复群众").click()
    p.get_by_text(f"{master['serial']}：已答复").wait_for()
    d.shot("replied")

    mine = api.get(f"/api/v1/complaints/{master['id']}", token=first.access_token).json()
    assert mine["status"] == "replied" and mine["reply"]["by"] == dept["name"]
    theirs = api.get(f"/api/v1/complaints/{dup['id']}", token=second.access_token).json()
    assert theirs["status"] == "closed" and theirs["reply"]["text"] == mine["reply"]["text"]
    assert api.get(f"/api/v1/complaints/{question['id']}",
                   token=third.access_token).json()["reply"]["by"] == "12345热线"

    s = console("complaint-figures").login_as("supervisor").go("hotline/figures")
    row = s.page.locator(f'tr[data-department="{dept["name"]}"]')
    row.wait_for()
    assert "100%" in row.inner_text()


def test_clerk_files_for_a_resident_under_a_grant_and_with_the_identity_code(console, api: Api) -> None:
    elder = new_resident(api, verified=True)
    assert api.post("/sandbox/licences", {"id_number": elder.id_number, "type": "hukou"}).status_code == 201
    assert fetch_licences(api, elder, {"purpose": "wallet"}).status_code == 200
    sfz = service(api, "HJ-SFZ")
    g = api.post("/api/v1/me/authorizations", {"grantee": {"type": "staff", "username": "clerk1"}, "days": 7,
                                               "service_ids": [sfz["id"]]}, token=elder.access_token)
    assert g.status_code == 201, g.text

    c = console("agency-desk").login_as("clerk").go("clerk/agency")
    p = c.page
    p.get_by_label("查找居民").fill(elder.id_number)
    p.get_by_role("button", name="查找", exact=True).click()
    grant = p.locator(f'.grant[data-grant="{g.json()["id"]}"]')
    grant.wait_for()
    assert "居民身份证换领" in grant.inner_text()
    grant.get_by_role("button", name="凭此授权办理").click()
    form = p.locator("form.agency-form")
    form.get_by_label("使用授权人的电子证照", exact=False).wait_for()
    assert form.get_by_label("事项").locator("option").count() == 1  # only what the grant covers
    form.get_by_label("原居民身份证").check()
    # The grantor's 电子户口簿 is offered under the grant: given instead of the paper book.
    form.get_by_label("使用授权人的电子证照", exact=False).check()
    form.get_by_label("申请说明").fill("老人行动不便，委托帮办员代为申请换领")
    form.get_by_role("button", name="代为提交").click()
    p.get_by_text("已为 ").wait_for()
    c.shot("filed-under-grant")
    cases = api.get("/api/v1/applications", token=elder.access_token).json()["items"]
    assert len(cases) == 1 and cases[0]["timeline"][0]["agent"]["name_masked"] == "王**"
    assert {m["key"]: m["source"] for m in cases[0]["materials"]}["hukou"] == "licence"
    assert cases[0]["serial"] in p.locator("main .messages").first.inner_text()

    # At the window: the resident shows their 办事码 and is served in person.
    walk_in = new_resident(api, verified=True)
    code = api.get("/api/v1/me/identity-code", token=walk_in.access_token).json()["code"]
    p.get_by_label("居民办事码").fill(code)
    p.get_by_label("居民办事码").press("Enter")
    present = p.locator('.grant[data-via="identity_code"]')
    present.wait_for()
    present.get_by_role("button", name="为其办理").click()
    form = p.locator("form.agency-form")
    form.get_by_label("事项").select_option(sfz["id"])
    form.get_by_label("原居民身份证").check()
    form.get_by_label("居民户口簿").check()
    form.get_by_role("button", name="代为提交").click()
    p.get_by_text("已为 ").wait_for()
    assert len(api.get("/api/v1/applications", token=walk_in.access_token).json()["items"]) == 1

    # Someone who granted nothing: found, but nothing to file with.
    stranger = new_resident(api, verified=True, name="阿依古丽·买买提")
    p.get_by_label("查找居民").fill(stranger.id_number)
    p.get_by_role("button", name="查找", exact=True).click()
    p.get_by_text("该居民没有给您的有效授权").wait_for()
    # A stale code is refused in Chinese.
    p.get_by_label("居民办事码").fill(code[:-4] + "AAAA")
    p.get_by_label("居民办事码").press("Enter")
    p.locator('main [data-code="authorization_required"]').wait_for()
    c.shot("refused")


def test_the_hotline_sees_the_photos_a_resident_attached(console, api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    photo = uploaded(api, r, jpeg_bytes())
    c_ = api.post("/api/v1/complaints", {"category": "complaint", "content": "大厅二楼等候区空调坏了，很热",
                                         "attachments": [photo["id"]], "contact_ok": False}, token=r.access_token)
    assert c_.status_code == 201, c_.text
    serial = c_.json()["serial"]
    c = console("hotline-photos").login_as("hotline").go("hotline/triage")
    p = c.page
    card = p.locator(f'article.complaint[data-serial="{serial}"]')
    card.get_by_text("群众附照片 1 张").wait_for()
    thumb = card.locator(f'.file-tile[data-file-id="{photo["id"]}"] img.thumb')
    expect(thumb).to_have_attribute("src", re.compile("^blob:"))
    card.get_by_role("button", name="查看 照片1").click()
    viewer = p.locator(f'dialog.file-viewer[data-file-id="{photo["id"]}"] img.viewer-img')
    viewer.wait_for()
    assert viewer.evaluate("img => img.complete && img.naturalWidth > 0")


def test_the_hotline_calls_back_on_the_phone_a_resident_left(console, api: Api, server: AppServer) -> None:
    r = new_resident(api)
    made = api.post("/api/v1/complaints", {"category": "request", "content": "家门口的路灯坏了一周", "contact_ok": True,
                                           "contact_phone": "13900139000"}, token=r.access_token)
    assert made.status_code == 201, made.text
    serial = made.json()["serial"]
    c = console("hotline-contact").login_as("hotline").go("hotline/triage")
    card = c.page.locator(f'article.complaint[data-serial="{serial}"]')
    expect(card.locator(".contact-phone")).to_have_text("139****9000")
    card.get_by_role("button", name="查看完整号码").click()
    expect(card.locator(".contact-phone")).to_have_text("13900139000")


def test_a_bundle_its_cases_and_its_one_payment_order_on_screen(console, api: Api, server: AppServer) -> None:
    from tests.test_bundles import _fee_event, apply

    event_id = _fee_event(api)
    resident = new_resident(api, verified=True, name=unique_name())
    form = {"property_address": "建华区新明大街 28 号 1 单元 602 室", "contact_phone": "13700003333"}
    materials = ["ids", "cert", "contract", "tax", "id_card", "notice"]
    earlier = apply(api, resident, event_id, form, materials)
    assert earlier.status_code == 201, earlier.text
    made = apply(api, resident, event_id, form, materials)
    assert made.status_code == 201, made.text
    bundle = made.json()
    c = console("bundle-finance").login_as("finance").go("bundles")
    p = c.page
    p.get_by_label("查找一件事").fill(bundle["serial"].lower())
    p.get_by_role("button", name="查找").click()
    card = p.locator(f'article.bundle[data-serial="{bundle["serial"]}"]')
    card.wait_for()
    for case in bundle["applications"]:
        expect(card.locator(f'tr[data-serial="{case["serial"]}"]')).to_contain_text(case["service_name"])
    card.get_by_role("button", name="开具一张缴款单").click()
    p.get_by_text("已开具缴款单").wait_for()
    expect(card.locator(".bundle-payment")).to_have_attribute("data-status", "unpaid")
    staff_view = api.get(f"/api/v1/staff/bundles/{bundle['id']}", token=c.token()).json()
    assert staff_view["payment"]["status"] == "unpaid"
    # A clerk finds the resident's bundles by their ID number, newest first, opens this one and sees
    # its order, and cannot raise one.
    k = console("bundle-clerk").login_as("clerk").go("bundles")
    k.page.get_by_label("查找一件事").fill(resident.id_number)
    k.page.get_by_role("button", name="查找").click()
    rows = k.page.locator(".bundle-lookup tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-serial", bundle["serial"])
    expect(rows.first).to_contain_text(resident.id_number[:4] + "*" * 10 + resident.id_number[-4:])
    assert resident.id_number not in k.page.content()
    k.page.get_by_role("button", name=f"查看 {bundle['serial']}").click()
    k.page.locator(f'article.bundle[data-serial="{bundle["serial"]}"] .bundle-payment') \
        .get_by_text("一张缴款单").wait_for()
    assert k.page.get_by_role("button", name="开具一张缴款单").count() == 0
    # A name that finds nobody says so, and leaves no earlier results beside it.
    k.page.get_by_label("查找一件事").fill(unique_name())
    k.page.get_by_role("button", name="查找").click()
    k.page.get_by_text("未找到一件事").wait_for()
    expect(k.page.locator("article.bundle")).to_have_count(0)


def test_a_department_answers_a_rectification_order_and_the_resident_is_told(console, api: Api,
                                                                              server: AppServer) -> None:
    _, case, rating = rated_refusal(api)
    rect_id = rating["rectification_id"]
    c = console("rectification-reply").login_as("approver").go("rectifications")
    p = c.page
    order = p.locator(f'article.rectification[data-rectification="{rect_id}"]')
    order.get_by_text("等了很久").wait_for()
    order.get_by_label("整改情况及答复").fill("已优化审核流程，材料不全时一次性告知所缺材料。")
    order.get_by_role("button", name="答复群众").click()
    p.get_by_text("已答复，群众将收到答复").wait_for()
    expect(p.locator(f'article.rectification[data-rectification="{rect_id}"]')).to_have_count(0)  # no longer open
    told = server.run(server.ctx.db["outbox"].find_one({"kind": "case.rectification_reply",
                                                        "payload.application_id": case["id"]}))
    assert told is not None and "一次性告知" in told["payload"]["reply"]


def test_an_approver_revokes_a_licence_a_case_issued_and_the_holder_is_told(console, api: Api,
                                                                            server: AppServer) -> None:
    from tests.test_licences import complete

    tokens = {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver")}
    resident = new_resident(api, verified=True)
    made = api.post("/api/v1/applications", {"service_id": service(api, "SC-GTH")["id"], "form": {"name": "张记早点铺"},
                                             "materials": ["id_card"]}, token=resident.access_token)
    assert made.status_code == 201, made.text
    case = complete(api, tokens, made.json()["id"])
    lic = api.get("/api/v1/me/licences", token=resident.access_token).json()["items"][0]
    assert api.get(f"/api/v1/staff/applications/{case['id']}/licence", token=tokens["clerk"]).json()["id"] == lic["id"]

    c = console("licence-revoke").login_as("approver").go(f"case/{case['id']}")
    p = c.page
    box = p.locator(f'.licence[data-licence="{lic["id"]}"]')
    expect(box).to_contain_text(lic["number"])
    box.get_by_role("button", name="撤销证照").click()
    box.get_by_text("请写明撤销理由").wait_for()
    box.get_by_label("撤销理由").fill("登记事项有误，依申请撤销")
    box.get_by_role("button", name="撤销证照").click()
    p.locator(f'.licence[data-licence="{lic["id"]}"][data-status="revoked"]').wait_for()
    p.get_by_text("已撤销，持证人将收到通知").wait_for()
    assert api.get(f"/api/v1/me/licences/{lic['id']}", token=resident.access_token).json()["status"] == "revoked"
    told = server.run(server.ctx.db["outbox"].find_one({"kind": "licence.revoked", "payload.number": lic["number"]}))
    assert told is not None
