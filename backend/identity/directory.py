"""What other domains may know about a resident: a small, masked view of the account.

Payments, notifications and cases receive a ``UserDirectory`` instead of reading ``users``.
Staff find a resident by an exact ID number or full name, matched by their keyed hashes: the
plain values are never stored, so they cannot be searched in any other way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.identity.crypto import PersonalDataCipher
from backend.identity.idnumber import IdNumberError, id_number_shaped, name_key, validate_name
from backend.identity.store import UserStore

FIND_LIMIT = 20  # residents sharing one name, at most, in one answer


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


def id_number_hash(cipher: PersonalDataCipher, id_number: str) -> str:
    return cipher.keyed_hash(id_number)


def name_hash(cipher: PersonalDataCipher, name: str) -> str:
    return cipher.keyed_hash(name_key(name), purpose="name")


def query_kind(q: str) -> tuple[str, str] | None:
    """``("id_number", n)`` or ``("name", name)`` for what staff typed; None when it is neither."""
    n = id_number_shaped(q)
    if n is not None:
        return "id_number", n
    try:
        return "name", validate_name(q)
    except IdNumberError:
        return None


class UserDirectory:
    def __init__(self, users: UserStore, cipher: PersonalDataCipher):
        self._users = users
        self._cipher = cipher

    async def get(self, user_id: str) -> UserRef | None:
        doc = await self._users.by_id(user_id)
        return None if doc is None else user_ref(doc)

    async def get_many(self, user_ids: list[str]) -> dict[str, UserRef]:
        docs = await self._users.by_ids(sorted(set(user_ids)))
        return {str(d["_id"]): user_ref(d) for d in docs}

    async def full_name(self, user_id: str) -> str | None:
        """The resident's full name, for documents that are their own (the payer's receipt PDF)."""
        doc = await self._users.by_id(user_id)
        sealed = ((doc or {}).get("realname") or {}).get("name_sealed")
        return self._cipher.open(sealed, aad=str(doc["_id"])) if sealed else None

    async def find(self, q: str) -> list[UserRef]:
        """Residents with exactly this ID number or this full name (verified accounts only)."""
        kind = query_kind(q)
        if kind is None:
            return []
        if kind[0] == "id_number":
            doc = await self._users.by_id_hash(id_number_hash(self._cipher, kind[1]))
            return [] if doc is None else [user_ref(doc)]
        return [user_ref(d) for d in await self._users.by_name_hash(name_hash(self._cipher, kind[1]), FIND_LIMIT)]
