"""Reconciliation (对账) against the providers' daily bills, by hand and by the scheduled job, and
clearing (清分) to payee units, with planted discrepancies."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from bson import ObjectId

from backend.core.clock import TZ
from tests.conftest import ROOT
from tests.support import Api, assert_error, staff_login
from tests.support_cases import eventually
from tests.support_payments import finance_token, paid_order, refund, settle_wechat_refunds


def _move_to(srv, day: dt.date, hh: int, mm: int) -> None:
    """Move the server's clock forward to ``day`` at ``hh:mm`` Beijing time."""
    target = dt.datetime.combine(day, dt.time(hh, mm), TZ)
    srv.clock.advance(seconds=(target - srv.clock.now()).total_seconds())


def _today(srv) -> dt.date:
    return srv.clock.now().astimezone(TZ).date()


def test_a_day_not_over_is_refused_then_the_finished_day_is_reconciled_with_planted_discrepancies(make_server) -> None:
    srv = make_server()
    api = Api(srv.base)
    token = finance_token(api)
    day = _today(srv)
    otns = []
    for _ in range(4):
        _, p = paid_order(api, srv)
        otns.append(p["out_trade_no"])
    refund(api, token, p["id"], 500, "部分退款")
    settle_wechat_refunds(srv)
    err = assert_error(api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": "wechat"},
                                token=token), 409, "day_not_over")
    assert err["details"]["date"] == day.isoformat()
    _move_to(srv, day + dt.timedelta(days=1), 10, 30)
    token = finance_token(api)
    clean = api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": "wechat"}, token=token).json()
    assert clean["balanced"] is True and clean["matched"] == 5 and clean["bill_net_fen"] == 4 * 9000 - 500, clean
    assert clean["state"] == "done" and clean["alert"] is False

    db = srv.ctx.db
    # planted: a local record lost its payment (missing), one amount differs (mismatched), and a
    # payment recorded here that the provider never had (extra)
    srv.run(db["pay_attempts"].update_one({"out_trade_no": otns[0]},
                                          {"$set": {"status": "open", "transaction_id": None}}))
    srv.run(db["pay_attempts"].update_one({"out_trade_no": otns[1]}, {"$set": {"amount_fen": 8000}}))
    fake = {**srv.run(db["pay_attempts"].find_one({"out_trade_no": otns[2]})), "_id": ObjectId(),
            "out_trade_no": "ZJBplanted0000000000000000001", "transaction_id": "4200000000planted"}
    srv.run(db["pay_attempts"].insert_one(fake))
    report = api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": "wechat"},
                      token=token).json()
    assert report["balanced"] is False and report["alert"] is True
    assert [m["out_trade_no"] for m in report["missing"]] == [otns[0]]
    assert [m["out_trade_no"] for m in report["mismatched"]] == [otns[1]]
    assert report["mismatched"][0]["bill_amount_fen"] == 9000 and report["mismatched"][0]["local_amount_fen"] == 8000
    assert [m["out_trade_no"] for m in report["extra"]] == ["ZJBplanted0000000000000000001"]
    stored = api.get(f"/api/v1/staff/reconciliation?date={day}&channel=wechat", token=token).json()
    assert stored["missing"] == report["missing"]
    clerk = staff_login(api, role="clerk")["access_token"]
    assert_error(api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": "wechat"}, token=clerk),
                 403, "forbidden")


def test_the_job_reconciles_yesterday_retries_while_the_bill_is_out_and_alerts_finance(make_server) -> None:
    srv = make_server(payments={"job_interval_seconds": 0.3, "reconcile_after": "09:30", "reconcile_retry_minutes": 5})
    api = Api(srv.base)
    token = finance_token(api)
    day = _today(srv)
    _, wx = paid_order(api, srv)
    _, wx2 = paid_order(api, srv)
    refund(api, token, wx2["id"], 1000, "部分退款")
    eventually(lambda: api.get(f"/api/v1/staff/payments/{wx2['id']}", token=token).json()["refunded_fen"] == 1000)
    _, ali = paid_order(api, srv, channel="alipay")
    # planted: our record of one WeChat payment says 80.00 where the provider took 90.00
    srv.run(srv.ctx.db["pay_attempts"].update_one({"out_trade_no": wx["out_trade_no"]}, {"$set": {"amount_fen": 8000}}))

    def report(channel: str) -> dict:
        items = api.get("/api/v1/staff/reconciliation/reports?days=3", token=token).json()["items"]
        return next((r for r in items if r["channel"] == channel and r["date"] == day.isoformat()), {})

    # 09:40 the next day: the job tries (after 09:30) but the providers publish only from 10:00
    _move_to(srv, day + dt.timedelta(days=1), 9, 40)
    token = finance_token(api)
    assert eventually(lambda: report("wechat").get("state") == "waiting_bill" and report("alipay").get("state")
                      == "waiting_bill")
    assert report("wechat")["reason"] == "bill_not_ready" and report("wechat")["alert"] is False
    # past 10:00 and the retry interval: both days' bills are matched; the planted difference is flagged
    _move_to(srv, day + dt.timedelta(days=1), 10, 50)
    token = finance_token(api)
    wechat = eventually(lambda: (r := report("wechat")).get("state") == "done" and r)
    alipay = eventually(lambda: (r := report("alipay")).get("state") == "done" and r)
    assert alipay["balanced"] is True and alipay["alert"] is False and alipay["bill_net_fen"] == 9000
    assert wechat["balanced"] is False and wechat["alert"] is True and wechat["tries"] >= 1
    assert [m["out_trade_no"] for m in wechat["mismatched"]] == [wx["out_trade_no"]]
    assert wechat["bill_net_fen"] == 2 * 9000 - 1000  # the refund is matched too
    alerts = api.get("/api/v1/staff/reconciliation/alerts", token=token).json()["items"]
    assert [a["id"] for a in alerts] == [f"wechat:{day}"]
    # finance looks into it and records what was found: the alert leaves the console
    acked = api.post(f"/api/v1/staff/reconciliation/wechat:{day}/acknowledge", {"note": "本地金额录入错误，已核实"},
                     token=token).json()
    assert acked["alert"] is False and acked["acknowledged"]["note"] == "本地金额录入错误，已核实"
    assert api.get("/api/v1/staff/reconciliation/alerts", token=token).json()["items"] == []
    assert_error(api.post(f"/api/v1/staff/reconciliation/wechat:{day}/acknowledge", {"note": "再次"}, token=token),
                 409, "invalid_state")


def test_clearing_per_payee_unit_agrees_with_the_bills(make_server) -> None:
    srv = make_server()
    api = Api(srv.base)
    token = finance_token(api)
    day = _today(srv)
    _, real = paid_order(api, srv)  # 不动产 case: 不动产登记费 80.00 + 工本费 10.00, WeChat Pay
    _, samr = paid_order(api, srv, channel="alipay", code="SC-GTH",
                         items=[{"name": "营业执照工本费", "amount_fen": 2000}, {"name": "加急费", "amount_fen": 500}])
    refund(api, token, real["id"], 3000, "部分退款")
    settle_wechat_refunds(srv)
    refund(api, token, samr["id"], 500, "加急未办理")
    view = api.get(f"/api/v1/staff/payments/{real['id']}", token=token).json()
    assert view["payee_unit"]["name"] == "示例市不动产登记中心"
    assert view["item_codes"] == ["103044606001", "103044606003"]
    _move_to(srv, day + dt.timedelta(days=1), 10, 30)
    token = finance_token(api)
    for channel in ("wechat", "alipay"):
        r = api.post("/api/v1/staff/reconciliation", {"date": day.isoformat(), "channel": channel}, token=token).json()
        assert r["balanced"] is True, r
    clearing = api.get(f"/api/v1/staff/clearing?date={day}", token=token).json()
    units = {u["name"]: u for u in clearing["units"]}
    assert set(units) == {"示例市不动产登记中心", "示例市市场监督管理局"}
    realu, samru = units["示例市不动产登记中心"], units["示例市市场监督管理局"]
    assert (realu["collected_fen"], realu["refunded_fen"], realu["due_fen"]) == (9000, 3000, 6000)
    assert {i["item_code"]: i["collected_fen"] for i in realu["items"]} == {"103044606001": 8000, "103044606003": 1000}
    assert (samru["collected_fen"], samru["refunded_fen"], samru["due_fen"]) == (2500, 500, 2000)
    # an item the unit does not list is cleared under the unit's default code
    assert {i["item_code"]: i["collected_fen"] for i in samru["items"]} == {"103041301001": 2000, "103049901006": 500}
    assert clearing["total"] == {"collected_fen": 11500, "refunded_fen": 3500, "due_fen": 8000, "unassigned_fen": 0}
    assert clearing["unassigned"] == []
    assert {c["channel"]: c["bill_net_fen"] for c in clearing["channels"]} == {"wechat": 6000, "alipay": 2000}
    assert clearing["agrees_with_bills"] is True
    assert sum(c["bill_net_fen"] for c in clearing["channels"]) == clearing["total"]["due_fen"]
    units_listed = api.get("/api/v1/staff/payee-units", token=token).json()["items"]
    assert "示例市不动产登记中心" in [u["name"] for u in units_listed]


def test_the_cli_reconciles_a_finished_day(make_server) -> None:
    srv = make_server()
    yesterday = (dt.datetime.now(TZ) - dt.timedelta(days=1)).date().isoformat()
    srv.clock.advance(days=1)  # the stand-in (on the server) publishes bills by the server's clock
    env = {**os.environ, "ZJB_DATABASE_URI": srv.config.database.uri, "ZJB_DATABASE_NAME": srv.config.database.name,
           "ZJB_SERVER_PORT": str(srv.config.server.port), "ZJB_SANDBOX_SEED_DEMO_DATA": "false"}
    out = subprocess.run([sys.executable, "-m", "backend", "payments", "reconcile", "--date", yesterday, "--channel",
                          "alipay", "--data-dir", srv.config.data_dir], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "结果：平" in out.stdout and "一致 0 笔" in out.stdout
    today = dt.datetime.now(TZ).date().isoformat()
    out = subprocess.run([sys.executable, "-m", "backend", "payments", "reconcile", "--date", today, "--channel",
                          "alipay", "--data-dir", srv.config.data_dir], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1 and "该日尚未结束" in out.stderr
