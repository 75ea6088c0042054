"""What keeps the books right at the edge: no double orders, money only in whole fen, no guessing receipts."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.support import Api, assert_error, new_resident, staff_login
from tests.support_payments import client, confirm_wechat, create_case, finance_token, paid_order, pay_wechat, prepay_id

ITEMS = [{"name": "不动产登记费", "amount_fen": 8000}, {"name": "工本费", "amount_fen": 1000}]


def _order(api, token, case_id, items):
    return api.post("/api/v1/staff/payments", {"application_id": case_id, "items": items}, token=token)


def test_a_second_identical_order_is_refused_naming_the_open_one(api, server) -> None:
    resident = new_resident(api, verified=True)
    case_id = create_case(api, resident=resident)
    token = finance_token(api)
    first = _order(api, token, case_id, ITEMS)
    assert first.status_code == 201
    # the same items in another order are the same order
    err = assert_error(_order(api, token, case_id, list(reversed(ITEMS))), 409, "duplicate_order")
    assert err["details"]["payment_id"] == first.json()["id"] and err["details"]["status"] == "unpaid"
    # one of its fees alone is the same fee: fees are identified by their item code, not named
    err = assert_error(_order(api, token, case_id, [{"name": "证书工本费", "amount_fen": 1000}]), 409,
                       "duplicate_order")
    assert err["details"]["item_code"] == "103044606003"
    # a different fee for the same case may still be raised
    other = _order(api, token, case_id, [{"name": "加急费", "amount_fen": 1000}])
    assert other.status_code == 201
    # once the first is paid it still counts: charging the same items again would charge twice
    confirm_wechat(api, prepay_id(pay_wechat(api, resident, first.json()["id"])))
    assert_error(_order(api, token, case_id, ITEMS), 409, "duplicate_order")
    # a closed order frees its items
    assert api.post(f"/api/v1/staff/payments/{other.json()['id']}/close", {"reason": "开错"},
                    token=token).status_code == 200
    assert _order(api, token, case_id, [{"name": "加急费", "amount_fen": 1000}]).status_code == 201


def test_identical_orders_at_the_same_moment_make_one(api, server) -> None:
    resident = new_resident(api, verified=True)
    case_id = create_case(api, resident=resident)
    token = finance_token(api)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: _order(Api(server.base), token, case_id, ITEMS), range(6)))
    created = [r for r in answers if r.status_code == 201]
    assert len(created) == 1, [r.text for r in answers]
    for r in answers:
        if r.status_code != 201:
            assert assert_error(r, 409, "duplicate_order")["details"]["payment_id"] == created[0].json()["id"]
    listed = api.get(f"/api/v1/staff/payments?application_id={case_id}", token=token).json()["items"]
    assert len(listed) == 1


def test_an_amount_with_a_fraction_is_refused_on_every_money_endpoint(api, server) -> None:
    resident, p = paid_order(api, server, channel="alipay")
    token = finance_token(api)
    case_id = create_case(api, resident=new_resident(api, verified=True))
    for amount in ("100.0", "1e2", "99.5"):
        body = '{"application_id": "%s", "items": [{"name": "工本费", "amount_fen": %s}]}' % (case_id, amount)
        r = api.request("POST", "/api/v1/staff/payments", data=body, token=token,
                        headers={"Content-Type": "application/json"})
        assert assert_error(r, 400, "invalid_input")["details"]["fields"] == {"items.0.amount_fen": "应为整数"}
        body = '{"amount_fen": %s, "reason": "退款", "request_id": "%s"}' % (amount, uuid.uuid4().hex)
        r = api.request("POST", f"/api/v1/staff/payments/{p['id']}/refunds", data=body, token=token,
                        headers={"Content-Type": "application/json"})
        assert assert_error(r, 400, "invalid_input")["details"]["fields"] == {"amount_fen": "应为整数"}
    assert api.get(f"/api/v1/staff/payments?application_id={case_id}", token=token).json()["items"] == []
    assert api.get(f"/api/v1/staff/payments/{p['id']}", token=token).json()["refunds"] == []
    # the one other money field, a service's fee, is refused the same way
    service_id = api.get("/api/v1/services").json()["items"][0]["id"]
    guide = ('{"guide": {"materials": [], "fee_fen": 100.0, "statutory_days": 1, "promised_days": 1, "online": true, '
             '"bookable": true, "visit_required": true, "max_visits": 1}}')
    r = api.request("PATCH", f"/api/v1/staff/services/{service_id}", data=guide,
                    token=staff_login(api, role="hall_manager")["access_token"],
                    headers={"Content-Type": "application/json"})
    assert assert_error(r, 400, "invalid_input")["details"]["fields"] == {"guide.fee_fen": "应为整数"}


def test_receipt_verification_is_limited_per_client_address(api, server, clock) -> None:
    resident, p = paid_order(api, server, channel="alipay")
    r = api.get(f"/api/v1/receipts/{p['receipt_id']}", token=resident.access_token).json()
    now = clock.now()  # start at the top of a minute, so all of this falls in one window of the limit
    clock.advance(seconds=60 - now.second - now.microsecond / 1e6 + 0.5)
    good = f"code={r['code']}&number={r['number']}&check={r['check_code']}"
    limit = server.config.ratelimit.verify_per_ip_per_minute
    guesser = client("203.0.113.77")
    for i in range(limit):  # guesses and genuine checks count alike
        if i % 2:
            assert api.get(f"/api/v1/receipts/verify?{good}", headers=guesser).status_code == 200
        else:
            guess = f"code={r['code']}&number={r['number']}&check={i:010d}"
            assert_error(api.get(f"/api/v1/receipts/verify?{guess}", headers=guesser), 404, "not_found")
    refused = api.get(f"/api/v1/receipts/verify?{good}", headers=guesser)
    err = assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) == err["details"]["retry_after_seconds"] > 0
    page = api.get(f"/verify/receipt?{good}", headers=guesser)  # the page shares the limit
    assert page.status_code == 429 and "Retry-After" in page.headers and "查验过于频繁" in page.text
    # another address is not affected
    assert api.get(f"/api/v1/receipts/verify?{good}", headers=client("203.0.113.78")).json()["valid"] is True
