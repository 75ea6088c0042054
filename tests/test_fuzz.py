"""The whole published API fuzzed from ``/openapi.json`` with schemathesis: for every operation,
with a resident's and a staff member's token, no answer is a 5xx, every answer has a documented
status and content type and matches its documented schema, and errors are in the contract's
shape (their schema is the contract's error schema). Examples per operation are bounded.

Stand-in protocol endpoints (``/sandbox/...``) are other parties' APIs and are left out.
"""
from __future__ import annotations

from typing import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.core.access import STAFF_ROLES
from backend.db.embedded import EmbeddedDatabase
from tests.conftest import test_config
from tests.support import AppServer, new_resident

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzz_server(database: EmbeddedDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    # Its own app and database: what the fuzzer creates stays out of the other tests' way.
    srv = AppServer(test_config(database, tmp_path_factory.mktemp("fuzz"),
                                ratelimit={"realname_per_user_per_hour": 100000,
                                           "realname_per_id_number_per_hour": 100000,
                                           "login_per_openid_per_minute": 100000},
                                staff={"exclusive_roles": []})).start()  # one account reaches every operation
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def tokens(fuzz_server: AppServer) -> dict[str, str]:
    from tests.support import Api
    resident = new_resident(Api(fuzz_server.base), verified=True)

    async def all_roles_staff() -> None:
        await fuzz_server.ctx.service("staff").create(username="fuzzer", password="fuzz-password-2026",
                                           roles=sorted(STAFF_ROLES), display_name="模糊测试")
    fuzz_server.run(all_roles_staff())
    r = Api(fuzz_server.base).post("/api/v1/staff/login", {"username": "fuzzer", "password": "fuzz-password-2026"})
    return {"resident": resident.access_token, "staff": r.json()["access_token"]}


def _session_of_its_own(audience: str, fuzz_server: AppServer) -> str:
    """A logout ends the session it is called with: it gets a session nobody else uses."""
    from tests.support import Api
    api = Api(fuzz_server.base)
    if audience == "resident":
        return new_resident(api).access_token
    return api.post("/api/v1/staff/login",
                    {"username": "fuzzer", "password": "fuzz-password-2026"}).json()["access_token"]


def _published_document() -> dict:
    """The OpenAPI document exactly as ``GET /openapi.json`` serves it, built without a server
    so that pytest can list one test per operation (the test asserts the served one is equal)."""
    from backend.app import make_app
    from backend.config import load_config
    config = load_config(None, env={}, overrides={"database": {"uri": "mongodb://127.0.0.1:1/?directConnection=true"},
                                                  "sandbox": {"standins_mode": "inline"}})
    ctx = make_app(config).settings["runtime"]
    return ctx.openapi()


DOCUMENT = _published_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_fuzzed_document_is_the_served_one(fuzz_server: AppServer) -> None:
    import requests
    served = requests.get(fuzz_server.base + "/openapi.json", timeout=10).json()
    assert set(served["paths"]) == set(DOCUMENT["paths"])
    assert served["components"] == DOCUMENT["components"]


@pytest.mark.slow
@schema.exclude(path_regex=r"^/sandbox/").parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, tokens: dict[str, str],
                                               fuzz_server: AppServer) -> None:  # noqa: ANN001
    security = case.operation.definition.raw.get("security") or []
    audience = next(iter(security[0]), None) if security else None
    token = None
    if audience:
        token = _session_of_its_own(audience, fuzz_server) if case.path.endswith("/logout") else tokens[audience]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if "Authorization" in (case.headers or {}):
        headers = {}  # the fuzzer is testing the header itself
    case.call_and_validate(base_url=fuzz_server.base, headers=headers, checks=CHECKS)
