"""Operations that arrive together are sent to the database as one.

In a storm (slots released at 08:00, hundreds of residents at once) every request checks its
token (a read of its session and of its account) and counts itself against the resident's rate
limit (a counter upsert and a read). On the embedded database each command costs about as much
as a small write, so hundreds of point operations a second are most of its work. A ``Batch``
collects what is asked for in one turn of the event loop and runs it as one operation; a lone
request pays one extra loop turn (microseconds), nothing else.

Work is sent after it is asked for, never before, so a read sees every write that finished
before the caller asked: batching changes no operation's consistency.
"""
from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)


class Batch(Generic[T, R]):
    def __init__(self, run: Callable[[list[T]], Awaitable[list[R]]], *, max_batch: int = 500):
        """``run(items)`` does the work of every item at once and returns their results in order."""
        self._run_all = run
        self._max = max_batch
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, fut))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await fut

    def _flush(self) -> None:
        self._flush_scheduled = False
        waiting, self._waiting = self._waiting, []
        for i in range(0, len(waiting), self._max):
            task = asyncio.get_running_loop().create_task(self._run(waiting[i:i + self._max]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, waiting: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run_all([item for item, _ in waiting])
        except BaseException as e:  # noqa: BLE001 - every caller gets the failure
            for _, f in waiting:
                if not f.done():
                    f.set_exception(e)
            if not isinstance(e, Exception):
                raise
            return
        for (_, f), result in zip(waiting, results, strict=True):
            if not f.done():
                f.set_result(result)


class BatchedLookup(Generic[K]):
    """Documents by key: the keys asked for together are fetched with one query."""

    def __init__(self, fetch: Callable[[list[Any]], Awaitable[dict[Any, dict[str, Any]]]], *,
                 max_batch: int = 500):
        """``fetch(keys)`` returns the documents found, by key; a missing key reads as None."""
        self._fetch = fetch
        self._batch: Batch[K, dict[str, Any] | None] = Batch(self._run, max_batch=max_batch)

    async def get(self, key: K) -> dict[str, Any] | None:
        return await self._batch.submit(key)

    async def _run(self, keys: list[K]) -> list[dict[str, Any] | None]:
        found = await self._fetch(list(dict.fromkeys(keys)))
        seen: set[K] = set()
        out: list[dict[str, Any] | None] = []
        for k in keys:
            doc = found.get(k)
            # Callers may change what they get: each has its own copy.
            out.append(copy.deepcopy(doc) if k in seen and doc is not None else doc)
            seen.add(k)
        return out
