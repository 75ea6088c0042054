"""Lookups asked for together go to the database as one query and come back in one batch: past
the driver's default first batch (101 documents) the rest would cost more round trips
(``getMore``), and a batch exactly full would leave the cursor open for one more."""
from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent, CommandSucceededEvent

from backend.db.embedded import EmbeddedDatabase
from backend.identity.store import UserStore


class _Commands(CommandListener):
    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def started(self, event: CommandStartedEvent) -> None:
        self.seen[event.command_name] += 1

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass


async def _lookups(uri: str, n: int) -> tuple[Counter[str], int]:
    commands = _Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, event_listeners=[commands])
    try:
        db = client[f"batched_{ObjectId()}"]
        now = dt.datetime.now(dt.timezone.utc)
        ids = [ObjectId() for _ in range(n)]
        await db["users"].insert_many([{"_id": i, "openid": f"o-{i}", "created_at": now, "status": "active",
                                        } for i in ids])
        users = UserStore(db)
        commands.seen.clear()
        found = await asyncio.gather(*[users.by_id(str(i)) for i in ids])
        seen = Counter(commands.seen)
        await client.drop_database(db.name)
        return seen, sum(1 for u, i in zip(found, ids, strict=True) if u is not None and u.id == str(i))
    finally:
        await client.close()


def test_accounts_asked_for_together_come_back_in_one_query_and_one_batch(database: EmbeddedDatabase) -> None:
    for n in (101, 150):
        seen, found = asyncio.run(_lookups(database.uri, n))
        assert found == n
        # One of the accounts and one of their identities (``realnames``).
        assert seen == Counter({"find": 2}), (n, seen)
