"""Factories for case tests."""
from __future__ import annotations

import time
from typing import Any, Callable

from tests.support import Api, AppServer, ResidentHandle, new_resident, staff_login


def service(api: Api, code: str = "HJ-QIANRU") -> dict[str, Any]:
    return next(s for s in api.get("/api/v1/services").json()["items"] if s["code"] == code)


def submit(api: Api, resident: ResidentHandle, *, code: str = "HJ-QIANRU", materials: list[str] | None = None,
           form: dict | None = None) -> dict[str, Any]:
    svc = service(api, code)
    mats = materials if materials is not None else [m["key"] for m in svc["guide"]["materials"]
                                                    if m["required"] and not m["tolerable"]]
    r = api.post("/api/v1/applications", {"service_id": svc["id"], "form": form or {"reason": "投靠配偶"},
                                          "materials": mats}, token=resident.access_token)
    assert r.status_code == 201, r.text
    return r.json()


def move(api: Api, token: str, case_id: str, to: str, **extra: Any):  # noqa: ANN201
    return api.post(f"/api/v1/staff/applications/{case_id}/transition", {"to": to, **extra}, token=token)


def rated_refusal(api: Api, score: int = 1) -> tuple[ResidentHandle, dict[str, Any], dict[str, Any]]:
    """A verified resident's case refused (材料不全) and rated ``score`` stars (1–2 open a
    rectification order): the resident, the case and the rating."""
    resident = new_resident(api, verified=True)
    case = submit(api, resident, form={"contact_phone": "13800138000", "note": "请尽快办理", "reason": "投靠配偶"})
    approver = staff_login(api, role="approver")["access_token"]
    assert move(api, approver, case["id"], "rejected", reason="材料不全").status_code == 200
    rated = api.post(f"/api/v1/applications/{case['id']}/rating", {"score": score, "comment": "等了很久"},
                     token=resident.access_token)
    assert rated.status_code == 201, rated.text
    return resident, case, rated.json()


def waive_promises(to: str) -> dict[str, str]:
    """The transition's extra for ``to``: completing with a 容缺 material still promised takes the
    clerk's reason."""
    return {"promise_reason": "已在窗口核验原件"} if to == "completed" else {}


def relogin(api: Api, resident: ResidentHandle) -> ResidentHandle:
    """A fresh access token (after the clock moved past its expiry)."""
    r = api.post("/api/v1/auth/wechat-login", {"code": resident.openid[2:]})
    assert r.status_code == 200, r.text
    resident.access_token = r.json()["access_token"]
    return resident


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def consent(api: Api, resident: ResidentHandle, key: str = "case_progress", n: int = 1) -> None:
    """The resident taps 允许 in wx.requestSubscribeMessage n times: WeChat records it, and so do we."""
    subs = api.get("/api/v1/me/subscriptions", token=resident.access_token).json()
    tid = next(t["template_id"] for t in subs["templates"] if t["key"] == key)
    assert api.post("/sandbox/wechat/subscriptions", {"openid": resident.openid, "template_ids": [tid],
                                                      "count": n}).status_code == 200
    for _ in range(n):
        assert api.post("/api/v1/me/subscriptions", {"accepted": [key]}, token=resident.access_token).status_code == 200


def wechat_messages(api: Api, openid: str) -> list[dict[str, Any]]:
    """Subscribe messages the WeChat stand-in received for ``openid``."""
    return api.get("/sandbox/wechat/messages", params={"openid": openid}).json()["items"]


def inbox(api: Api, resident: ResidentHandle) -> list[dict[str, Any]]:
    return api.get("/api/v1/me/inbox", params={"limit": 100}, token=resident.access_token).json()["items"]


def outbox_rows(server: AppServer, user_id: str) -> list[dict[str, Any]]:
    async def q() -> list[dict[str, Any]]:
        return await server.ctx.db["outbox"].find({"user_id": user_id}).to_list(None)
    return server.run(q())
