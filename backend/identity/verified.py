"""A resident's verified identity, for their own business with an outside party: the e-licence
library is asked for a person's licences by that person's ID number, and a licence is issued in
the holder's name. Provided as ``verified_identities``; its caller passes the resident it acts
for, never a number it was given."""
from __future__ import annotations

from dataclasses import dataclass

from backend.identity.crypto import PersonalDataCipher
from backend.identity.store import UserStore


@dataclass(frozen=True)
class VerifiedIdentity:
    user_id: str
    name: str
    id_number: str
    name_masked: str
    id_number_masked: str


class VerifiedIdentities:
    def __init__(self, users: UserStore, cipher: PersonalDataCipher):
        self._users = users
        self._cipher = cipher

    async def of(self, user_id: str) -> VerifiedIdentity | None:
        """The real-name identity of this resident; None until they have verified it."""
        user = await self._users.by_id(user_id)
        rn = user.realname if user is not None else None
        if user is None or rn is None:
            return None
        return VerifiedIdentity(user_id=user.id, name=self._cipher.open(rn.name_sealed, aad=user.id),
                                id_number=self._cipher.open(rn.id_sealed, aad=user.id),
                                name_masked=rn.name_masked, id_number_masked=rn.id_masked)
