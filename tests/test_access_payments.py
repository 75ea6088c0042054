"""Who reaches payment orders, receipts and reconciliation: every staff role, the payer and another
resident, against the API. The expectations are written out by hand, not read from the policy."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, new_resident, staff_login
from tests.support_payments import paid_order

ROLES = ("clerk", "approver", "hall_manager", "finance", "supervisor", "admin", "hotline")
OWNER, OTHER = "owner", "other"


@pytest.fixture(scope="module")
def world(server: Any) -> dict[str, Any]:
    api = Api(server.base)
    owner, order = paid_order(api, server)
    assert order["receipt_id"], order
    tokens = {role: staff_login(api, role=role)["access_token"] for role in ROLES}
    tokens[OWNER] = owner.access_token
    tokens[OTHER] = new_resident(api, verified=True).access_token
    return {"order": order, "tokens": tokens}


# (method, path, body, expected status by caller); callers left out get the "*" status.
CASES: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("GET", "/api/v1/payments/{pid}", None, {OWNER: 200, OTHER: 404, "*": 401}),
    ("POST", "/api/v1/payments/{pid}/pay", {"channel": "wechat"}, {OWNER: 409, OTHER: 404, "*": 401}),
    ("GET", "/api/v1/receipts/{rid}", None, {OWNER: 200, OTHER: 404, "*": 401}),
    ("GET", "/api/v1/receipts/{rid}/pdf", None, {OWNER: 200, OTHER: 404, "*": 401}),
    ("GET", "/api/v1/staff/payments/{pid}", None, {"clerk": 200, "finance": 200, OWNER: 401, OTHER: 401, "*": 403}),
    ("GET", "/api/v1/staff/payments", None, {"clerk": 200, "finance": 200, OWNER: 401, OTHER: 401, "*": 403}),
    # a paid order cannot be closed: finance reaches the rule (409), nobody else the order
    ("POST", "/api/v1/staff/payments/{pid}/close", {"reason": "测试"},
     {"finance": 409, OWNER: 401, OTHER: 401, "*": 403}),
    # more than was paid: refused by the rule for finance, by role for everyone else; nothing moves
    ("POST", "/api/v1/staff/payments/{pid}/refunds",
     {"amount_fen": 9001, "reason": "测试", "request_id": "access-matrix-1"},
     {"finance": 409, OWNER: 401, OTHER: 401, "*": 403}),
    ("GET", "/api/v1/staff/receipts?number=0000000000", None,
     {"clerk": 200, "finance": 200, OWNER: 401, OTHER: 401, "*": 403}),
    ("GET", "/api/v1/staff/red-receipts", None, {"finance": 200, OWNER: 401, OTHER: 401, "*": 403}),
    ("GET", "/api/v1/staff/reconciliation/alerts", None, {"finance": 200, OWNER: 401, OTHER: 401, "*": 403}),
    ("GET", "/api/v1/staff/reconciliation/reports", None, {"finance": 200, OWNER: 401, OTHER: 401, "*": 403}),
    ("GET", "/api/v1/staff/payee-units", None, {"clerk": 200, "finance": 200, OWNER: 401, OTHER: 401, "*": 403}),
]


@pytest.mark.parametrize("method,path,body,expected", CASES, ids=[f"{m} {p}" for m, p, _, _ in CASES])
def test_each_caller_gets_what_the_policy_allows(api: Api, world: dict[str, Any], method: str, path: str,
                                                 body: dict[str, Any] | None, expected: dict[str, int]) -> None:
    order = world["order"]
    url = path.format(pid=order["id"], rid=order["receipt_id"])
    got = {}
    for caller, token in world["tokens"].items():
        r = api.get(url, token=token) if method == "GET" else api.post(url, body or {}, token=token)
        got[caller] = r.status_code
    want = {caller: expected.get(caller, expected["*"]) for caller in world["tokens"]}
    assert got == want


def test_nothing_moved_for_the_refused(api: Api, world: dict[str, Any]) -> None:
    """The refused close and refund left the order as it was."""
    order = world["order"]
    r = api.get(f"/api/v1/payments/{order['id']}", token=world["tokens"][OWNER])
    assert r.status_code == 200
    assert r.json()["status"] == "paid" and r.json()["refunded_fen"] == 0 and r.json()["refunding_fen"] == 0
