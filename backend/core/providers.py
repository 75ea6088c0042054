"""The base of every outside provider: each outbound call is timed, logged in one structured
line, run off the event loop when the SDK is synchronous, and fails with one ``ProviderError``.

Subclasses implement domain-shaped verbs (``code_to_session``, ``verify``, ``prepay`` …) and
call ``self.call(name, fn, *args)`` for each request they make.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any, Awaitable, Callable, TypeVar

from backend.core import errors

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
