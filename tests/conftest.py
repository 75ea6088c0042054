"""Fixtures: one real SecantusDB server for the session, an app server per test module, clients."""
from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from backend.config import Config, load_config
from backend.db.embedded import EmbeddedDatabase
from tests.support import Api, AppServer, LogCapture

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedDatabase]:
    db = EmbeddedDatabase(tmp_path_factory.mktemp("secantus"))
    db.start()
    yield db
    db.stop()


@pytest.fixture(scope="session")
def log_capture() -> Iterator[LogCapture]:
    cap = LogCapture()
    root = logging.getLogger()
    root.addHandler(cap)
    root.setLevel(logging.INFO)
    logging.getLogger("pymongo").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    yield cap
    root.removeHandler(cap)


def test_config(db_server: EmbeddedDatabase, data_dir: Path, **sections: dict) -> Config:
    """A sandbox config on the session's database, in its own database name."""
    base = load_config(None, env={}, overrides={
        "data_dir": str(data_dir),
        "validate_responses": True,
        "database": {"uri": db_server.uri, "name": f"zjb_test_{uuid.uuid4().hex[:8]}"},
        # Tests come from 127.0.0.1; they choose a client address with X-Forwarded-For.
        "server": {"trusted_proxies": ["127.0.0.1/32"]},
        "ratelimit": {"login_per_ip_per_minute": 100000, "realname_per_ip_per_minute": 100000,
                      "staff_login_per_ip_per_minute": 100000,
                      # Races and floods are tested for their rules; the per-resident limits have their
                      # own tests (test_resident_limits.py) with small numbers.
                      "applications_per_resident_per_hour": 100000, "bookings_per_resident_per_hour": 100000,
                      "pay_starts_per_resident_per_hour": 100000, "complaints_per_resident_per_day": 100000,
                      "uploads_per_resident_per_hour": 100000,
                      "identity_codes_per_resident_per_10_minutes": 100000},
        # Tests submit the same content for one resident on purpose; the duplicate window has its
        # own tests (test_submissions_once.py, the journeys) with its default.
        "cases": {"duplicate_window_seconds": 0},
        "workers": {"tick_seconds": 0.2},
        # The stand-ins on the test server itself (faster to start; their own process is tested by
        # tests/test_standins_apart.py through serve).
        "sandbox": {"standins_mode": "inline"},
        "calendar": {"refresh_seconds": 0.5},
    })
    return base.with_overrides(**sections) if sections else base


test_config.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server(database: EmbeddedDatabase, tmp_path_factory: pytest.TempPathFactory,
           log_capture: LogCapture) -> Iterator[AppServer]:
    """Each test module gets its own app server, database, data folder and clock, so no module
    sees what another changed and none has to put shared data back."""
    srv = AppServer(test_config(database, tmp_path_factory.mktemp("data"))).start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server: AppServer) -> Api:
    return Api(server.base)


@pytest.fixture
def clock(server: AppServer) -> Iterator:
    """The server's clock; moved time is put back after the test."""
    yield server.clock
    server.clock.reset()


@pytest.fixture
def make_server(database: EmbeddedDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Start extra app servers with their own configuration (stopped after the test)."""
    started: list[AppServer] = []

    def _make(*, wait_started: bool = True, **sections: dict) -> AppServer:
        srv = AppServer(test_config(database, tmp_path_factory.mktemp("data"), **sections),
                        wait_started=wait_started).start()
        started.append(srv)
        return srv

    yield _make
    for s in started:
        s.stop()


# Browser fixtures for the staff console: one Chromium for the session.
from tests.support_console import chromium_context, console  # noqa: E402,F401
