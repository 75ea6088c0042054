"""Production mode: /metrics only with the bearer token or from configured addresses; /readyz
says up or down, and its details only to the same callers."""
from __future__ import annotations

import pytest
import requests
import requests.adapters

from tests.support import Api, assert_error

TOKEN = "metrics-token-for-tests-0123456789abcdef"


class _FromAddress(requests.adapters.HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture(scope="module")
def production(database, tmp_path_factory):  # noqa: ANN001, ANN201
    from tests.conftest import test_config
    from tests.support import AppServer
    srv = AppServer(test_config(database, tmp_path_factory.mktemp("prod"), mode="production",
                                server={"metrics_token": TOKEN, "metrics_addresses": ["127.0.0.9/32"]})).start()
    yield srv
    srv.stop()


def test_metrics_need_the_token_or_a_configured_address(production) -> None:  # noqa: ANN001
    api = Api(production.base)
    assert_error(api.get("/metrics"), 403, "forbidden")
    assert_error(api.get("/metrics", headers={"Authorization": "Bearer not-the-token"}), 403, "forbidden")
    r = api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and "zjb_" in r.text
    scraper = Api(production.base)
    scraper.session.mount("http://", _FromAddress("127.0.0.9"))
    assert scraper.get("/metrics").status_code == 200
    other = Api(production.base)
    other.session.mount("http://", _FromAddress("127.0.0.10"))
    assert_error(other.get("/metrics"), 403, "forbidden")


def test_readyz_says_only_up_or_down_unless_authorised(production) -> None:  # noqa: ANN001
    api = Api(production.base)
    r = api.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}
    detailed = api.get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert detailed["status"] == "ready" and detailed["database"] == "up" and "workers" in detailed
    assert api.get("/healthz").json() == {"status": "ok"}


def test_sandbox_mode_keeps_them_open(api: Api) -> None:
    assert api.get("/metrics").status_code == 200
    assert api.get("/readyz").json()["database"] == "up"
