"""The cases store's counts for staff worklists: how many cases wait at each status and since when,
and how many 容缺 promises are open or overdue (a part of ``CaseStore``, which mixes it in; its
collections are declared in ``store.py``).

Every count is ``count_documents`` on a filter that is exactly an index's leading field (``status``
of ``status + department_id + created_at``; ``promise_due_at``), so it reads the index, never the
collection (docs/secantusdb-slow-paths.md §3, §6).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from backend.cases.values import CaseStatus, Waiting

# The lower bound of "due" ranges: the indexes hold every case, those with nothing due as null,
# and a range open below would walk all of those first.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


class WorklistQueries:
    _cases: AsyncCollection[Any]

    async def waiting(self, statuses: Iterable[CaseStatus]) -> list[Waiting]:
        """Per status: how many cases stand there, and the creation time of the oldest."""
        out = []
        for status in statuses:
            n = await self._cases.count_documents({"status": str(status)})
            first = None if n == 0 else await self._cases.find_one(
                {"status": str(status)}, {"created_at": 1}, sort=[("_id", ASCENDING)])
            out.append(Waiting(status=status, count=n, oldest_at=None if first is None else first.get("created_at")))
        return out

    async def promise_counts(self, now: dt.datetime) -> tuple[int, int]:
        """Cases with an open 容缺 promise, and those of them past its due time."""
        open_ = await self._cases.count_documents({"promise_due_at": {"$gte": EPOCH}})
        overdue = await self._cases.count_documents({"promise_due_at": {"$gte": EPOCH, "$lt": now}})
        return open_, overdue
