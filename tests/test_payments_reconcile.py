"""Reconciliation (对账) against the providers' daily bills, with planted discrepancies."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from bson import ObjectId

from backend.core.clock import TZ
from tests.conftest import ROOT
from tests.support import Api, assert_error, staff_login
from tests.support_payments import confirm_wechat, create_order, finance_token, pay_wechat, prepay_id


def _pay_alipay(api, server):
    resident, order = create_order(api, server)
    r = api.post(f"/api/v1/payments/{order['id']}/pay", {"channel": "alipay"}, token=resident.access_token)
    api.post("/sandbox/alipay/confirm", {"out_trade_no": r.json()["out_trade_no"]})
    return order, r.json()["out_trade_no"]


def test_wechat_reconciliation_finds_planted_discrepancies(make_server) -> None:
    srv = make_server()
    api = Api(srv.base)
    token = finance_token(api)
    today = dt.datetime.now(TZ).date().isoformat()
    otns = []
    for _ in range(4):
        resident, order = create_order(api, srv)
        pay = pay_wechat(api, resident, order["id"])
        otns.append(confirm_wechat(api, prepay_id(pay))["out_trade_no"])
    r = api.post(f"/api/v1/staff/payments/{order['id']}/refunds",
                 {"amount_fen": 500, "reason": "部分退款", "request_id": "rec-test-refund-1"}, token=token)
    assert r.status_code == 201
    srv.run(srv.ctx.provided("standins")["wechatpay"].run_due())
    clean = api.post("/api/v1/staff/reconciliation", {"date": today, "channel": "wechat"}, token=token).json()
    assert clean["balanced"] is True and clean["matched"] == 5 and clean["bill_net_fen"] == 4 * 9000 - 500, clean

    db = srv.ctx.db
    # planted: a local record lost its payment (missing), one amount differs (mismatched), and a
    # payment recorded here that the provider never had (extra)
    srv.run(db["pay_attempts"].update_one({"out_trade_no": otns[0]}, {"$set": {"status": "open", "transaction_id": None}}))
    srv.run(db["pay_attempts"].update_one({"out_trade_no": otns[1]}, {"$set": {"amount_fen": 8000}}))
    fake = {**srv.run(db["pay_attempts"].find_one({"out_trade_no": otns[2]})), "_id": ObjectId(),
            "out_trade_no": "ZJBplanted0000000000000000001", "transaction_id": "4200000000planted"}
    srv.run(db["pay_attempts"].insert_one(fake))
    report = api.post("/api/v1/staff/reconciliation", {"date": today, "channel": "wechat"}, token=token).json()
    assert report["balanced"] is False
    assert [m["out_trade_no"] for m in report["missing"]] == [otns[0]]
    assert [m["out_trade_no"] for m in report["mismatched"]] == [otns[1]]
    assert report["mismatched"][0]["bill_amount_fen"] == 9000 and report["mismatched"][0]["local_amount_fen"] == 8000
    assert [m["out_trade_no"] for m in report["extra"]] == ["ZJBplanted0000000000000000001"]
    stored = api.get(f"/api/v1/staff/reconciliation?date={today}&channel=wechat", token=token).json()
    assert stored["missing"] == report["missing"]
    clerk = staff_login(api, role="clerk")["access_token"]
    assert_error(api.post("/api/v1/staff/reconciliation", {"date": today, "channel": "wechat"}, token=clerk),
                 403, "forbidden")


def test_alipay_reconciliation_and_cli(make_server, tmp_path) -> None:
    srv = make_server()
    api = Api(srv.base)
    token = finance_token(api)
    today = dt.datetime.now(TZ).date().isoformat()
    order, otn = _pay_alipay(api, srv)
    api.post(f"/api/v1/staff/payments/{order['id']}/refunds",
             {"amount_fen": 1000, "reason": "部分退款", "request_id": "rec-alipay-refund-1"}, token=token)
    report = api.post("/api/v1/staff/reconciliation", {"date": today, "channel": "alipay"}, token=token).json()
    assert report["balanced"] is True and report["matched"] == 2 and report["bill_net_fen"] == 8000, report
    # the CLI: same report, against the same database and stand-in (through the running server)
    env = {**os.environ, "ZJB_DATABASE_URI": srv.config.database.uri, "ZJB_DATABASE_NAME": srv.config.database.name,
           "ZJB_SERVER_PORT": str(srv.config.server.port), "ZJB_SANDBOX_SEED_DEMO_DATA": "false"}
    out = subprocess.run([sys.executable, "-m", "backend", "payments", "reconcile", "--date", today, "--channel", "alipay",
                          "--data-dir", srv.config.data_dir], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "结果：平" in out.stdout and "一致 2 笔" in out.stdout
