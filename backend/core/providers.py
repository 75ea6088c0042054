"""The base of every outside provider: each outbound call is timed, logged in one structured
line, run off the event loop when the SDK is synchronous, and fails with one ``ProviderError``.

Subclasses implement domain-shaped verbs (``code_to_session``, ``verify``, ``prepay`` …) and
call ``self.call(name, fn, *args)`` for each request they make.
"""
from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import secrets
import time
import uuid
from typing import Any, Awaitable, Callable, TypeVar

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from backend.core import errors
from backend.core.signing import request_signature

T = TypeVar("T")
log = logging.getLogger("zjb.provider")


class Provider:
    name = "provider"

    async def call(self, operation: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a synchronous SDK call in a worker thread, timed and logged."""
        return await self._timed(operation, asyncio.to_thread(functools.partial(fn, *args, **kwargs)))

    async def call_async(self, operation: str, awaitable: Awaitable[T]) -> T:
        return await self._timed(operation, awaitable)

    async def _timed(self, operation: str, awaitable: Awaitable[T]) -> T:
        started = time.monotonic()
        outcome = "ok"
        try:
            return await awaitable
        except errors.AppError as e:
            outcome = e.code
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
    library. ``post`` sends one request and returns the verified answer's JSON."""

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
            resp = await self.call_async(operation, AsyncHTTPClient().fetch(req))
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
