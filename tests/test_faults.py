"""The database goes away and comes back: the API says 503 in the contract's shape while it is
away, nothing acknowledged is lost, and the system recovers by itself without a restart."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest

from backend.db.embedded import EmbeddedDatabase
from tests.conftest import test_config
from tests.support import Api, AppServer, assert_error, new_resident

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedDatabase, AppServer]]:
    """A database of its own (the fault tests stop it) and an app on it."""
    db = EmbeddedDatabase(tmp_path_factory.mktemp("faulty-db"))
    db.start()
    srv = AppServer(test_config(db, tmp_path_factory.mktemp("faulty-data"),
                                database={"server_selection_timeout_ms": 800})).start()
    yield db, srv
    srv.stop()
    db.stop()


def _until(check, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError("did not recover in time")
        time.sleep(0.2)


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
    _until(lambda: api.get("/readyz").status_code == 200)
    me = api.get("/api/v1/me", token=resident.access_token)
    assert me.status_code == 200 and me.json()["realname_verified"] is True  # acknowledged before: kept
    assert api.post("/api/v1/auth/wechat-login", {"code": "test-after-outage"}).status_code == 200
