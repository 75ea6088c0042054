"""The payments store's queries for a resident's own data (a part of ``PaymentStore``, which mixes
it in; its collections and indexes are declared in ``store.py``): what of theirs is still in flight,
and their WeChat identity removed from their pay attempts when the account is cancelled.
"""
from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection


class PersonalQueries:
    _payments: AsyncCollection[Any]
    _attempts: AsyncCollection[Any]
    _refunds: AsyncCollection[Any]

    async def in_flight_of_payer(self, payer_id: str) -> tuple[int, int]:
        """How many of a payer's orders are being paid (an open attempt) and have a refund not finished."""
        ids = await self._payments.distinct("_id", {"payer_id": payer_id})
        paying = await self._attempts.distinct("payment_id", {"payment_id": {"$in": ids}, "status": "open"})
        refunding = set(await self._payments.distinct("_id", {"_id": {"$in": ids}, "status": "refunding"})) | set(
            await self._refunds.distinct("payment_id", {"payment_id": {"$in": ids}, "status": {"$in": [
                "pending", "processing"]}}))
        return len(paying), len(refunding)

    async def forget_payer_openid(self, payer_id: str) -> int:
        """Remove the WeChat identity from every pay attempt of a payer's orders; how many had one."""
        ids = await self._payments.distinct("_id", {"payer_id": payer_id})
        return (await self._attempts.update_many({"payment_id": {"$in": ids}, "payer_openid": {"$ne": None}},
                                                 {"$set": {"payer_openid": None}})).modified_count
