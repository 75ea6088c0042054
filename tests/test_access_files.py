"""Who may see a stored file (材料), as a matrix: the owner, another resident and each staff role
get the status written here by hand, before and after the file is attached to a case. A file is
never 403: whoever may not see it is told it is not found."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, AppServer, new_resident, staff_login
from tests.support_cases import service
from tests.support_files import png_bytes, uploaded

ROLES = ("clerk", "approver", "hall_manager", "finance", "supervisor", "admin", "hotline")


@pytest.fixture(scope="module")
def who(server: AppServer) -> dict[str, Any]:
    api = Api(server.base)
    w: dict[str, Any] = {r: staff_login(api, role=r)["access_token"] for r in ROLES}
    w["owner"], w["other"] = new_resident(api, verified=True), new_resident(api, verified=True)
    w["loose"] = uploaded(api, w["owner"])
    return w


def _attach(api: Api, w: dict[str, Any], file_id: str) -> None:
    svc = service(api)
    mats = [m["key"] for m in svc["guide"]["materials"] if m["required"] and not m["tolerable"]]
    r = api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"reason": "投靠配偶"}, "materials": mats,
                                          "attachments": [{"material_key": mats[0], "file_id": file_id}]},
                 token=w["owner"].access_token)
    assert r.status_code == 201, r.text


ATTACHED = {"clerk": 200, "approver": 200, "hall_manager": 404, "finance": 404, "supervisor": 404,
            "admin": 404, "hotline": 404}


@pytest.mark.parametrize("tail", ["", "/content", "/thumbnail"])
def test_files_by_who_asks(api: Api, who: dict[str, Any], tail: str) -> None:
    loose = who["loose"]["id"]
    assert api.get(f"/api/v1/files/{loose}{tail}", token=who["owner"].access_token).status_code == 200
    assert api.get(f"/api/v1/files/{loose}{tail}", token=who["other"].access_token).status_code == 404
    for role in ROLES:  # not attached to a case: no member of staff sees it
        assert api.get(f"/api/v1/staff/files/{loose}{tail}", token=who[role]).status_code == 404, role
        assert api.get(f"/api/v1/files/{loose}{tail}", token=who[role]).status_code == 401, role
    assert api.get(f"/api/v1/staff/files/{loose}{tail}", token=who["owner"].access_token).status_code == 401


def test_an_attached_file_by_role(api: Api, who: dict[str, Any]) -> None:
    f = uploaded(api, who["owner"], png_bytes(size=(301, 200)), name="户口簿.png", content_type="image/png")
    assert api.get(f"/api/v1/staff/files/{f['id']}", token=who["clerk"]).status_code == 404
    _attach(api, who, f["id"])
    for role, status in ATTACHED.items():
        for tail in ("", "/content", "/thumbnail"):
            r = api.get(f"/api/v1/staff/files/{f['id']}{tail}", token=who[role])
            assert r.status_code == status, (role, tail, r.text)
    assert api.get(f"/api/v1/files/{f['id']}", token=who["other"].access_token).status_code == 404
