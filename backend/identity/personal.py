"""The resident's own account in their data (查阅、复制) and its cancellation (注销).

Cancelling keeps the account's record as a tombstone: the records the law keeps (cases, payments,
receipts, the audit log) name the account by its id, and the sealed identity stays for them. The
WeChat identity is replaced by a random tombstone reference and the unionid removed, so nothing
kept leads back to the WeChat account, and a later login with the same openid makes a new account;
every session ends at once.
"""
from __future__ import annotations

import datetime as dt
import uuid

from backend.core.access import Resident
from backend.core.clock import Clock
from backend.core.masking import mask_openid
from backend.core.personal import DataSection
from backend.identity.store import UserStore
from backend.identity.tokens import TokenService

AUDIENCE = "resident"


class AccountData:
    """Provided to the resident-data composer: the account's section, cancelling it, and which
    cancelled accounts still wait for their other data to be erased."""

    def __init__(self, *, users: UserStore, tokens: TokenService, clock: Clock):
        self._users = users
        self._tokens = tokens
        self._clock = clock

    async def sections(self, resident: Resident) -> list[DataSection]:
        user = await self._users.by_id(resident.id)
        if user is None:
            return []
        rn = user.realname
        account = {"id": user.id, "wechat_openid_masked": mask_openid(user.openid),
                   "has_unionid": user.unionid is not None, "created_at": user.created_at,
                   "last_login_at": await self._users.last_login(user), "realname_verified": rn is not None,
                   "name_masked": rn.name_masked if rn else None, "id_number_masked": rn.id_masked if rn else None,
                   "gender": {"male": "男", "female": "女"}.get(rn.gender or "") if rn else None,
                   "birth_date": rn.birth_date if rn else None,
                   "realname_verified_at": rn.verified_at if rn else None}
        logins = [{"created_at": s.created_at, "last_seen_at": s.last_seen_at}
                  for s in await self._tokens.open_sessions(user.id, AUDIENCE)]
        return [
            DataSection("account", "账号与实名信息", [account], kept=True,
                        on_cancel="账号记录保留为注销标记（不再关联微信身份），实名信息加密保留，仅供依法保存的办件、票据使用"),
            DataSection("logins", "登录设备", logins, kept=False, on_cancel="全部登录立即失效并删除"),
        ]

    async def cancel(self, resident_id: str) -> bool:
        """Active → cancelled, every session ended at once. False when it was not active."""
        tombstone = f"cancelled-{uuid.uuid4().hex}"
        await self._tokens.account_changing(resident_id)
        if not await self._users.cancel(resident_id, tombstone, self._clock.now()):
            return False
        await self._tokens.end_sessions_of(resident_id, AUDIENCE, "account_cancelled")
        return True

    async def erasure_done(self, resident_id: str) -> None:
        await self._users.erasure_done(resident_id)

    async def awaiting_erasure(self, older_than: dt.timedelta, limit: int = 20) -> list[str]:
        return await self._users.awaiting_erasure(self._clock.now() - older_than, limit)
