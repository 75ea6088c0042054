"""Catch-up after a gap: per-day jobs do each day they missed exactly once, however far the clock
jumped, and once only when several app servers run the jobs on one database."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from backend.core.clock import TZ
from tests.conftest import test_config
from tests.support import Api, AppServer
from tests.support_cases import eventually
from tests.support_payments import db_find, finance_token, paid_order

FAST = {"payments": {"job_interval_seconds": 0.2}}


def _move_to(srv, day: dt.date, hh: int, mm: int) -> None:
    """Move the server's clock forward to ``day`` at ``hh:mm`` Beijing time."""
    target = dt.datetime.combine(day, dt.time(hh, mm), TZ)
    srv.clock.advance(seconds=(target - srv.clock.now()).total_seconds())


def _today(srv) -> dt.date:
    return srv.clock.now().astimezone(TZ).date()


def _last_due(srv) -> dt.date:
    """The last day whose bills are out now (from 10:00 on the next day)."""
    local = srv.clock.now().astimezone(TZ)
    return local.date() - dt.timedelta(days=1 if local.hour >= 10 else 2)


def _days(first: dt.date, last: dt.date) -> list[str]:
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _reconciled(srv, days: list[str]) -> dict[str, dict]:
    """The finished reports of those days, by id (``channel:date``)."""
    return {r["_id"]: r for r in db_find(srv, "reconciliations", {"date": {"$in": days}, "state": "done"})}


def _audit_counts(srv) -> Counter:
    """How often the job recorded a reconciliation, per channel and day."""
    return Counter(a["target"]["id"] for a in db_find(srv, "audit_log", {"action": "payment.reconcile"}))


def test_a_ten_day_jump_reconciles_each_missed_day_once_per_channel(make_server) -> None:
    srv = make_server(**FAST)
    api = Api(srv.base)
    day = _today(srv)
    paid_order(api, srv)
    paid_order(api, srv, channel="alipay")
    # the first run covers the days before the system ran only as far as payments.reconcile_days
    first = eventually(lambda: db_find(srv, "job_days", {"_id": "wm:payments.reconcile:wechat"}))[0]["first_day"]
    assert first >= (_last_due(srv) - dt.timedelta(days=3)).isoformat()  # before 10:00 the last due is 2 days back

    _move_to(srv, day + dt.timedelta(days=10), 10, 30)  # the processes were down for ten days
    days = _days(day, day + dt.timedelta(days=9))
    want = {f"{ch}:{d}" for ch in ("wechat", "alipay") for d in days}
    reports = eventually(lambda: want <= set(r := _reconciled(srv, days)) and r, timeout=30)
    assert all(reports[i]["balanced"] for i in want), [reports[i] for i in want if not reports[i]["balanced"]]
    assert reports[f"wechat:{day}"]["bill_net_fen"] == 9000 and reports[f"alipay:{day}"]["bill_net_fen"] == 9000
    assert all(reports[f"{ch}:{d}"]["bill_rows"] == 0 for ch in ("wechat", "alipay") for d in days[1:])
    # each day once: one audited reconciliation and one finished ledger entry per channel and day
    # (each written just after its report: waited for, then counted)
    counts = eventually(lambda: all((c := _audit_counts(srv)).get(i) for i in want) and c, timeout=20)
    assert {i: counts[i] for i in want} == {i: 1 for i in want}

    def finished() -> dict:
        return {d["_id"]: d for d in db_find(srv, "job_days", {"job": {"$regex": "^payments.reconcile:"}})}
    ledger = eventually(lambda: all(finished().get(f"payments.reconcile:{i}", {}).get("state") == "done"
                                    for i in want) and finished(), timeout=20)
    for ch in ("wechat", "alipay"):
        for d in days:
            assert ledger[f"payments.reconcile:{ch}:{d}"]["state"] == "done"
            assert ledger[f"payments.reconcile:{ch}:{d}"]["tries"] == 1
    wm = eventually(lambda: (w := db_find(srv, "job_days", {"_id": "wm:payments.reconcile:alipay"})[0])
                    ["done_through"] == days[-1] and w)
    assert wm["first_day"] == first
    # finance sees every day, and no alert: everything balanced
    token = finance_token(api)
    listed = api.get("/api/v1/staff/reconciliation/reports?days=12", token=token).json()["items"]
    assert Counter((r["channel"], r["date"]) for r in listed if r["date"] in days) == \
        Counter((ch, d) for ch in ("wechat", "alipay") for d in days)
    assert api.get("/api/v1/staff/reconciliation/alerts", token=token).json()["items"] == []


def test_two_app_servers_catch_up_each_day_once_between_them(make_server, database) -> None:
    one = make_server(**FAST)
    # the second server shares the database and the stand-ins' records (the same data folder)
    two = AppServer(test_config(database, Path(one.config.data_dir), database={"name": one.config.database.name},
                                **FAST)).start()
    try:
        _two_servers(one, two)
    finally:
        two.stop()


def _two_servers(one: AppServer, two: AppServer) -> None:
    api = Api(one.base)
    day = _today(one)
    paid_order(api, one)
    paid_order(api, one, channel="alipay")
    target = dt.datetime.combine(day + dt.timedelta(days=10), dt.time(10, 30), TZ)
    for srv in (one, two):
        srv.clock.advance(seconds=(target - srv.clock.now()).total_seconds())
    days = _days(day, day + dt.timedelta(days=9))
    want = {f"{ch}:{d}" for ch in ("wechat", "alipay") for d in days}
    reports = eventually(lambda: want <= set(r := _reconciled(one, days)) and r, timeout=40)
    assert all(reports[i]["balanced"] for i in want)
    # Each day's audit entry follows its report: wait for all of them, then none is there twice.
    counts = eventually(lambda: all((c := _audit_counts(one)).get(i) for i in want) and c, timeout=20)
    assert {i: counts[i] for i in want} == {i: 1 for i in want}
    def ledger() -> list[tuple[str, int]]:
        return sorted((d["state"], d["tries"]) for d in db_find(
            one, "job_days", {"job": {"$regex": "^payments.reconcile:"}, "day": {"$in": days}}))
    eventually(lambda: all(state == "done" for state, _ in ledger()) and len(ledger()) == len(want))
    assert ledger() == [("done", 1)] * len(want)


def test_a_gap_beyond_the_limit_leaves_the_older_days_to_finance_with_an_alert(make_server) -> None:
    srv = make_server(workers={"catch_up_max_days": 4}, **FAST)
    api = Api(srv.base)
    day = _today(srv)
    due = _last_due(srv)
    for ch in ("wechat", "alipay"):
        eventually(lambda ch=ch: [w["done_through"] for w in db_find(srv, "job_days",
                                                                     {"_id": f"wm:payments.reconcile:{ch}"})]
                   == [due.isoformat()])
    _move_to(srv, day + dt.timedelta(days=10), 10, 30)
    recent = _days(day + dt.timedelta(days=6), day + dt.timedelta(days=9))
    eventually(lambda: len(_reconciled(srv, recent)) == 2 * len(recent), timeout=30)
    older = _days(due + dt.timedelta(days=1), day + dt.timedelta(days=5))
    skipped = eventually(lambda: len(s := db_find(srv, "reconciliations", {"date": {"$in": older},
                                                                           "state": "skipped"}))
                         == 2 * len(older) and s)
    assert all(r["alert"] and r["reason"] == "catch_up_limit" for r in skipped)
    token = finance_token(api)
    alerts = api.get("/api/v1/staff/reconciliation/alerts", token=token).json()["items"]
    assert {a["id"] for a in alerts} == {f"{ch}:{d}" for ch in ("wechat", "alipay") for d in older}
    # finance reconciles a skipped day by hand: its alert goes, and the job does not redo it
    r = api.post("/api/v1/staff/reconciliation", {"date": older[0], "channel": "wechat"}, token=token).json()
    assert r["state"] == "done" and r["balanced"] is True and r["alert"] is False
    alerts = api.get("/api/v1/staff/reconciliation/alerts", token=token).json()["items"]
    assert f"wechat:{older[0]}" not in {a["id"] for a in alerts}
    assert _audit_counts(srv)[f"wechat:{recent[0]}"] == 1
