"""What other domains may know about a resident: a small, masked view of the account.

Payments, notifications and cases receive a ``UserDirectory`` instead of reading ``users``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.identity.store import UserStore


@dataclass(frozen=True)
class UserRef:
    id: str
    openid: str | None
    realname_verified: bool
    name_masked: str | None
    id_number_masked: str | None


def user_ref(doc: dict[str, Any]) -> UserRef:
    rn = doc.get("realname") or {}
    return UserRef(id=str(doc["_id"]), openid=doc.get("openid"), realname_verified=bool(rn),
                   name_masked=rn.get("name_masked"), id_number_masked=rn.get("id_masked"))


class UserDirectory:
    def __init__(self, users: UserStore):
        self._users = users

    async def get(self, user_id: str) -> UserRef | None:
        doc = await self._users.by_id(user_id)
        return None if doc is None else user_ref(doc)

    async def get_many(self, user_ids: list[str]) -> dict[str, UserRef]:
        docs = await self._users.by_ids(sorted(set(user_ids)))
        return {str(d["_id"]): user_ref(d) for d in docs}
