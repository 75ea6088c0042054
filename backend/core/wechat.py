"""The one way we build a wechatpy client: the real SDK with only its gateway address changed,
and its access token shared by every process through the database.

In sandbox mode the gateway is the WeChat stand-in mounted on this server; in production it is
``https://api.weixin.qq.com``. Nothing else differs.

WeChat keeps one access token per app id: fetching a new one retires the previous one (after a
few minutes' overlap). So the token lives in the database, behind wechatpy's own
``SessionStorage`` interface, and a new one is fetched by one process at a time under a lease:
every process and worker uses the same token, and when it expires it is fetched once.

wechatpy is synchronous and runs in worker threads (``Provider.call``); the storage reaches the
asynchronous store through the event loop that started the call, which is free meanwhile.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, Self, TypeVar

import requests
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.session import SessionStorage

from backend.core.providers import Provider, ProviderLimits
from backend.core.store import WeChatTokenStore

T = TypeVar("T")
UTC = dt.UTC

# A token is used until this long before WeChat says it expires; the new one is fetched meanwhile.
EXPIRY_MARGIN_SECONDS = 300
LEASE_SECONDS = 15.0
STORE_TIMEOUT_SECONDS = 10.0


class DatabaseSessionStorage(SessionStorage):  # type: ignore[misc]  # wechatpy ships no type information
    """wechatpy's session storage, kept in the database (``wechat_tokens``) for all processes."""

    def __init__(self, store: WeChatTokenStore, *, keep_seconds: float = 0.0):
        self._store = store
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # The usable token read last, reused for ``keep_seconds`` by every call of this process
        # (at a peak each provider call would otherwise read it). A token WeChat refuses is
        # replaced through ``replace``, which always reads the database.
        self._keep = keep_seconds
        self._kept: dict[str, tuple[float, Any]] = {}
        self._replacing = threading.Lock()
        self._reading = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop the store is used on (set by the provider before each call)."""
        self._loop = loop

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self._loop
        if loop is None or loop.is_closed():
            coro.close()
            raise RuntimeError("DatabaseSessionStorage used before a WeChat provider bound it to its loop")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            coro.close()
            raise RuntimeError("wechatpy must run in a worker thread (Provider.call), not on the event loop")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(STORE_TIMEOUT_SECONDS)

    @staticmethod
    def _now() -> dt.datetime:
        return dt.datetime.now(UTC)

    # -- wechatpy's interface ------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        value = self._fresh(key)
        if value is None and self._keep <= 0:   # nothing is kept: every call reads, none waits
            value = self._read(key)
        elif value is None:
            # The threads of a peak find the kept token too old at the same moment: one reads it
            # again, the others take what it read.
            with self._reading:
                value = self._fresh(key)
                if value is None:
                    value = self._read(key)
        return default if value is None else value

    def _fresh(self, key: str) -> Any:
        """The token kept for ``key`` while it is recent enough, else None."""
        kept = self._kept.get(key)
        return kept[1] if kept is not None and time.monotonic() < kept[0] else None

    def _read(self, key: str) -> Any:
        value = self._run(self._store.usable_token(key, self._now()))
        if value is not None and self._keep > 0:
            self._kept[key] = (time.monotonic() + self._keep, value)
        return value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._kept.pop(key, None)
        now = self._now()
        lifetime = int(ttl or 7200)
        usable = now + dt.timedelta(seconds=max(lifetime - EXPIRY_MARGIN_SECONDS, lifetime // 2))
        self._run(self._store.save_token(key, str(value), usable, now + dt.timedelta(seconds=lifetime + 86400)))

    def delete(self, key: str) -> None:
        self._kept.pop(key, None)
        self._run(self._store.forget_token(key))

    # -- one fetch at a time, across processes ---------------------------------------------------

    def replace(self, key: str, stale: str | None, fetch: Callable[[], Any]) -> None:
        """Make the stored token usable again: if another process already replaced ``stale`` (the
        token that failed or was missing), use theirs; otherwise fetch one, holding the lease so
        the others wait for it instead of fetching too. Within this process one thread at a time
        does this; the threads that found the same token missing at the same moment (a peak's
        first calls) then take the one it brought instead of asking the database in turn."""
        with self._replacing:
            kept = self._fresh(key)
            if kept is not None and kept != stale:
                return
            self._replace(key, stale, fetch)

    def _replace(self, key: str, stale: str | None, fetch: Callable[[], Any]) -> None:
        deadline = time.monotonic() + LEASE_SECONDS
        self._kept.pop(key, None)
        while True:
            current = self._read(key)
            if current is not None and current != stale:
                return
            now = self._now()
            if self._run(self._store.take_refresh_lease(key, self._holder, now,
                                                        now + dt.timedelta(seconds=LEASE_SECONDS))):
                try:
                    current = self._read(key)
                    if current is not None and current != stale:
                        return
                    if stale is not None:
                        self._run(self._store.forget_token(key, stale))
                    fetch()
                    return
                finally:
                    self._run(self._store.end_refresh_lease(key, self._holder))
            if time.monotonic() > deadline:  # the holder is stuck: fetch without the lease
                fetch()
                return
            time.sleep(0.05)


def settle_environment(http: requests.Session, url: str) -> None:
    """Take the environment's proxy and CA-bundle settings for ``url`` once, at start-up.

    A ``requests`` session that trusts the environment reads them again on every call, and looks
    for a ``~/.netrc`` on the disk each time: about a fifth of a call's CPU. The gateway is one
    fixed address, so what the environment says of it is settled here; WeChat takes no netrc
    credentials (its calls carry the app id and token in the query)."""
    http.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        http.verify = bundle
    http.trust_env = False


def wechat_client(appid: str, secret: str, gateway: str, *, session: DatabaseSessionStorage,
                  timeout: float = 5.0) -> WeChatClient:
    base = gateway.rstrip("/") + "/"

    class GatewayWeChatClient(WeChatClient):  # type: ignore[misc]  # wechatpy ships no type information
        API_BASE_URL = base + "cgi-bin/"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._used = threading.local()  # the token each thread's current request carries
            settle_environment(self._http, base)

        @property
        def access_token(self) -> str:
            token: str = self.session.get(self.access_token_key)
            if token is None:
                self.fetch_access_token()
                token = self.session.get(self.access_token_key)
            self._used.token = token
            return token

        def fetch_access_token(self) -> dict[str, Any]:
            stale = getattr(self._used, "token", None)
            session.replace(self.access_token_key, stale, functools.partial(
                self._fetch_access_token, url=base + "cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}))
            return {"access_token": self.session.get(self.access_token_key)}

        def close(self) -> None:
            """Close the HTTP connections wechatpy keeps open (its ``requests`` session)."""
            self._http.close()

        def keep_connections(self, n: int) -> None:
            """Keep up to ``n`` connections to WeChat open for reuse (requests keeps 10 by
            default: at a peak every call beyond them would open and close a connection of its own)."""
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=n)
            self._http.mount("https://", adapter)
            self._http.mount("http://", adapter)

    client = GatewayWeChatClient(appid, secret, session=session, timeout=timeout)
    # wechatpy builds one API object per client; point the mini-program API at the same gateway.
    client.wxa.API_BASE_URL = base
    return client


class WeChatProvider(Provider):
    """A provider reached through wechatpy: its calls bind the shared token storage to the loop."""

    def __init__(self, appid: str, secret: str, gateway: str, timeout: float, session: DatabaseSessionStorage):
        self._session = session
        self._client = wechat_client(appid, secret, gateway, session=session, timeout=timeout)

    def sized(self, limits: ProviderLimits) -> Self:
        """As ``Provider.sized``; wechatpy's connection pool holds a connection for every thread."""
        self._client.keep_connections(limits.concurrency)
        return super().sized(limits)

    async def call(self, operation: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        self._session.bind(asyncio.get_running_loop())
        return await super().call(operation, fn, *args, **kwargs)

    def close_connections(self) -> None:
        self._client.close()
        super().close_connections()
