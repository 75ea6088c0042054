"""Identity assurance: a resident proves with WeChat face verification (人脸核身) that they are the
person whose name and ID number they give.

A verify_result counts only when WeChat says it passed (errcode 0, identify_ret 0), it was made by
the caller's own WeChat account (openid), for exactly the name and ID number given (MD5 of the ID
number with an upper-case X, MD5 of the UTF-8 name), within ``minutes`` of now by the product clock,
and was never used before (kept by the hash of the verify_result under a unique key). Binding a real
name needs one; so do fetching licences from the e-licence library and filing a high-assurance
service, which need one made within ``minutes`` (``require_fresh``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from typing import Any

from backend.core.access import Resident
from backend.core.clock import Clock
from backend.identity.crypto import PersonalDataCipher
from backend.identity.directory import name_hash
from backend.identity.errors import FaceVerificationRequired
from backend.identity.face import FaceCheck, FaceVerifier
from backend.identity.store import FaceVerificationStore, UserStore
from backend.identity.values import FacePurpose, FaceVerification

log = logging.getLogger("zjb.identity")

KEEP_DAYS = 30  # face verifications are kept this long (single use, and the resident's own record)
CLOCK_SKEW = dt.timedelta(minutes=1)  # WeChat's clock may run this much ahead of ours
# WeChat's identify_ret failure codes, in plain Chinese.
FAILURES = {10001: "参数错误", 10002: "人脸特征检测失败", 10003: "身份证号不匹配", 10004: "比对人脸信息不匹配",
            10020: "认证超时"}


def id_md5(id_number: str) -> str:
    return hashlib.md5(id_number.strip().upper().encode()).hexdigest()


def name_md5(name: str) -> str:
    return hashlib.md5(name.strip().encode("utf-8")).hexdigest()


class FaceAssurance:
    def __init__(self, *, verifier: FaceVerifier, store: FaceVerificationStore, users: UserStore,
                 cipher: PersonalDataCipher, clock: Clock, minutes: int):
        self.verifier = verifier
        self.store = store
        self.users = users
        self.cipher = cipher
        self.clock = clock
        self.minutes = minutes

    def _refuse(self, reason: str, message: str, **details: Any) -> FaceVerificationRequired:
        return FaceVerificationRequired(message, details={"reason": reason, **details})

    async def confirm(self, resident: Resident, verify_result: str | None, *, name: str, id_number: str,
                      purpose: FacePurpose, typed_name: str | None = None) -> FaceVerification:
        """Check a verify_result for this resident and identity with WeChat and use it up; the kept
        verification. Refused (403 face_verification_required, ``reason``) otherwise, and then
        nothing is kept. ``name`` is the name as stored; ``typed_name`` the name as the resident
        typed it (a minority name's middle dot may be another character), which WeChat was given."""
        if not verify_result:
            raise self._refuse("missing", "请先完成人脸核身")
        check = await self.verifier.check(verify_result)
        self._judge(check, resident.openid, names={name, (typed_name or name).strip()}, id_number=id_number)
        assert check.identified_at is not None  # _judge refuses a check without its time
        now = self.clock.now()
        found = FaceVerification(id=hashlib.sha256(verify_result.encode()).hexdigest(), user_id=resident.id,
                                 id_hash=self.cipher.keyed_hash(id_number), name_hash=name_hash(self.cipher, name),
                                 purpose=purpose, identified_at=check.identified_at, recorded_at=now)
        if not await self.store.record_once(found, now + dt.timedelta(days=KEEP_DAYS)):
            raise self._refuse("used", "该人脸核身结果已使用过，请重新进行人脸核身")
        log.info("face verification accepted", extra={"user_id": resident.id, "purpose": str(purpose)})
        return found

    def _judge(self, check: FaceCheck, openid: str, *, names: set[str], id_number: str) -> None:
        if check.errcode != 0 or check.identified_at is None:
            raise self._refuse("invalid", "人脸核身结果无效，请重新进行人脸核身", wechat_errcode=check.errcode)
        if check.identify_ret != 0:
            why = FAILURES.get(check.identify_ret, "核身未通过")
            raise self._refuse("failed", f"人脸核身未通过（{why}），请重新进行人脸核身",
                               identify_ret=check.identify_ret)
        if not hmac.compare_digest(check.openid, openid):
            raise self._refuse("other_account", "人脸核身须由本人在自己的微信中完成")
        if not (hmac.compare_digest(check.id_card_number_md5, id_md5(id_number))
                and any(hmac.compare_digest(check.name_utf8_md5, name_md5(n)) for n in names)):
            raise self._refuse("mismatch", "人脸核身的姓名或身份证号与填写的不一致，请核对后重新核身")
        now = self.clock.now()
        if not (now - dt.timedelta(minutes=self.minutes) <= check.identified_at <= now + CLOCK_SKEW):
            raise self._refuse("stale", f"人脸核身已超过{self.minutes}分钟，请重新进行人脸核身")

    async def verify_own(self, resident: Resident, verify_result: str) -> dict[str, Any]:
        """A bound resident proves their face now (before a library fetch or a high-assurance filing)."""
        user = await self.users.by_id(resident.id)
        rn = user.realname if user is not None else None
        if user is None or rn is None:
            raise self._refuse("needed", "请先完成实名认证")
        found = await self.confirm(resident, verify_result, name=self.cipher.open(rn.name_sealed, aad=user.id),
                                   id_number=self.cipher.open(rn.id_sealed, aad=user.id),
                                   purpose=FacePurpose.ASSURANCE)
        return {"verified_at": found.identified_at,
                "valid_until": found.identified_at + dt.timedelta(minutes=self.minutes)}

    async def require_fresh(self, user_id: str) -> None:
        """403 face_verification_required unless this resident passed face verification for their
        bound identity within the last ``minutes``."""
        user = await self.users.by_id(user_id)
        rn = user.realname if user is not None else None
        since = self.clock.now() - dt.timedelta(minutes=self.minutes)
        if rn is None or await self.store.latest_of(user_id, rn.id_hash, since) is None:
            raise self._refuse("needed", f"此操作须在{self.minutes}分钟内完成本人人脸核身，请先进行人脸核身",
                               minutes=self.minutes)
