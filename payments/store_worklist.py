"""The payments store's worklist counts (a part of ``PaymentStore``, which mixes it in; the
collection and its ``status`` indexes are declared in ``store.py``)."""
from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from backend.db.mongo import waiting_by_status
from payments.values import PaymentStatus, Waiting


class WorklistQueries:
    _payments: AsyncCollection[Any]

    async def waiting(self, statuses: list[PaymentStatus]) -> list[Waiting]:
        """Per status: how many orders, and the oldest's time (counted on ``status + expires_at``)."""
        return [Waiting(status=PaymentStatus(s), count=n, oldest_at=oldest)
                for s, n, oldest in await waiting_by_status(self._payments, [str(x) for x in statuses])]
