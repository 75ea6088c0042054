"""The payments store's worklist counts (a part of ``PaymentStore``, which mixes it in; the
collection and its ``status`` indexes are declared in ``store.py``)."""
from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from payments.values import PaymentStatus, Waiting


class WorklistQueries:
    _payments: AsyncCollection[Any]

    async def waiting(self, statuses: list[PaymentStatus]) -> list[Waiting]:
        """Per status: how many orders, and the oldest's time (counted on ``status + expires_at``)."""
        out = []
        for status in statuses:
            n = await self._payments.count_documents({"status": str(status)})
            first = None if n == 0 else await self._payments.find_one(
                {"status": str(status)}, {"created_at": 1}, sort=[("_id", ASCENDING)])
            out.append(Waiting(status=status, count=n, oldest_at=None if first is None else first.get("created_at")))
        return out
