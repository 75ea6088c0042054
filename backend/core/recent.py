"""Reference data read again and again within seconds (the catalogue on every home page, the
WeChat access token on every provider call) is kept in memory for a short while.

``Recent`` keeps each loaded value for ``seconds`` and loads a missing one once however many
requests ask for it at the same instant: at a peak of 500 home pages one query answers all of
them. A process's own writes clear it at once; a write made by another process is seen within
``seconds``, as if the read had arrived that much earlier. ``seconds = 0`` keeps nothing.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    def __init__(self, seconds: float, *, limit: int = 1024):
        self.seconds = seconds
        self._limit = limit
        self._kept: dict[Hashable, tuple[float, V]] = {}
        self._loading: dict[Hashable, asyncio.Future[V]] = {}
        self._generation = 0

    async def get(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """The value kept for ``key`` if it is recent enough, else what ``load`` returns (kept)."""
        if self.seconds <= 0:
            return await load()
        kept = self._kept.get(key)
        if kept is not None and time.monotonic() < kept[0]:
            return kept[1]
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        generation = self._generation
        try:
            value = await load()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved here: the waiters, if any, re-raise it themselves
            raise
        finally:
            if self._loading.get(key) is future:
                del self._loading[key]
        future.set_result(value)
        if generation == self._generation:  # nothing was written while it loaded
            if len(self._kept) >= self._limit:
                self._kept.clear()
            self._kept[key] = (time.monotonic() + self.seconds, value)
        return value

    def clear(self) -> None:
        """Forget everything (after a write); loads already under way are not kept."""
        self._kept.clear()
        self._loading.clear()
        self._generation += 1
