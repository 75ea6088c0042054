"""Lookups asked for together go to the database as one query and come back in one batch: past
the driver's default first batch (101 documents) the rest would cost more round trips
(``getMore``), and a batch exactly full would leave the cursor open for one more."""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from bson import ObjectId

from tests.support import AppServer


def _users_ops(server: AppServer) -> dict[str, int]:
    async def top() -> dict[str, Any]:
        assert server.ctx is not None
        return dict(await server.ctx.db.client.admin.command("top"))
    ns = f"{server.ctx.db.name}.users" if server.ctx else ""
    totals = server.run(top())["totals"].get(ns, {})
    return {kind: int(totals.get(kind, {}).get("count", 0)) for kind in ("queries", "getmore")}


async def _together(users: Any, ids: list[ObjectId]) -> list[Any]:
    return list(await asyncio.gather(*[users.by_id(str(i)) for i in ids]))


def test_accounts_asked_for_together_come_back_in_one_query_and_one_batch(server: AppServer) -> None:
    assert server.ctx is not None
    now = dt.datetime.now(dt.timezone.utc)
    for n in (101, 150):
        ids = [ObjectId() for _ in range(n)]
        docs = [{"_id": i, "openid": f"o-batch-{i}", "created_at": now, "status": "active", "realname": None}
                for i in ids]
        server.run(server.ctx.db["users"].insert_many(docs))
        users = server.ctx.service("identity").users
        before = _users_ops(server)
        found = server.run(_together(users, ids))
        after = _users_ops(server)
        assert [u.id for u in found] == [str(i) for i in ids]
        assert after["queries"] - before["queries"] == 1, (n, before, after)
        assert after["getmore"] == before["getmore"], (n, before, after)
