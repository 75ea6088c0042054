"""What other domains may know about a resident: a small, masked view of the account.

Payments, notifications and cases receive a ``UserDirectory`` instead of reading ``users``.
Staff find a resident by an exact ID number or full name, matched by their keyed hashes: the
plain values are never stored, so they cannot be searched in any other way.
"""
from __future__ import annotations

from dataclasses import dataclass

from backend.identity.crypto import PersonalDataCipher
from backend.identity.idnumber import IdNumberError, id_number_shaped, name_key, validate_name
from backend.identity.store import UserStore
from backend.identity.values import ResidentUser, UserStatus

FIND_LIMIT = 20  # residents sharing one name, at most, in one answer


@dataclass(frozen=True)
class UserRef:
    id: str
    openid: str | None
    realname_verified: bool
    name_masked: str | None
    id_number_masked: str | None
    cancelled: bool = False


def user_ref(user: ResidentUser) -> UserRef:
    rn = user.realname
    # A cancelled account's openid is a tombstone, never a WeChat identity to push to.
    cancelled = user.status is UserStatus.CANCELLED
    return UserRef(id=user.id, openid=None if cancelled else user.openid, realname_verified=rn is not None,
                   name_masked=rn.name_masked if rn else None, id_number_masked=rn.id_masked if rn else None,
                   cancelled=cancelled)


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
        user = await self._users.by_id(user_id)
        return None if user is None else user_ref(user)

    async def get_many(self, user_ids: list[str]) -> dict[str, UserRef]:
        return {u.id: user_ref(u) for u in await self._users.by_ids(sorted(set(user_ids)))}

    async def full_name(self, user_id: str) -> str | None:
        """The resident's full name, for documents that are their own (the payer's receipt PDF)."""
        user = await self._users.by_id(user_id)
        sealed = user.realname.name_sealed if user is not None and user.realname is not None else None
        return self._cipher.open(sealed, aad=user_id) if sealed else None

    async def find(self, q: str) -> list[UserRef]:
        """Residents with exactly this ID number or this full name (verified accounts only)."""
        kind = query_kind(q)
        if kind is None:
            return []
        if kind[0] == "id_number":
            user = await self._users.by_id_hash(id_number_hash(self._cipher, kind[1]))
            return [] if user is None else [user_ref(user)]
        return [user_ref(u) for u in await self._users.by_name_hash(name_hash(self._cipher, kind[1]), FIND_LIMIT)]
