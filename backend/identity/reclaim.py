"""Reclaiming a real-name identity at the window (实名找回): the ID number is bound to another WeChat
account (someone bound a leaked name and number, or the person's old phone), and its holder comes to
the hall in person.

The proof is twofold and both halves are needed:
1. the person passes WeChat face verification on their own phone, in their own account: they try
   to bind their identity on the mini-program's real-name page, the face verification passes and is
   kept, and the binding is refused with 409 ``id_number_already_bound`` (within ``minutes``);
2. a clerk or hall manager checks the physical resident ID card (居民身份证原件) against the person
   and enters the name and number from it, stating that the card was checked.

Then, in one transaction, the other account's binding ends and the claimant's account is bound;
every session of the other account ends at once; both accounts are told (outbox); the reclaim is
audited with who did it, the face verification's time and the card check.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from backend.audit.service import AuditLog, staff_actor
from backend.core import errors
from backend.core.access import Staff
from backend.core.clock import Clock
from backend.identity.access import RESIDENTS
from backend.identity.crypto import PersonalDataCipher
from backend.identity.directory import name_hash
from backend.identity.errors import FaceVerificationRequired, NothingToReclaim, RealnameAlreadyBound
from backend.identity.ports import ResidentMessages
from backend.identity.service import checked_identity, sealed_realname
from backend.identity.store import FaceVerificationStore, UserStore
from backend.identity.tokens import TokenService
from backend.identity.values import ResidentRefView, ResidentUser

log = logging.getLogger("zjb.identity")
Transaction = Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]]


def _ref(user: ResidentUser) -> ResidentRefView:
    """An account as staff lists show one: masked values only."""
    rn = user.realname
    return ResidentRefView(id=user.id, realname_verified=rn is not None, name_masked=rn.name_masked if rn else None,
                           id_number_masked=rn.id_masked if rn else None)


class RealnameReclaims:
    def __init__(self, *, users: UserStore, faces: FaceVerificationStore, tokens: TokenService,
                 cipher: PersonalDataCipher, clock: Clock, audit: AuditLog, outbox: ResidentMessages,
                 transaction: Transaction, minutes: int):
        self.users = users
        self.faces = faces
        self.tokens = tokens
        self.cipher = cipher
        self.clock = clock
        self.audit = audit
        self.outbox = outbox
        self._tx = transaction
        self.minutes = minutes

    async def reclaim(self, staff: Staff, *, name: str, id_number: str, id_card_checked: bool,
                      ip: str) -> dict[str, Any]:
        RESIDENTS.check(staff, "reclaim")
        name, id_number = checked_identity(name, id_number, self.clock.local_now().date())
        if not id_card_checked:
            raise errors.InvalidInput({"id_card_checked": "请先核验居民身份证原件与本人一致"},
                                      message="请先核验居民身份证原件与本人一致")
        id_hash = self.cipher.keyed_hash(id_number)
        holder = await self.users.by_id_hash(id_hash)
        if holder is None:
            raise NothingToReclaim()
        now = self.clock.now()
        # A claim recorded after the current binding was made, and recent: an older face verification
        # (say, the one that bound the holder's account before a reclaim moved it) claims nothing.
        bound_at = holder.realname.verified_at if holder.realname is not None else None
        claim = await self.faces.latest_claim(id_hash, name_hash(self.cipher, name),
                                              since=now - dt.timedelta(minutes=self.minutes), after=bound_at,
                                              not_user=holder.id)
        if claim is None:
            raise FaceVerificationRequired(
                f"请居民先用本人微信在指尖办小程序的实名认证页完成人脸核身（{self.minutes}分钟内有效），再办理找回",
                details={"reason": "needed", "minutes": self.minutes})
        claimant = await self.users.by_id(claim.user_id)
        if claimant is None or not claimant.active:
            raise FaceVerificationRequired("完成人脸核身的账号已不可用，请居民重新登录后再次核身",
                                           details={"reason": "needed"})
        if claimant.realname is not None:
            raise RealnameAlreadyBound("完成人脸核身的账号已绑定其他身份证号，不能找回")
        realname = sealed_realname(self.cipher, claimant.id, name, id_number, at=now, verified_by="window_reclaim")
        payload = {"id_number_masked": realname.id_masked}

        async def move(s: Any) -> None:
            if not await self.users.release_realname(holder.id, id_hash, session=s):
                raise errors.Conflict("该身份证号的绑定刚刚发生变化，请重新办理")
            if not await self.users.bind_realname(claimant.id, realname, session=s):
                raise RealnameAlreadyBound("完成人脸核身的账号已绑定其他身份证号，不能找回")
            await self.outbox.emit("identity.realname_released", user_id=holder.id, payload=payload, session=s,
                                   dedupe_key=f"realname:{holder.id}:released:{claim.id}")
            await self.outbox.emit("identity.realname_reclaimed", user_id=claimant.id, payload=payload, session=s,
                                   dedupe_key=f"realname:{claimant.id}:reclaimed:{claim.id}")
            await self.audit.record(actor=staff_actor(staff), action="resident.realname.reclaim",
                                    target_type="resident", target_id=claimant.id, ip=ip, session=s,
                                    details={"released_from": holder.id, "id_card_checked": True,
                                             "face_verified_at": claim.identified_at.isoformat()})
        await self.tokens.account_changing(holder.id)   # its identity is about to move
        await self._tx(move)
        # The other account's logins end now: it no longer holds the identity it was used under.
        await self.tokens.end_sessions_of(holder.id, "resident", "realname_reclaimed")
        log.info("realname reclaimed at the window", extra={"user_id": claimant.id, "released_from": holder.id})
        bound = await self.users.by_id(claimant.id)
        released = await self.users.by_id(holder.id)
        assert bound is not None and released is not None
        return {"user": _ref(bound), "released": _ref(released), "reclaimed_at": now}
