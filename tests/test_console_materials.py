"""Staff console in headless Chromium: a case's materials with thumbnails, a picture and a PDF
opened full size, an e-licence given instead of paper, materials judged, and the correction
request naming the one judged not acceptable."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support import Api, AppServer, fetch_licences, new_resident
from tests.support_cases import service
from tests.support_files import jpeg_bytes, pdf_bytes, uploaded

pytestmark = pytest.mark.browser


def case_with_materials(api: Api) -> dict[str, Any]:
    """户口迁入 with a licence (ID card), paper (户口簿), a PDF (亲属关系证明) and a photo (住所证明)."""
    r = new_resident(api, verified=True)
    assert api.post("/sandbox/licences", {"id_number": r.id_number, "type": "id_card"}).status_code == 201
    lic = fetch_licences(api, r, {"purpose": "wallet"}).json()["items"][0]
    photo = uploaded(api, r, jpeg_bytes(size=(1200, 900), colour=(30, 140, 90)), name="住所证明.jpg")
    pdf = uploaded(api, r, pdf_bytes("Marriage certificate"), name="结婚证.pdf", content_type="application/pdf")
    svc = service(api, "HJ-QIANRU")
    resp = api.post("/api/v1/applications", {
        "service_id": svc["id"], "form": {"reason": "投靠配偶"}, "materials": ["hukou"],
        "licences": [{"material_key": "id_card", "licence_id": lic["id"]}],
        "attachments": [{"material_key": "relation", "file_id": pdf["id"]},
                        {"material_key": "housing", "file_id": photo["id"]}]}, token=r.access_token)
    assert resp.status_code == 201, resp.text
    return {**resp.json(), "resident": r, "photo": photo, "pdf": pdf, "licence": lic}


def test_clerk_views_and_judges_materials_then_asks_for_the_rejected_one(console, api: Api,
                                                                        server: AppServer) -> None:
    case = case_with_materials(api)
    c = console("materials-clerk").login_as("clerk").go(f"case/{case['id']}")
    p = c.page
    rows = p.locator("section.materials")
    rows.locator('tr[data-material="housing"] img.thumb[src^="blob:"]').wait_for()
    assert p.evaluate("() => document.querySelector('tr[data-material=\"housing\"] img.thumb').naturalWidth") > 0
    assert "PDF" in rows.locator('tr[data-material="relation"]').inner_text()
    licence_row = rows.locator('tr[data-material="id_card"]').inner_text()
    assert "电子证照" in licence_row and case["licence"]["number"] in licence_row
    # ticked online, nothing uploaded: said so, not "paper at the window"
    assert "网上勾选（未上传，待窗口核验）" in rows.locator('tr[data-material="hukou"]').inner_text()
    c.shot("materials")

    # The photo, full size.
    rows.locator(f'button.file-tile[data-file-id="{case["photo"]["id"]}"]').click()
    viewer = p.locator("dialog.file-viewer[open]")
    viewer.locator("img.viewer-img").wait_for()
    assert p.evaluate("() => document.querySelector('dialog.file-viewer img').naturalWidth") == 1200
    c.shot("photo")
    viewer.get_by_role("button", name="关闭").click()
    viewer.wait_for(state="detached")

    # The PDF, in the browser's PDF viewer.
    rows.locator(f'button.file-tile[data-file-id="{case["pdf"]["id"]}"]').click()
    frame = p.locator("dialog.file-viewer[open] iframe.viewer-pdf")
    frame.wait_for()
    assert frame.get_attribute("src").startswith("blob:")
    assert frame.get_attribute("data-type") == "application/pdf"
    assert frame.get_attribute("data-size") == str(case["pdf"]["size_bytes"])
    c.shot("pdf")
    p.locator("dialog.file-viewer[open]").get_by_role("button", name="关闭").click()

    # Judge: the licence accepted, the photo not acceptable (a reason is required).
    rows.locator('tr[data-material="id_card"] button[data-review="accepted"]').click()
    rows.locator('tr[data-material="id_card"] span.badge').filter(has_text=re.compile("^认可$")).wait_for()
    p.get_by_text("已认可：居民身份证").wait_for()
    housing = rows.locator('tr[data-material="housing"]')
    housing.locator('button[data-review="rejected"]').click()
    p.get_by_text("请填写“合法稳定住所证明”不予认可的原因").wait_for()
    housing = p.locator('section.materials tr[data-material="housing"]')
    housing.get_by_label("合法稳定住所证明 不予认可的原因").fill("照片模糊，看不清地址")
    housing.locator('button[data-review="rejected"]').click()
    p.locator('section.materials tr[data-material="housing"] .review-rejected').filter(
        has_text="照片模糊，看不清地址").wait_for()
    c.shot("judged")

    # The correction request names the rejected material by default.
    p.get_by_role("button", name="要求补正").click()
    box = p.locator('fieldset input[name="missing"][value="housing"]')
    assert box.is_checked()
    assert not p.locator('fieldset input[name="missing"][value="id_card"]').is_checked()
    p.get_by_role("button", name="确认提交").click()
    p.locator(".case-detail .status").filter(has_text="待补正").wait_for()
    mine = api.get(f"/api/v1/applications/{case['id']}", token=case["resident"].access_token).json()
    assert mine["correction"]["materials"] == ["housing"]
    assert mine["correction"]["missing"] == ["合法稳定住所证明：照片模糊，看不清地址"]


def test_a_supervisor_sees_the_list_but_not_the_files(console, api: Api, server: AppServer) -> None:
    case = case_with_materials(api)
    s = console("materials-supervisor").login_as("supervisor").go(f"case/{case['id']}")
    p = s.page
    housing = p.locator('section.materials tr[data-material="housing"]')
    housing.locator(".thumb-missing").wait_for()  # the thumbnail is refused (not a role that handles cases)
    assert p.locator("section.materials button[data-review]").count() == 0
