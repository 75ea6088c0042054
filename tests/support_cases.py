"""Factories for case tests."""
from __future__ import annotations

import time
from typing import Any, Callable

from tests.support import Api, ResidentHandle


def service(api: Api, code: str = "HJ-QIANRU") -> dict[str, Any]:
    return next(s for s in api.get("/api/v1/services").json()["items"] if s["code"] == code)


def submit(api: Api, resident: ResidentHandle, *, code: str = "HJ-QIANRU", materials: list[str] | None = None,
           form: dict | None = None) -> dict[str, Any]:
    svc = service(api, code)
    mats = materials if materials is not None else [m["key"] for m in svc["guide"]["materials"] if m["required"] and not m["tolerable"]]
    r = api.post("/api/v1/applications", {"service_id": svc["id"], "form": form or {"reason": "投靠配偶"},
                                          "materials": mats}, token=resident.access_token)
    assert r.status_code == 201, r.text
    return r.json()


def move(api: Api, token: str, case_id: str, to: str, **extra: Any):  # noqa: ANN201
    return api.post(f"/api/v1/staff/applications/{case_id}/transition", {"to": to, **extra}, token=token)


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
