"""The base of every outside provider: each outbound call is timed, logged in one structured
line, run off the event loop when the SDK is synchronous, and fails with one ``ProviderError``.

Subclasses implement domain-shaped verbs (``code_to_session``, ``verify``, ``prepay`` …) and
call ``self.call(name, fn, *args)`` for each request they make.

Sized for a peak: each provider has its own ``ProviderLimits`` (``[providers]`` in the
configuration, applied with ``sized``): at most ``concurrency`` calls in flight, its own pool of
threads for a synchronous SDK, or its own HTTP client keeping as many connections. A call waits
at most ``queue_seconds`` for its turn, and its ``timeout_seconds`` starts when it is sent, so
time spent queued never turns into a provider timeout. A provider that is slow or busy is 503
``provider_busy`` with ``Retry-After``, said in Chinese: try again in a moment.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Self, TypeVar

import pymongo.errors
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse

from backend.core import errors
from backend.core.keepalive import KeepAliveClient
from backend.core.signing import request_signature

T = TypeVar("T")
log = logging.getLogger("zjb.provider")


@dataclass(frozen=True)
class ProviderLimits:
    """How much of one provider a process may use at once, and how long it waits."""
    concurrency: int = 64        # calls in flight: HTTP connections, or threads for a synchronous SDK
    queue_seconds: float = 3.0   # the longest a call waits for its turn
    timeout_seconds: float = 5.0  # the longest one call may take once sent
    retry_after_seconds: int = 3  # told to the resident when the provider is busy or slow


class Provider:
    name = "provider"
    limits = ProviderLimits()
    _gate: asyncio.Semaphore | None = None
    _threads: ThreadPoolExecutor | None = None
    _http: KeepAliveClient | None = None

    def sized(self, limits: ProviderLimits) -> Self:
        """Use ``limits`` (before the first call)."""
        self.limits = limits
        return self

    def close_connections(self) -> None:
        """Close the connections kept for later calls (when the app stops)."""
        if self._http is not None:
            self._http.close()

    def _busy(self) -> errors.ProviderBusy:
        return errors.ProviderBusy(self.limits.retry_after_seconds, details={"provider": self.name})

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """One of the provider's ``concurrency`` places, waited for at most ``queue_seconds``."""
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.limits.concurrency)
        try:
            await asyncio.wait_for(self._gate.acquire(), self.limits.queue_seconds)
        except asyncio.TimeoutError:
            log.warning("provider busy", extra={"provider": self.name, "waited_s": self.limits.queue_seconds})
            raise self._busy() from None
        try:
            yield
        finally:
            self._gate.release()

    async def call(self, operation: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a synchronous SDK call in the provider's worker threads, timed and logged."""
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self.limits.concurrency, thread_name_prefix=f"zjb-{self.name}")
        async with self._turn():
            running = asyncio.get_running_loop().run_in_executor(self._threads, functools.partial(fn, *args, **kwargs))
            return await self._timed(operation, asyncio.wait_for(running, self.limits.timeout_seconds))

    async def fetch(self, operation: str, request: HTTPRequest, *, idempotent: bool = False) -> HTTPResponse:
        """One HTTP request through the provider's own client, within its limits. The client keeps
        its connections (at most ``concurrency``, one per call in flight) for the next calls;
        ``idempotent`` lets a call that finds its kept connection closed go once more on a new one."""
        if self._http is None:
            self._http = KeepAliveClient()
        request.request_timeout = min(request.request_timeout or self.limits.timeout_seconds,
                                      self.limits.timeout_seconds)
        async with self._turn():
            return await self._timed(operation, self._http.fetch(request, idempotent=idempotent))

    async def _timed(self, operation: str, awaitable: Awaitable[T]) -> T:
        started = time.monotonic()
        outcome = "ok"
        try:
            return await awaitable
        except errors.AppError as e:
            outcome = e.code
            raise
        except (asyncio.TimeoutError, TimeoutError) as e:
            outcome = "timeout"
            log.warning("provider call timed out", extra={"provider": self.name, "operation": operation})
            raise self._busy() from e
        except HTTPClientError as e:
            outcome = f"http_{e.code}"
            if e.code == 599:  # tornado: timed out or the connection failed while sending
                log.warning("provider call timed out", extra={"provider": self.name, "operation": operation})
                raise self._busy() from e
            log.warning("provider call failed", extra={"provider": self.name, "operation": operation,
                                                       "error": type(e).__name__, "status": e.code})
            raise errors.ProviderError(details={"provider": self.name}) from e
        except pymongo.errors.ConnectionFailure:
            # Our own database, reached through the SDK's token storage (wechatpy asks it for the
            # access token before every call): the database is down, not the provider.
            outcome = "database_unavailable"
            raise
        except Exception as e:  # noqa: BLE001 - every SDK failure becomes one ProviderError
            outcome = type(e).__name__
            log.warning("provider call failed", extra={"provider": self.name, "operation": operation,
                                                       "error": type(e).__name__})
            raise errors.ProviderError(details={"provider": self.name}) from e
        finally:
            log.info("provider call", extra={"provider": self.name, "operation": operation, "outcome": outcome,
                                             "duration_ms": round((time.monotonic() - started) * 1000, 2)})


class SignedJsonProvider(Provider):
    """An outside party that takes JSON POSTs signed with our app secret and signs its answers the
    same way (``backend.core.signing.request_signature``): the identity verifier, the e-licence
    library. ``post`` sends one request and returns the verified answer's JSON. Every call to
    these parties is a query (it changes nothing there), so it may be sent again."""

    PATH = "/"
    MAX_SKEW = 300  # seconds between the answer's timestamp and our clock
    BUSY = "外部服务繁忙，请稍后再试"  # said to the person when the party answers 429

    def __init__(self, gateway: str, app_id: str, app_secret: str, timeout: float):
        self._url = gateway.rstrip("/") + self.PATH
        self._path = "/" + self._url.split("://", 1)[-1].split("/", 1)[-1]
        self._app_id = app_id
        self._secret = app_secret
        self._timeout = timeout

    async def post(self, operation: str, payload: dict[str, Any]) -> Any:
        body = json.dumps({**payload, "request_id": uuid.uuid4().hex}, ensure_ascii=False).encode()
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        req = HTTPRequest(self._url, method="POST", body=body, request_timeout=self._timeout, headers={
            "Content-Type": "application/json; charset=utf-8", "X-App-Id": self._app_id, "X-Timestamp": ts,
            "X-Nonce": nonce, "X-Signature": request_signature(self._secret, "POST", self._path, ts, nonce, body)})
        try:
            resp = await self.fetch(operation, req, idempotent=True)  # every call is a query
        except errors.ProviderError as e:
            if isinstance(e.__cause__, HTTPClientError) and e.__cause__.code == 429:
                raise errors.RateLimited(60, self.BUSY) from None
            raise
        get = resp.headers.get
        rts, rnonce, sig = get("X-Timestamp", ""), get("X-Nonce", ""), get("X-Signature", "")
        if not (rts.isdigit() and abs(int(rts) - time.time()) <= self.MAX_SKEW):
            raise errors.ProviderError(details={"provider": self.name, "reason": "stale_response"})
        expected = request_signature(self._secret, "RESPONSE", self._path, rts, rnonce, resp.body)
        if not hmac.compare_digest(expected, sig):
            raise errors.ProviderError(details={"provider": self.name, "reason": "bad_signature"})
        try:
            return json.loads(resp.body)
        except ValueError:
            raise errors.ProviderError(details={"provider": self.name, "reason": "bad_answer"}) from None
