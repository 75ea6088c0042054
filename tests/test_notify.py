"""Notifications: every event lands in the inbox once; WeChat subscribe messages go out only with
consent and quota, through wechatpy to the stand-in; WeChat's errors are handled by meaning; a
worker that dies mid-delivery is taken over and the message is still delivered once."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from notify.values import OutboxMessage
from notify.worker import Deliverer
from tests.support import Api, AppServer, assert_error, new_resident, staff_login
from tests.support_cases import consent, eventually, inbox, move, outbox_rows, relogin, submit, wechat_messages


def _another_deliverer(server: AppServer, *, wechat: object) -> Deliverer:
    """A second worker on the same database (as another process would be)."""
    d = server.ctx.wired.notify.deliverer
    return Deliverer(outbox=d.outbox, inbox=d.inbox, consent=d.consent, users=d.users, clock=d.clock, config=d.config,
                     wechat=wechat, messages=d.messages)


def test_subscriptions_list_templates_and_countconsent(api: Api) -> None:
    r = new_resident(api)
    subs = api.get("/api/v1/me/subscriptions", token=r.access_token).json()
    assert {t["key"] for t in subs["templates"]} >= {"case_progress", "appointment", "payment"}
    assert set(subs["quota"].values()) == {0}
    api.post("/api/v1/me/subscriptions", {"accepted": ["case_progress", "payment"]}, token=r.access_token)
    after = api.post("/api/v1/me/subscriptions", {"accepted": ["case_progress"]}, token=r.access_token).json()
    assert after["quota"]["case_progress"] == 2 and after["quota"]["payment"] == 1
    assert_error(api.post("/api/v1/me/subscriptions", {"accepted": ["nope"]}, token=r.access_token), 400,
                 "invalid_input")


def test_case_moves_reach_inbox_and_wechat_once_perconsent(api: Api, server: AppServer) -> None:
    clerk = staff_login(api, role="clerk")["access_token"]
    r = new_resident(api, verified=True)
    consent(api, r, n=1)
    case = submit(api, r)
    move(api, clerk, case["id"], "accepted")
    msgs = eventually(lambda: len(inbox(api, r)) == 2 and inbox(api, r))
    assert {m["title"] for m in msgs} == {"办件进度更新"} and all(not m["read"] for m in msgs)
    assert any("已受理" in m["text"] for m in msgs)
    sent = eventually(lambda: wechat_messages(api, r.openid))
    assert len(sent) == 1  # one consent, one message
    assert all(len(v["value"]) <= 20 for k, v in sent[0]["data"].items() if k.startswith("thing"))
    eventually(lambda: all(m["status"] == "delivered" for m in outbox_rows(server, r.id)))
    states = sorted(m["channels"].get("wechat") for m in outbox_rows(server, r.id))
    assert states == ["sent", "skipped"]  # the second found no quota left: skipped, not retried
    assert len(wechat_messages(api, r.openid)) == 1
    read = api.post(f"/api/v1/me/inbox/{msgs[0]['id']}/read", token=r.access_token)
    assert read.status_code == 200 and read.json()["read"] is True
    other = new_resident(api)
    assert_error(api.post(f"/api/v1/me/inbox/{msgs[1]['id']}/read", token=other.access_token), 404, "not_found")


def test_refusal_at_wechat_43101_is_skipped_not_retried(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    api.post("/api/v1/me/subscriptions", {"accepted": ["case_progress"]}, token=r.access_token)  # only on our side
    submit(api, r)
    eventually(lambda: all(m["status"] == "delivered" for m in outbox_rows(server, r.id)) and outbox_rows(server, r.id))
    msg = outbox_rows(server, r.id)[0]
    assert msg["channels"]["wechat"] == "skipped" and "43101" in msg["wechat_reason"] and msg["attempts"] == 1
    assert wechat_messages(api, r.openid) == [] and len(inbox(api, r)) == 1
    # WeChat says there is no consent: our count was stale and stays spent.
    assert api.get("/api/v1/me/subscriptions", token=r.access_token).json()["quota"]["case_progress"] == 0


def test_expired_token_is_refreshed_and_rate_limit_backs_off(api: Api, server: AppServer,
                                                             clock) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    consent(api, r, n=2)
    api.post("/sandbox/wechat/faults", {"expire_tokens": True})
    submit(api, r)
    eventually(lambda: len(wechat_messages(api, r.openid)) == 1)
    api.post("/sandbox/wechat/faults", {"send_rate_limited": 1})
    submit(api, r)
    backed = eventually(lambda: [m for m in outbox_rows(server, r.id) if m.get("last_error")])
    assert "45009" in backed[0]["last_error"] and backed[0]["status"] == "pending"
    clock.advance(seconds=30)
    eventually(lambda: len(wechat_messages(api, r.openid)) == 2)
    eventually(lambda: all(m["status"] == "delivered" for m in outbox_rows(server, r.id)))


def test_a_worker_dying_mid_delivery_is_taken_over_and_delivers_once(api: Api, server: AppServer,
                                                                     clock) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    consent(api, r)
    ctx = server.ctx

    async def emit_and_claim() -> OutboxMessage | None:
        await ctx.wired.notify.outbox.emit("case.status_changed", user_id=r.id,
                                          payload={"serial": "ZJB-TEST", "service_name": "测试",
                                                                             "status": "accepted"},
                              deliver_after=ctx.clock.now() + dt.timedelta(hours=1))
        dying = _another_deliverer(server, wechat=None)
        ctx.clock.advance(hours=1, seconds=1)
        msg = await dying.claim()
        while msg is not None and msg.user_id != r.id:  # others' due messages: give them back
            await ctx.db["outbox"].update_one({"_id": msg.id}, {"$set": {"status": "pending",
                                                                             "deliver_after": ctx.clock.now()}})
            msg = await dying.claim()
        return msg
    claimed = server.run(emit_and_claim())
    assert claimed and claimed.status == "sending"  # … and the worker dies here, holding the lease
    server.run(server.ctx.wired.notify.deliverer.run_once())
    assert wechat_messages(api, r.openid) == []  # nobody else touches a leased message
    clock.advance(seconds=server.config.notify.lease_seconds + 1)
    eventually(lambda: len(wechat_messages(api, r.openid)) == 1)
    eventually(lambda: all(m["status"] == "delivered" for m in outbox_rows(server, r.id)))
    relogin(api, r)  # the clock moved past the access token's life
    assert len(inbox(api, r)) == 1 and len(wechat_messages(api, r.openid)) == 1


def test_several_workers_deliver_each_message_once(api: Api, server: AppServer) -> None:
    ctx = server.ctx
    residents = [new_resident(api) for _ in range(5)]
    for r in residents:
        consent(api, r, n=10)

    async def emit_many() -> None:
        for i in range(40):
            await ctx.wired.notify.outbox.emit("case.status_changed", user_id=residents[i % 5].id,
                                  payload={"serial": f"ZJB-{i}", "service_name": "测试", "status": "accepted"})
    server.run(emit_many())
    workers = [_another_deliverer(server, wechat=ctx.wired.notify.deliverer.wechat) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda w: server.run(w.run_once(), timeout=60), workers))
    eventually(lambda: sum(len(inbox(api, r)) for r in residents) == 40)
    eventually(lambda: sum(len(wechat_messages(api, r.openid)) for r in residents) == 40)
    assert sorted(m["data"]["character_string3"]["value"] for r in residents for m in wechat_messages(api, r.openid)) \
        == sorted(f"ZJB-{i}" for i in range(40))


@pytest.mark.parametrize("kind,payload,expected", [
    ("appointment.booked",
     {"appointment_id": "a1", "code": "48392017", "service_name": "护照办理", "hall_name": "市民之家",
                            "start": "2026-12-01T10:00:00+08:00", "end": "2026-12-01T11:00:00+08:00"},
     "您已预约“护照办理”：12月1日（周二）10:00，市民之家，预约码 48392017。"),
    ("payment.paid", {"payment_id": "p1", "application_id": "c1", "serial": "ZJB20261130000001",
                      "service_name": "护照办理", "amount_fen": 12000}, "费用120.00元"),
    ("something.new", {"service_name": "护照", "amount_fen": 12000}, "您有一条新消息，请在指尖办小程序中查看详情。"),
])
def test_every_kind_reaches_the_inbox_in_words(api: Api, server: AppServer, kind: str, payload: dict,
                                               expected: str) -> None:
    r = new_resident(api)
    server.run(server.ctx.wired.notify.outbox.emit(kind, user_id=r.id, payload=payload))
    got = eventually(lambda: inbox(api, r))
    assert got[0]["kind"] == kind and expected in got[0]["text"]


def test_a_message_missing_a_value_reads_complete_and_is_not_pushed(api: Api, server: AppServer,
                                                                    log_capture) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    consent(api, r, "appointment")
    server.run(server.ctx.wired.notify.outbox.emit("appointment.waitlist_offer", user_id=r.id, payload={
        "waitlist_id": "w1", "service_name": "护照办理", "hall_name": "市民之家",
        "start": "2026-12-01T10:00:00+08:00"}))
    got = eventually(lambda: inbox(api, r))
    assert got[0]["title"] == "新消息" and got[0]["text"] == "您有一条新消息，请在指尖办小程序中查看详情。"
    row = eventually(lambda: [m for m in outbox_rows(server, r.id) if m["status"] == "delivered"])[0]
    assert row["channels"]["wechat"] == "skipped" and row["wechat_reason"] == "template_data_invalid"
    assert wechat_messages(api, r.openid) == []
    assert api.get("/api/v1/me/subscriptions", token=r.access_token).json()["quota"]["appointment"] == 1
    assert '"field": "offer_until"' in log_capture.text()


def test_an_index_nothing_reads_is_dropped_at_start_up(server: AppServer) -> None:
    """Earlier versions' outbox indexes (by resident and time; by what a message is about) are
    dropped by notify's migration step, so no outbox write keeps paying for them; the indexes in
    use stay."""
    from pymongo import ASCENDING

    (step,) = [s for s in server.ctx.domains["notify"].migrations if s.id == "2026.11-00-outbox-indexes"]
    col = server.ctx.db["outbox"]
    server.run(col.create_index([("user_id", ASCENDING), ("created_at", ASCENDING)]))
    server.run(col.create_index([("ref", ASCENDING)], sparse=True))
    assert {"user_id_1_created_at_1", "ref_1"} <= set(server.run(col.index_information()))
    server.run(step.run())
    names = set(server.run(col.index_information()))
    assert names == {"_id_", "status_1_deliver_after_1", "dedupe_key_1"}
    server.run(step.run())  # again (a step is safe to run twice): nothing to drop, no error
