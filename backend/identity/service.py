"""Resident identity: WeChat login, our tokens, and real-name binding."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from dataclasses import replace

from pymongo.errors import DuplicateKeyError

from backend.audit.service import AuditLog, staff_actor
from backend.config import RateLimitConfig
from backend.core import errors
from backend.core.access import Resident, Staff
from backend.core.clock import Clock
from backend.core.ratelimit import Limit, RateLimiter
from backend.identity.access import RESIDENTS, ResidentAccess
from backend.identity.assurance import FaceAssurance
from backend.identity.crypto import PersonalDataCipher
from backend.identity.directory import UserDirectory, UserRef, name_hash, query_kind
from backend.identity.errors import (
    AccountDisabled,
    IdNumberAlreadyBound,
    NotHandling,
    RealnameAlreadyBound,
    RealnameMismatch,
)
from backend.identity.idnumber import (
    IdNumberError,
    mask_id_number,
    mask_name,
    validate_id_number,
    validate_name,
)
from backend.identity.providers import RealnameVerifier, WeChatLogin
from backend.identity.reseal import ResealReport, reseal
from backend.identity.reveal_scope import ResidentHandling
from backend.identity.session_ends import Kept
from backend.identity.store import UpkeepStore, UserStore
from backend.identity.tokens import TokenPair, TokenService
from backend.identity.values import (
    FacePurpose,
    Realname,
    ResidentRefView,
    ResidentUser,
    RevealedView,
    StaffUserView,
    UserView,
)

log = logging.getLogger("zjb.identity")
AUDIENCE = "resident"


def public_user(user: ResidentUser) -> UserView:
    """What a resident may see of their own account: masked values only."""
    rn = user.realname
    return UserView(id=user.id, realname_verified=rn is not None, name_masked=rn.name_masked if rn else None,
                    id_number_masked=rn.id_masked if rn else None,
                    realname_verified_at=rn.verified_at if rn else None, created_at=user.created_at)


def resident_ref_view(r: UserRef) -> ResidentRefView:
    """A resident as staff lists show one: masked values only."""
    return ResidentRefView(id=r.id, realname_verified=r.realname_verified, name_masked=r.name_masked,
                           id_number_masked=r.id_number_masked)


def sealed_realname(cipher: PersonalDataCipher, user_id: str, name: str, id_number: str, *, at: dt.datetime,
                    verified_by: str) -> Realname:
    """A checked name and ID number as an account stores them: sealed for that account, hashed, masked."""
    return Realname(
        name_sealed=cipher.seal(name, aad=user_id),
        id_sealed=cipher.seal(id_number, aad=user_id),
        id_hash=cipher.keyed_hash(id_number),
        name_hash=name_hash(cipher, name),
        name_masked=mask_name(name),
        id_masked=mask_id_number(id_number),
        gender="male" if int(id_number[16]) % 2 else "female",
        birth_date=f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
        verified_at=at,
        verified_by=verified_by,
    )


def checked_identity(name: str, id_number: str, today: dt.date) -> tuple[str, str]:
    """The name and ID number normalised, or 400 saying which is wrong."""
    problems: dict[str, str] = {}
    try:
        name = validate_name(name)
    except IdNumberError as e:
        problems["name"] = e.reason
    try:
        id_number = validate_id_number(id_number, today=today)
    except IdNumberError as e:
        problems["id_number"] = e.reason
    if problems:
        raise errors.InvalidInput(problems, message="姓名或身份证号有误，请核对")
    return name, id_number


class IdentityService:
    def __init__(self, *, users: UserStore, tokens: TokenService, wechat: WeChatLogin,
                 verifier: RealnameVerifier, cipher: PersonalDataCipher, limiter: RateLimiter,
                 limits: RateLimitConfig, audit: AuditLog, clock: Clock, handling: ResidentHandling,
                 directory: UserDirectory, upkeep: UpkeepStore, assurance: FaceAssurance,
                 keep_seconds: float = 0.0):
        self.users = users
        # Verified, usable accounts this process's requests read: every change that makes one
        # unusable or unverified is announced first (``TokenService.account_changing``), which drops it.
        self._kept: Kept[ResidentUser] = Kept(tokens.ends, keep_seconds=keep_seconds, subject_of=lambda u: u.id)
        # The unverified account each request's token check read, for as long as that request's
        # Resident lives: the binding that follows uses it instead of reading the account again.
        self._read_for: weakref.WeakKeyDictionary[Resident, ResidentUser] = weakref.WeakKeyDictionary()
        self.assurance = assurance
        self.directory = directory
        self.upkeep = upkeep
        self.tokens = tokens
        self.wechat = wechat
        self.verifier = verifier
        self.cipher = cipher
        self.limiter = limiter
        self.audit = audit
        self.clock = clock
        self.handling = handling
        self.access = ResidentAccess(users, handling)
        # The address and openid limits are loose and met by every login of a peak: counted here
        # first (backend/core/ratelimit.py). A person's real-name tries, and the refusals of an ID
        # number bound to another account, are exact.
        self._login_ip = Limit("login-ip", limits.login_per_ip_per_minute, 60, exact=False)
        self._login_openid = Limit("login-openid", limits.login_per_openid_per_minute, 60, exact=False)
        self._rn_ip = Limit("realname-ip", limits.realname_per_ip_per_minute, 60, exact=False)
        self._rn_user = Limit("realname-user", limits.realname_per_user_per_hour, 3600,
                              "实名认证尝试次数过多，请一小时后再试")
        self._rn_id = Limit("realname-id", limits.realname_per_id_number_per_hour, 3600,
                            "该身份证号认证尝试次数过多，请一小时后再试")

    # -- login ---------------------------------------------------------------------------------

    async def wechat_login(self, code: str, ip: str) -> tuple[ResidentUser, TokenPair]:
        await self.limiter.hit(self._login_ip, ip)
        session = await self.wechat.code_to_session(code)
        await self.limiter.hit(self._login_openid, session.openid)
        user = await self.users.record_login(session.openid, session.unionid, self.clock.now())
        if not user.active:
            raise AccountDisabled("账号已停用，请联系政务服务中心")
        pair = await self.tokens.issue(user.id, AUDIENCE)
        log.info("resident logged in", extra={"user_id": user.id})
        return user, pair

    async def refresh(self, refresh_token: str) -> tuple[ResidentUser, TokenPair]:
        subject, pair = await self.tokens.rotate(refresh_token, AUDIENCE)
        user = await self.users.by_id(subject)
        if user is None or not user.active:
            raise errors.Unauthenticated("账号不可用，请重新登录")
        return user, pair

    async def authenticate(self, token: str) -> Resident:
        claims = self.tokens.verify_access(token, AUDIENCE)
        user = self._kept.get(claims["sub"])
        if user is not None:
            await self.tokens.check_session(claims["sid"], claims["sub"], AUDIENCE)
        else:
            # The session and the account are read together: one round trip to the database.
            # Both must pass; a session that ended is told before an unusable account.
            _, user = await asyncio.gather(self.tokens.check_session(claims["sid"], claims["sub"], AUDIENCE),
                                           self.users.by_id(claims["sub"]))
            if user is None or not user.active:
                raise errors.Unauthenticated("账号不可用，请重新登录", details={"reason": "account_unavailable"})
            if user.realname is not None:  # an unverified account is read until it is verified
                self._kept.put(user.id, user)
        resident = Resident(id=user.id, openid=user.openid, realname_verified=user.realname is not None,
                            session_id=claims["sid"])
        if user.realname is None:  # only a binding uses it, and only an unverified account binds
            self._read_for[resident] = user
        return resident

    async def logout(self, resident: Resident, *, everywhere: bool = False) -> None:
        """End this login (its tokens stop working at once), or every login of the resident."""
        if everywhere:
            await self.tokens.end_sessions_of(resident.id, AUDIENCE, "logout_everywhere")
        else:
            await self.tokens.end_session(resident.session_id, "logout")
        log.info("resident logged out", extra={"user_id": resident.id, "everywhere": everywhere})

    async def me(self, resident: Resident) -> UserView:
        user = await self.users.by_id(resident.id)
        if user is None:
            raise errors.Unauthenticated()
        return public_user(user)

    # -- real name -----------------------------------------------------------------------------

    async def bind_realname(self, resident: Resident, name: str, id_number: str, verify_result: str | None,
                            ip: str) -> UserView:
        # The account as this request's token check read it (the insert below, not this read,
        # settles a race with another binding); else it is read with the attempt's count.
        counted = self.limiter.hit_together((self._rn_ip, ip), (self._rn_user, resident.id))
        user = self._read_for.get(resident)
        if user is None:
            _, user = await asyncio.gather(counted, self.users.by_id(resident.id))
        else:
            await counted
        typed_name = name
        name, id_number = checked_identity(name, id_number, self.clock.local_now().date())
        id_hash = self.cipher.keyed_hash(id_number)
        if user is None:
            raise errors.Unauthenticated()
        existing = user.realname
        if existing is not None:
            if existing.id_hash == id_hash:
                return public_user(user)  # the same binding again: nothing to do
            raise RealnameAlreadyBound("账号已完成实名认证，不能更换身份证号")
        # The face first: a leaked name and ID number are not enough to take a person's identity. A
        # passing verification is kept even when the number turns out to be bound to another account:
        # it is what lets the person reclaim it at the window (``reclaim.py``).
        await self.assurance.confirm(resident, verify_result, name=name, id_number=id_number,
                                     purpose=FacePurpose.REALNAME, typed_name=typed_name)
        # Then the identity-verification provider: a wrong name never counts against the person whose number it is,
        # and whether a number is bound is told only to someone who has proved the name with it.
        result = await self.verifier.verify(name, id_number)
        if not result.consistent:
            raise RealnameMismatch({"name": "姓名与身份证号不一致"},
                                      message="姓名与身份证号不一致，请核对后重试")
        # A number bound to another account is refused by the unique index on its hash.
        aad = user.id
        realname = sealed_realname(self.cipher, aad, name, id_number, at=self.clock.now(),
                                   verified_by="face_verification")
        try:
            bound = await self.users.bind_realname(user.id, realname)
        except DuplicateKeyError:
            # That a number is bound elsewhere is told only to someone who proved its name with a
            # face, and only so often an hour per number: the refusals are what is counted (a
            # binding that succeeds tells nobody anything, and leaves the number bound).
            await self.limiter.hit(self._rn_id, id_hash)
            raise IdNumberAlreadyBound(details={"reclaim": "at_window"}) from None
        if not bound:  # raced with itself: the other request bound first
            return await self.bind_realname_result(resident, id_hash)
        log.info("realname bound", extra={"user_id": aad})
        return public_user(replace(user, realname=realname))

    async def bind_realname_result(self, resident: Resident, id_hash: str) -> UserView:
        user = await self.users.by_id(resident.id)
        if user is not None and user.realname is not None and user.realname.id_hash == id_hash:
            return public_user(user)
        raise RealnameAlreadyBound("账号已完成实名认证，不能更换身份证号")

    # -- staff views of residents --------------------------------------------------------------

    async def resident_for_staff(self, staff: Staff, user_id: str) -> StaffUserView:
        user, _ = await self.access.access_resident(staff, user_id, "read")
        return StaffUserView(**public_user(user), openid_masked=user.openid[:4] + "****" + user.openid[-4:],
                             status=str(user.status))

    async def find_residents(self, staff: Staff, q: str, ip: str) -> list[ResidentRefView]:
        """Residents with exactly this ID number or full name, masked; every search is audited
        (by what kind of value, never the value itself)."""
        RESIDENTS.check(staff, "search")
        kind = query_kind(q)
        if kind is None:
            raise errors.InvalidInput({"q": "请输入完整的身份证号或姓名"})
        found = await self.directory.find(q)
        await self.audit.record(actor=staff_actor(staff), action="resident.search", target_type="resident",
                                target_id=found[0].id if len(found) == 1 else None,
                                details={"by": kind[0], "found": len(found)}, ip=ip)
        return [resident_ref_view(r) for r in found]

    async def reveal_identity(self, staff: Staff, user_id: str, reason: str, ip: str) -> RevealedView:
        """The full name and ID number, for a stated reason, to staff handling the resident;
        always audited with the reason and the tie — and a refusal for want of a tie, too."""
        try:
            user, why = await self.access.access_resident(staff, user_id, "reveal")
        except NotHandling as refused:
            await self.audit.record(actor=staff_actor(staff), action="resident.identity.reveal",
                                    target_type="resident", target_id=user_id, outcome="denied",
                                    details={"reason": reason, "refused": "not_handling"}, ip=ip)
            raise refused
        rn = user.realname
        assert rn is not None  # access_resident answers 404 for an account without a verified identity
        aad = user.id
        await self.audit.record(actor=staff_actor(staff), action="resident.identity.reveal",
                                target_type="resident", target_id=aad, details={"reason": reason, "handling": why},
                                ip=ip)
        return RevealedView(id=aad, name=self.cipher.open(rn.name_sealed, aad=aad),
                            id_number=self.cipher.open(rn.id_sealed, aad=aad))

    async def backfill_name_hashes(self) -> int:
        """The keyed hash of the name of every account bound before names were hashed, so that staff
        find those residents by name too (a migration: once per database, safe to run again)."""
        count = 0
        async for user_id, rn in self.users.needing_name_hash():
            name = self.cipher.open(rn.name_sealed, aad=user_id)
            if await self.users.set_name_hash(user_id, rn.id_hash, name_hash(self.cipher, name)):
                count += 1
        if count:
            log.info("name hashes backfilled", extra={"count": count})
        return count

    async def reseal(self, *, batch_size: int = 200, max_batches: int | None = None) -> ResealReport:
        """Re-encrypt every identity not sealed with the active key (key rotation; resumable)."""
        return await reseal(self.users, self.upkeep, self.cipher, self.clock, batch_size=batch_size,
                            max_batches=max_batches)


__all__ = ["IdentityService", "checked_identity", "public_user", "resident_ref_view", "sealed_realname"]
