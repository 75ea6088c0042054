"""The sandbox's stand-ins in their own process (``sandbox.standins_mode = "process"``, serve's
default): the product reaches them there, the hooks stay on the app server, and the process is
supervised like the embedded database."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from tests.support import Api, new_resident, staff_login
from tests.support_cases import submit
from tests.support_payments import confirm_wechat, pay_wechat, prepay_id
from tests.test_serve import _gone, _start

pytestmark = pytest.mark.slow


def _standins(data: Path) -> dict[str, Any]:
    return dict(json.loads((data / "run" / "standins.json").read_text()))


def _until(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _ready(base: str) -> dict[str, Any]:
    r = requests.get(base + "/readyz", timeout=5)
    return {"code": r.status_code, **r.json()}


def test_login_binding_and_a_payment_go_through_the_standin_process(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, base = _start(data)
    try:
        apart = _standins(data)
        assert apart["pid"] != proc.pid and apart["owner_pid"] == proc.pid
        standins = f"http://127.0.0.1:{apart['port']}"
        ready = _ready(base)
        assert ready["code"] == 200 and ready["standins"] == "up"
        # The providers' protocol is served apart, not by the app server ...
        protocol = "/sandbox/wechat/sns/jscode2session?appid=x&secret=y&js_code=test-a"
        assert requests.get(base + protocol).status_code == 404
        assert requests.get(standins + protocol).json()["errcode"] == 40013
        # ... and the product reaches it there: WeChat login, then binding with a face verification
        # made through the hook on the app server and checked by the app with the stand-in process.
        api = Api(base)
        resident = new_resident(api, verified=True)
        me = api.get("/api/v1/me", token=resident.access_token).json()
        assert me["realname_verified"] is True

        case = submit(api, resident, code="BDC-BF")
        clerk = staff_login(api, role="clerk")["access_token"]
        assert api.post(f"/api/v1/staff/applications/{case['id']}/transition", {"to": "accepted"},
                        token=clerk).status_code == 200
        order = api.post("/api/v1/staff/payments", {"application_id": case["id"],
                                                     "items": [{"name": "不动产登记费", "amount_fen": 8000}]},
                         token=staff_login(api, role="finance")["access_token"])
        assert order.status_code == 201, order.text
        confirmed = confirm_wechat(api, prepay_id(pay_wechat(api, resident, order.json()["id"])))
        assert confirmed["notify_status"] == 204   # the app took the notice (WeChat Pay v3: 204, no body)
        paid = _until(lambda: (p := api.get(f"/api/v1/payments/{order.json()['id']}",
                                            token=resident.access_token).json())["status"] == "paid" and p)
        # One state whichever process serves it: the order the app placed with the stand-in process
        # is the one the hook on the app server confirmed and sent the notice of.
        notices = api.get("/sandbox/wechatpay/notices", params={"ref": paid["out_trade_no"]}).json()["items"]
        assert [n["state"] for n in notices] == ["delivered"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert _gone(apart["pid"]), "the stand-in process outlived serve"
    assert not (data / "run" / "standins.json").exists()


def test_a_dead_standin_process_is_started_again_and_readyz_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, base = _start(data)
    try:
        first = _standins(data)
        os.kill(first["pid"], signal.SIGKILL)
        down = _until(lambda: (r := _ready(base))["code"] == 503 and r)
        assert down["standins"] == "down" and down["database"] == "up"
        again = _until(lambda: (s := _standins(data))["pid"] != first["pid"] and s)
        assert again["port"] == first["port"]   # where every app process already looks for it
        _until(lambda: _ready(base)["code"] == 200)
        api = Api(base)
        assert new_resident(api, verified=True).id
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert _gone(again["pid"])
