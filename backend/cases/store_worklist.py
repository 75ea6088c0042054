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

from pymongo.asynchronous.collection import AsyncCollection

from backend.cases.values import CaseStatus, Waiting
from backend.db.mongo import waiting_by_status

# The lower bound of "due" ranges: the indexes hold every case, those with nothing due as null,
# and a range open below would walk all of those first.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


class WorklistQueries:
    _cases: AsyncCollection[Any]

    async def waiting(self, statuses: Iterable[CaseStatus]) -> list[Waiting]:
        """Per status: how many cases stand there, and the creation time of the oldest."""
        return [Waiting(status=CaseStatus(s), count=n, oldest_at=oldest)
                for s, n, oldest in await waiting_by_status(self._cases, [str(x) for x in statuses])]

    async def promise_counts(self, now: dt.datetime) -> tuple[int, int]:
        """Cases with an open 容缺 promise, and those of them past its due time."""
        open_ = await self._cases.count_documents({"promise_due_at": {"$gte": EPOCH}})
        overdue = await self._cases.count_documents({"promise_due_at": {"$gte": EPOCH, "$lt": now}})
        return open_, overdue
