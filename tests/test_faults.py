"""The database goes away and comes back: the API says 503 in the contract's shape while it is
away, nothing acknowledged is lost, and the system recovers by itself without a restart."""
from __future__ import annotations

import time
from typing import Iterator

import pytest

from backend.db.embedded import EmbeddedDatabase
from tests.conftest import test_config
from tests.support import Api, AppServer, assert_error, new_resident, run_apart

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedDatabase, AppServer]]:
    """A database of its own (the fault tests stop it) and an app on it."""
    db = EmbeddedDatabase(tmp_path_factory.mktemp("faulty-db"))
    db.start()
    srv = AppServer(test_config(db, tmp_path_factory.mktemp("faulty-data"),
                                database={"server_selection_timeout_ms": 800},
                                payments={"sandbox_retry_factor": 0.05})).start()
    yield db, srv
    srv.stop()
    db.stop()


def _until(check, timeout: float = 30.0, seen=None) -> None:  # noqa: ANN001
    """Wait for ``check``; on timeout, say what ``seen`` (if given) last showed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"did not recover in time; last seen: {seen() if seen else '-'}")
        time.sleep(0.2)


def _ready(api: Api) -> None:
    """The app is ready again: the database answers and every background job has ticked since."""
    _until(lambda: api.get("/readyz").status_code == 200, seen=lambda: api.get("/readyz").text)


def test_database_outage_is_503_and_recovers_without_restart(faulty: tuple[EmbeddedDatabase, AppServer]) -> None:
    db, srv = faulty
    api = Api(srv.base)
    resident = new_resident(api, verified=True)
    db.kill()
    try:
        err = assert_error(api.get("/api/v1/me", token=resident.access_token), 503, "service_unavailable")
        assert "Traceback" not in err["message"] and "pymongo" not in str(err).lower()
        assert_error(api.post("/api/v1/auth/wechat-login", {"code": "test-during-outage"}), 503, "service_unavailable")
        assert api.get("/healthz").status_code == 200
        ready = api.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"] == "down"
    finally:
        db.start()
    _ready(api)
    me = api.get("/api/v1/me", token=resident.access_token)
    assert me.status_code == 200 and me.json()["realname_verified"] is True  # acknowledged before: kept
    assert api.post("/api/v1/auth/wechat-login", {"code": "test-after-outage"}).status_code == 200


def test_a_booking_during_an_outage_is_refused_and_leaves_no_trace(faulty) -> None:  # noqa: ANN001
    from tests.support_appointments import book, day_ahead, make_bookable, open_day, slots
    db, srv = faulty
    api = Api(srv.base)
    b = make_bookable(api, capacity=2, services=1)
    day = day_ahead(srv, 2)
    open_day(api, b, day)
    slot = slots(api, b, day)[0]
    r = new_resident(api, verified=True)
    db.kill()
    try:
        assert_error(book(api, r.access_token, slot["id"]), 503, "service_unavailable")
    finally:
        db.start()
    _ready(api)
    assert next(s for s in slots(api, b, day) if s["id"] == slot["id"])["remaining"] == 2
    assert api.get("/api/v1/appointments", token=r.access_token).json()["items"] == []
    assert book(api, r.access_token, slot["id"]).status_code == 201
    assert next(s for s in slots(api, b, day) if s["id"] == slot["id"])["remaining"] == 1


def test_a_payment_notice_during_an_outage_is_applied_once_when_it_comes_back(faulty) -> None:  # noqa: ANN001
    from tests.support_payments import confirm_wechat, create_order, pay_wechat, prepay_id
    db, srv = faulty
    api = Api(srv.base)
    resident, order = create_order(api, srv)
    prepay = prepay_id(pay_wechat(api, resident, order["id"]))
    db.kill()
    try:
        confirm_wechat(api, prepay)  # WeChat Pay sends the notice now; we answer 503, it will retry
        _until(lambda: api.get("/readyz").status_code == 503)
    finally:
        db.start()
    _ready(api)
    resident_token = resident.access_token
    _until(lambda: api.get(f"/api/v1/payments/{order['id']}", token=resident_token).json()["status"] == "paid", 60)
    resent = api.post("/sandbox/wechatpay/resend", {"prepay_id": prepay})  # once more, as WeChat Pay does
    assert resent.json()["notify_status"] == 204  # answered (the notice is applied before the answer)
    paid = api.get(f"/api/v1/payments/{order['id']}", token=resident_token).json()
    assert paid["status"] == "paid" and paid["receipt_id"]
    receipts = api.get("/api/v1/receipts", token=resident_token).json()["items"]
    assert [x["payment_id"] for x in receipts] == [order["id"]]


def test_messages_written_before_an_outage_are_delivered_once_after_it(faulty) -> None:  # noqa: ANN001
    db, srv = faulty
    api = Api(srv.base)
    r = new_resident(api)
    db.kill()
    _until(lambda: api.get("/readyz").status_code == 503)  # the delivery workers fail their ticks meanwhile
    db.start()
    srv.run(srv.ctx.wired.notify.outbox.emit("case.status_changed", user_id=r.id,
                                payload={"serial": "ZJB-OUTAGE", "service_name": "测试", "status": "accepted"}), 60)
    db.kill()
    _until(lambda: api.get("/readyz").status_code == 503)
    db.start()
    _ready(api)
    _until(lambda: len(api.get("/api/v1/me/inbox", token=r.access_token).json()["items"]) == 1, 30)
    unsettled = {"user_id": r.id, "status": {"$in": ["pending", "sending"]}}
    _until(lambda: srv.run(srv.ctx.db["outbox"].count_documents(unsettled)) == 0, 30)  # every delivery finished
    assert len(api.get("/api/v1/me/inbox", token=r.access_token).json()["items"]) == 1


def test_the_readiness_ping_keeps_to_its_own_time_without_cancelling_the_driver() -> None:
    """``ping`` answers False within its timeout while no server answers (the client waits up to
    3 s to select one), and leaves the client's topology unlocked for the calls after it."""
    import asyncio

    from backend.db.embedded import free_port
    from backend.db.mongo import connect, ping

    async def probe() -> tuple[list[bool], float, bool]:
        client = connect(f"mongodb://127.0.0.1:{free_port()}/?directConnection=true",
                         server_selection_timeout_ms=3000)
        try:
            started = time.monotonic()
            answers = await asyncio.gather(*(ping(client, 0.3) for _ in range(20)))
            took = time.monotonic() - started
            topology = client._topology  # noqa: SLF001 - the driver's lock is what a cancelled wait leaves held
            return list(answers), took, topology is not None and topology._lock.locked()  # noqa: SLF001
        finally:
            await client.close()

    answers, took, locked = run_apart(probe())
    assert answers == [False] * 20
    assert took < 2.5, took  # its own 0.3 s, not the client's 3 s
    assert not locked
