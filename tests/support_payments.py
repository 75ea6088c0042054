"""Factories and helpers for the payment tests (keyword-only, as tests/support.py)."""
from __future__ import annotations

import uuid
from typing import Any

from tests.support import Api, AppServer, ResidentHandle, new_resident, staff_login


def create_case(api: Api, *, resident: ResidentHandle, code: str = "BDC-BF") -> str:
    """A case (办件) the resident applied for online and a clerk accepted, through the API."""
    from tests.support_cases import move, submit
    case = submit(api, resident, code=code)
    assert move(api, staff_login(api, role="clerk")["access_token"], case["id"], "accepted").status_code == 200
    return case["id"]


def create_order(api: Api, server: AppServer, *, resident: ResidentHandle | None = None,
                 items: list[dict[str, Any]] | None = None, role: str = "finance") -> tuple[ResidentHandle, dict]:
    resident = resident or new_resident(api, verified=True)
    case_id = create_case(api, resident=resident)
    token = staff_login(api, role=role)["access_token"]
    r = api.post("/api/v1/staff/payments", {"application_id": case_id,
                                             "items": items or [{"name": "不动产登记费", "amount_fen": 8000},
                                                                {"name": "工本费", "amount_fen": 1000}]}, token=token)
    assert r.status_code == 201, r.text
    return resident, r.json()


def pay_wechat(api: Api, resident: ResidentHandle, payment_id: str) -> dict[str, Any]:
    r = api.post(f"/api/v1/payments/{payment_id}/pay", {"channel": "wechat"}, token=resident.access_token)
    assert r.status_code == 200, r.text
    return r.json()


def prepay_id(pay: dict[str, Any]) -> str:
    return pay["request_payment"]["package"].removeprefix("prepay_id=")


def confirm_wechat(api: Api, prepay: str, *, notify: bool = True) -> dict[str, Any]:
    r = api.post("/sandbox/wechatpay/confirm", {"prepay_id": prepay, "notify": notify})
    assert r.status_code == 200, r.text
    return r.json()


def finance_token(api: Api) -> str:
    return staff_login(api, role="finance")["access_token"]


def db_find(server: AppServer, collection: str, q: dict[str, Any]) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        assert server.ctx is not None
        return await server.ctx.db[collection].find(q).to_list(None)
    return server.run(run())


def paid_order(api: Api, server: AppServer, *, channel: str = "wechat", items: list[dict[str, Any]] | None = None,
               code: str = "BDC-BF") -> tuple[ResidentHandle, dict[str, Any]]:
    """An order paid through the channel's stand-in, as the payment view shows it afterwards."""
    resident = new_resident(api, verified=True)
    case_id = create_case(api, resident=resident, code=code)
    r = api.post("/api/v1/staff/payments", {"application_id": case_id,
                                             "items": items or [{"name": "不动产登记费", "amount_fen": 8000},
                                                                {"name": "工本费", "amount_fen": 1000}]},
                 token=finance_token(api))
    assert r.status_code == 201, r.text
    order = r.json()
    if channel == "wechat":
        confirm_wechat(api, prepay_id(pay_wechat(api, resident, order["id"])))
    else:
        pay = api.post(f"/api/v1/payments/{order['id']}/pay", {"channel": "alipay"}, token=resident.access_token)
        assert pay.status_code == 200, pay.text
        assert api.post("/sandbox/alipay/confirm",
                        {"out_trade_no": pay.json()["out_trade_no"]}).json()["notify_answer"] \
            == "success"
    return resident, api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()


def refund(api: Api, token: str, payment_id: str, amount_fen: int, reason: str = "退款") -> dict[str, Any]:
    r = api.post(f"/api/v1/staff/payments/{payment_id}/refunds",
                 {"amount_fen": amount_fen, "reason": reason, "request_id": uuid.uuid4().hex}, token=token)
    assert r.status_code == 201, r.text
    return r.json()


def settle_wechat_refunds(server: AppServer) -> None:
    """The WeChat Pay stand-in's bank side finishes refunds and sends their notices."""
    server.run(server.ctx.wired.sandbox.standins["wechatpay"].run_due())


def client(address: str) -> dict[str, str]:
    """Headers that make a request come from ``address`` (the tests' proxy is trusted)."""
    return {"X-Forwarded-For": address}
