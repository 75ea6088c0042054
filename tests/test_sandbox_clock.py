"""The sandbox clock: forward only, and every process of one system reads the same time."""
from __future__ import annotations

import datetime as dt
import time

from backend.core.clock import SharedShiftedClock
from tests.support import Api, AppServer, assert_error


def _now(api: Api) -> dt.datetime:
    r = api.get("/sandbox/clock")
    assert r.status_code == 200, r.text
    return dt.datetime.fromisoformat(r.json()["now"])


def test_clock_moves_forward_and_never_back(api: Api, clock) -> None:  # noqa: ANN001
    before = _now(api)
    r = api.post("/sandbox/clock", {"advance_seconds": 3 * 24 * 3600})
    assert r.status_code == 200, r.text
    moved = dt.datetime.fromisoformat(r.json()["now"])
    assert dt.timedelta(days=3) <= moved - before < dt.timedelta(days=3, minutes=1)
    assert r.json()["offset_seconds"] >= 3 * 24 * 3600
    for bad in (0, -60, 1.5, "3600", 10 ** 9):
        assert_error(api.post("/sandbox/clock", {"advance_seconds": bad}), 400, "invalid_input")
    assert _now(api) >= moved


def test_processes_on_one_database_share_the_moved_time(server: AppServer) -> None:
    config = server.config.with_overrides(database={"name": server.config.database.name + "_clock"})
    first = AppServer(config, SharedShiftedClock()).start()
    second = AppServer(config, SharedShiftedClock()).start()
    try:
        a, b = Api(first.base), Api(second.base)
        assert a.post("/sandbox/clock", {"advance_seconds": 7200}).status_code == 200
        deadline = time.monotonic() + 10
        while _now(b) - dt.datetime.now(dt.timezone.utc) < dt.timedelta(hours=2) - dt.timedelta(seconds=30):
            assert time.monotonic() < deadline, "the second process did not follow the moved clock"
            time.sleep(0.1)
        assert second.clock.offset >= dt.timedelta(hours=2)
    finally:
        first.stop()
        second.stop()


def test_clock_hook_is_absent_without_sandbox_hooks(make_server) -> None:  # noqa: ANN001
    srv = make_server(sandbox={"hooks": False})
    assert_error(Api(srv.base).get("/sandbox/clock"), 404, "not_found")
