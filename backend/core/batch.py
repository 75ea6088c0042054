"""Reads by key that arrive together are answered by one query.

In a storm (slots released at 08:00, hundreds of residents at once) every request checks its
token: a read of its session and of its account, each by ``_id``. On the embedded database each
command costs about as much as a small write, so hundreds of point reads a second are most of its
work. A ``BatchedLookup`` collects the keys asked for in one turn of the event loop and fetches
them with one ``$in`` query; a lone request pays one extra loop turn (microseconds), nothing else.

A lookup is issued after it is asked for, never before, so it sees every write that finished
before the caller asked: batching changes no read's consistency.
"""
from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)

Fetch = Callable[[list[Any]], Awaitable[dict[Any, dict[str, Any]]]]


class BatchedLookup(Generic[K]):
    def __init__(self, fetch: Fetch, *, max_batch: int = 500):
        """``fetch(keys)`` returns the documents found, by key; a missing key reads as None."""
        self._fetch = fetch
        self._max = max_batch
        self._waiting: dict[K, list[asyncio.Future]] = {}
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task] = set()

    async def get(self, key: K) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._waiting.setdefault(key, []).append(fut)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await fut

    def _flush(self) -> None:
        self._flush_scheduled = False
        waiting, self._waiting = self._waiting, {}
        keys = list(waiting)
        for i in range(0, len(keys), self._max):
            part = {k: waiting[k] for k in keys[i:i + self._max]}
            task = asyncio.get_running_loop().create_task(self._run(part))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, waiting: dict[K, list[asyncio.Future]]) -> None:
        try:
            found = await self._fetch(list(waiting))
        except BaseException as e:  # noqa: BLE001 - every caller gets the failure
            for futs in waiting.values():
                for f in futs:
                    if not f.done():
                        f.set_exception(e)
            if not isinstance(e, Exception):
                raise
            return
        for key, futs in waiting.items():
            doc = found.get(key)
            for n, f in enumerate(futs):
                if not f.done():
                    # Callers may change what they get: each has its own copy.
                    f.set_result(doc if n == 0 or doc is None else copy.deepcopy(doc))
