"""Outbound calls sized for a peak: each provider admits ``concurrency`` calls at once, a call's
timeout counts the call and not its wait for a turn, and a provider that is slow or busy is 503
``provider_busy`` with ``Retry-After`` in Chinese, never a 502."""
from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from backend.core import errors
from backend.core.providers import Provider, ProviderLimits
from tests.support import Api, assert_error, run_apart


def _provider(**limits: float) -> Provider:
    return Provider().sized(ProviderLimits(**limits))  # type: ignore[arg-type]


def test_queued_time_does_not_count_against_a_calls_timeout() -> None:
    p = _provider(concurrency=2, queue_seconds=5.0, timeout_seconds=0.5)

    async def run() -> list[str]:
        return await asyncio.gather(*(p.call("nap", lambda i=i: (time.sleep(0.3), str(i))[1]) for i in range(6)))

    started = time.monotonic()
    assert run_apart(run()) == [str(i) for i in range(6)]  # 3 turns of 0.3 s: each call well inside 0.5 s
    assert time.monotonic() - started >= 0.85  # never more than two at once


def test_a_slow_call_is_provider_busy_with_retry_after() -> None:
    p = _provider(concurrency=2, queue_seconds=1.0, timeout_seconds=0.2, retry_after_seconds=4)
    with pytest.raises(errors.ProviderBusy) as caught:
        run_apart(p.call("slow", time.sleep, 1.0))
    assert caught.value.http_status == 503 and caught.value.headers["Retry-After"] == "4"
    assert isinstance(caught.value, errors.ProviderError)  # the jobs that retry provider failures retry it too


def test_a_call_that_cannot_get_a_turn_in_time_is_provider_busy() -> None:
    p = _provider(concurrency=1, queue_seconds=0.2, timeout_seconds=2.0)

    async def run() -> list[object]:
        return await asyncio.gather(p.call("a", time.sleep, 0.6), p.call("b", time.sleep, 0.6),
                                    return_exceptions=True)

    first, second = run_apart(run())
    assert first is None and isinstance(second, errors.ProviderBusy)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield s.getsockname()[1]


def test_a_slow_wechat_login_is_503_in_chinese_with_retry_after(make_server, silent_port: int) -> None:  # noqa: ANN001
    srv = make_server(wechat={"gateway": f"http://127.0.0.1:{silent_port}/"},
                      providers={"timeout_seconds": 0.5, "retry_after_seconds": 2})
    started = time.monotonic()
    r = Api(srv.base).post("/api/v1/auth/wechat-login", {"code": "test-slow"})
    err = assert_error(r, 503, "provider_busy")
    assert r.headers["Retry-After"] == "2" and "稍" in err["message"]
    assert time.monotonic() - started < 4  # the provider's own 0.5 s, not the SDK's 5 s


def test_wechat_calls_take_the_environment_as_it_was_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy and CA bundle the environment names for the gateway are taken when the client is
    made; a call then reads neither the environment nor a netrc file."""
    import requests

    from backend.core.wechat import settle_environment

    monkeypatch.setenv("HTTPS_PROXY", "http://egress.example:3128")
    monkeypatch.setenv("NO_PROXY", "intranet.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/zjb/ca.pem")
    http = requests.Session()
    settle_environment(http, "https://api.weixin.qq.com/")
    assert http.proxies["https"] == "http://egress.example:3128"
    assert http.verify == "/etc/zjb/ca.pem" and http.trust_env is False

    inside = requests.Session()
    settle_environment(inside, "https://intranet.example/")
    assert "https" not in inside.proxies

    def read_netrc(*_: object, **__: object) -> None:
        raise AssertionError("a call looked for a netrc file")

    monkeypatch.setattr(requests.sessions, "get_netrc_auth", read_netrc)
    monkeypatch.setenv("HTTPS_PROXY", "http://changed.example:8080")
    prepared = http.prepare_request(requests.Request("GET", "https://api.weixin.qq.com/cgi-bin/token"))
    settings = http.merge_environment_settings(prepared.url, {}, None, None, None)
    assert settings["proxies"]["https"] == "http://egress.example:3128" and settings["verify"] == "/etc/zjb/ca.pem"


def test_every_identity_provider_is_sized_by_the_configuration(make_server) -> None:  # noqa: ANN001
    srv = make_server(providers={"concurrency": 7, "queue_seconds": 1.5})
    identity = srv.ctx.domains["identity"].service
    for provider in (identity.wechat, identity.verifier, identity.assurance.verifier):
        assert (provider.limits.concurrency, provider.limits.queue_seconds) == (7, 1.5), provider.name
