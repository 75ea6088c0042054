"""Refunds reverse receipts: red-letter receipts (红字票据), exactly one per refund, and what verification says."""
from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pypdf
import requests
from bson import ObjectId

from tests.support import Api, assert_error, new_resident
from tests.support_payments import client, db_find, finance_token, paid_order, refund, settle_wechat_refunds


def _verify(api, r, address):
    q = f"code={r['code']}&number={r['number']}&check={r['check_code']}"
    return api.get(f"/api/v1/receipts/verify?{q}", headers=client(address))


def _staff_view(api, token, pid):
    return api.get(f"/api/v1/staff/payments/{pid}", token=token).json()


def test_full_refund_voids_the_receipt_with_a_red_letter_receipt(api, server) -> None:
    resident, p = paid_order(api, server)
    blue = api.get(f"/api/v1/receipts/{p['receipt_id']}", token=resident.access_token).json()
    token = finance_token(api)
    refund(api, token, p["id"], 9000, "申请撤回，全额退款")
    settle_wechat_refunds(server)
    view = _staff_view(api, token, p["id"])
    assert view["status"] == "refunded" and view["refunds"][0]["status"] == "success"
    red_id = view["refunds"][0]["red_receipt_id"]
    red = api.get(f"/api/v1/receipts/{red_id}", token=resident.access_token).json()
    assert red["kind"] == "red" and red["amount_fen"] == -9000 and red["amount_capitals"] == "负玖拾元整"
    assert red["original"] == {"id": blue["id"], "code": blue["code"], "number": blue["number"]}
    assert [i["amount_fen"] for i in red["items"]] == [-8000, -1000]  # every item reversed
    assert int(red["number"]) > int(blue["number"]) and red["code"] == blue["code"]  # the same sequence
    # the original no longer stands: verification says so, and so does the payer's own view
    v = _verify(api, blue, "198.51.100.31").json()
    assert v["valid"] is False and v["status"] == "voided" and v["refunded_fen"] == 9000
    assert ([(x["code"], x["number"], x["amount_fen"]) for x in v["red_receipts"]]
            == [(red["code"], red["number"], -9000)])
    assert api.get(f"/api/v1/receipts/{blue['id']}", token=resident.access_token).json()["status"] == "voided"
    # the red-letter receipt verifies on its own
    rv = _verify(api, red, "198.51.100.31").json()
    assert rv["valid"] is True and rv["kind"] == "red" and rv["amount_fen"] == -9000
    assert rv["original"] == {"code": blue["code"], "number": blue["number"]}
    # its PDF is red-lettered, names the receipt it reverses and the payer in full
    pdf = api.get(f"/api/v1/receipts/{red_id}/pdf", token=resident.access_token)
    assert pdf.status_code == 200
    text = "".join(pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    for expected in ("（红字）", f"冲红原票据：{blue['code']}-{blue['number']}", "-90.00", "负玖拾元整",
                     f"交款人：{resident.name}"):
        assert expected in text, (expected, text)
    # both appear in the payer's list; finance sees the red one in its list
    mine = {x["id"]: x for x in api.get("/api/v1/receipts", token=resident.access_token).json()["items"]}
    assert mine[blue["id"]]["status"] == "voided" and mine[red_id]["kind"] == "red"
    listed = api.get("/api/v1/staff/red-receipts", token=token).json()["items"]
    assert red_id in [x["id"] for x in listed]


def test_a_red_letter_receipt_still_being_numbered_is_numbered_when_its_payer_opens_it(api, server,
                                                                                     monkeypatch) -> None:
    """The refund is recorded and its red-letter receipt decided, so finance sees its id, but its
    number is not taken yet (the request recording it is still numbering, or its process died): the
    payer who opens it gets it whole, numbered once; another resident still finds nothing."""
    resident, p = paid_order(api, server)
    blue = api.get(f"/api/v1/receipts/{p['receipt_id']}", token=resident.access_token).json()
    receipts = server.ctx.service("payments").receipts

    async def not_yet(*_args):
        return 0

    monkeypatch.setattr(receipts, "number_pending_red", not_yet)
    monkeypatch.setattr(server.ctx.workers.jobs["payments.receipts"], "fn", not_yet)   # nor the job
    token = finance_token(api)
    refund(api, token, p["id"], 9000, "申请撤回，全额退款")
    settle_wechat_refunds(server)
    red_id = _staff_view(api, token, p["id"])["refunds"][0]["red_receipt_id"]
    [pending] = db_find(server, "refunds", {"red_receipt_id": ObjectId(red_id)})
    assert pending["red_receipt_pending"] is True and not db_find(server, "red_receipts", {"_id": ObjectId(red_id)})

    other = new_resident(api)
    assert_error(api.get(f"/api/v1/receipts/{red_id}", token=other.access_token), 404, "not_found")
    r = api.get(f"/api/v1/receipts/{red_id}", token=resident.access_token)
    assert r.status_code == 200, r.text
    red = r.json()
    assert red["kind"] == "red" and red["amount_fen"] == -9000 and red["code"] == blue["code"]
    assert int(red["number"]) > int(blue["number"])
    assert api.get(f"/api/v1/receipts/{red_id}/pdf", token=resident.access_token).status_code == 200
    assert [d["number"] for d in db_find(server, "red_receipts", {"_id": ObjectId(red_id)})] == [red["number"]]
    assert "red_receipt_pending" not in db_find(server, "refunds", {"_id": pending["_id"]})[0]


def test_partial_refund_issues_a_red_letter_receipt_for_the_refunded_amount(api, server) -> None:
    resident, p = paid_order(api, server, channel="alipay")  # Alipay refunds answer at once
    blue = api.get(f"/api/v1/receipts/{p['receipt_id']}", token=resident.access_token).json()
    token = finance_token(api)
    first = refund(api, token, p["id"], 3000, "部分事项未办理")
    assert first["status"] == "success" and first["red_receipt_id"]
    red = api.get(f"/api/v1/receipts/{first['red_receipt_id']}", token=resident.access_token).json()
    assert red["amount_fen"] == -3000 and red["items"] == [{"name": "部分退款（部分事项未办理）", "amount_fen": -3000}]
    v = _verify(api, blue, "198.51.100.32").json()
    assert v["valid"] is True and v["status"] == "partially_refunded" and v["refunded_fen"] == 3000
    assert api.get(f"/api/v1/receipts/{blue['id']}", token=resident.access_token).json()["refunded_fen"] == 3000
    # the rest: the second red-letter receipt completes the reversal
    second = refund(api, token, p["id"], 6000, "撤回申请")
    v = _verify(api, blue, "198.51.100.32").json()
    assert v["valid"] is False and v["status"] == "voided" and v["refunded_fen"] == 9000
    assert [x["amount_fen"] for x in v["red_receipts"]] == [-3000, -6000]
    assert second["red_receipt_id"] != first["red_receipt_id"]


def test_refund_notices_repeated_ten_times_in_parallel_produce_one_red_receipt(make_server) -> None:
    # no background workers: the app first hears of the refund's success from the ten notices below
    server = make_server(workers={"enabled": False})
    api = Api(server.base)
    resident, p = paid_order(api, server)
    token = finance_token(api)
    r = refund(api, token, p["id"], 2500, "多收退回")
    assert r["status"] == "processing"
    standin = server.ctx.wired.sandbox.standins["wechatpay"]
    assert standin.complete_refunds() == [r["out_refund_no"]]  # the bank side finishes; its notice is queued
    body = standin.notices(r["out_refund_no"])[0]["body"]
    url = server.base + "/api/v1/pay/notify/wechat/refund"

    def send(_: int) -> int:  # each a genuine, freshly signed copy, as WeChat Pay repeats them
        headers = {"Content-Type": "application/json", **standin.sign_headers(body)}
        return requests.post(url, data=body.encode(), headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(send, range(10))) == [204] * 10
    view = _staff_view(api, token, p["id"])
    assert view["status"] == "paid" and view["refunded_fen"] == 2500 and view["refunds"][0]["status"] == "success"
    blue = api.get(f"/api/v1/receipts/{p['receipt_id']}", token=resident.access_token).json()
    v = _verify(api, blue, "198.51.100.33").json()
    assert v["status"] == "partially_refunded" and v["refunded_fen"] == 2500 and len(v["red_receipts"]) == 1
    mine = api.get("/api/v1/receipts", token=resident.access_token).json()["items"]
    assert [x["kind"] for x in mine].count("red") == 1


def test_numbers_stay_gap_free_across_receipts_and_red_letter_receipts(api, server) -> None:
    token = finance_token(api)
    for _ in range(3):
        _, p = paid_order(api, server, channel="alipay")
        refund(api, token, p["id"], 500, "部分退款")
    # every number of the year is held by exactly one receipt or red-letter receipt
    seqs = sorted(d["seq"] for name in ("receipts", "red_receipts")
                  for d in server.run(server.ctx.db[name].find({}, {"seq": 1}).to_list(None)))
    assert seqs == list(range(1, len(seqs) + 1))


def test_the_qr_code_opens_a_readable_verification_page(api, server) -> None:
    resident, p = paid_order(api, server, channel="alipay")
    blue = api.get(f"/api/v1/receipts/{p['receipt_id']}", token=resident.access_token).json()
    page = urlsplit(blue["verify_url"])
    assert page.path == "/verify/receipt"
    r = api.get(f"{page.path}?{page.query}", headers=client("198.51.100.34"))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert 'name="viewport"' in r.text and "财政电子票据查验" in r.text and "有效" in r.text
    assert blue["number"] in r.text and "90.00" in r.text and blue["payer_masked"] in r.text
    assert resident.name not in r.text  # the public page masks the payer
    refund(api, finance_token(api), p["id"], 9000, "全额退款")
    r = api.get(f"{page.path}?{page.query}", headers=client("198.51.100.34"))
    assert r.status_code == 200 and "已作废" in r.text and "红字票据" in r.text
    wrong = api.get(f"{page.path}?code={blue['code']}&number={blue['number']}&check=2222222222",
                    headers=client("198.51.100.34"))
    assert wrong.status_code == 404 and wrong.headers["Content-Type"].startswith("text/html")
    assert "未查到该票据" in wrong.text
