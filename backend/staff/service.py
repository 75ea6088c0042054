"""Staff accounts: argon2id passwords, roles, login throttling, tokens.

Failed attempts slow down the address they come from (``throttle.py``), never the account
itself; unknown usernames cost the same password hash as known ones, so the answers reveal
nothing about which accounts exist.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pymongo.errors import DuplicateKeyError

from backend.audit.service import AuditLog, staff_actor, system_actor
from backend.config import StaffConfig
from backend.core import errors
from backend.core.access import STAFF_ROLES, Staff
from backend.core.clock import Clock
from backend.core.ratelimit import Limit, RateLimiter
from backend.identity.errors import AccountDisabled
from backend.identity.tokens import TokenPair, TokenService
from backend.staff.errors import SelfLockout, UsernameTaken, WrongPassword
from backend.staff.store import StaffStore
from backend.staff.throttle import LoginThrottle

log = logging.getLogger("zjb.staff")
AUDIENCE = "staff"
USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")


def public_staff(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(doc["_id"]), "username": doc["username"], "display_name": doc.get("display_name", ""),
            "roles": list(doc.get("roles", [])), "status": doc.get("status", "active"),
            "hall_ids": list(doc.get("hall_ids", [])), "created_at": doc.get("created_at")}


class StaffService:
    def __init__(self, *, store: StaffStore, tokens: TokenService, audit: AuditLog, limiter: RateLimiter,
                 clock: Clock, config: StaffConfig, login_per_ip_per_minute: int):
        self.store = store
        self.throttle = LoginThrottle(store, config)
        self.tokens = tokens
        self.audit = audit
        self.limiter = limiter
        self.clock = clock
        self.config = config
        self._hasher = PasswordHasher()
        self._dummy_hash = self._hasher.hash("not-a-real-password-0000")
        self._login_ip = Limit("staff-login-ip", login_per_ip_per_minute, 60)

    # -- accounts ------------------------------------------------------------------------------

    def _check_new(self, username: str, password: str, roles: list[str]) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not USERNAME.match(username):
            problems["username"] = "用户名须为3至32位小写字母、数字或 _ . -，以字母开头"
        problems.update(self._password_problems(username, password))
        bad = [r for r in roles if r not in STAFF_ROLES]
        if not roles or bad:
            problems["roles"] = "角色无效，可选：" + "、".join(STAFF_ROLES)
        return problems

    def _password_problems(self, username: str, password: str) -> dict[str, str]:
        if len(password) < self.config.min_password_length:
            return {"password": f"密码至少 {self.config.min_password_length} 位"}
        if username and username in password.lower():
            return {"password": "密码不能包含用户名"}
        if len(set(password)) < 4:
            return {"password": "密码过于简单"}
        return {}

    async def create(self, *, username: str, password: str, roles: list[str], display_name: str = "",
                     hall_ids: list[str] | None = None, actor: Staff | None = None,
                     ip: str | None = None) -> dict[str, Any]:
        username = username.strip().lower()
        problems = self._check_new(username, password, roles)
        if problems:
            raise errors.InvalidInput(problems)
        doc = {"username": username, "display_name": display_name.strip(), "roles": sorted(set(roles)),
               "hall_ids": list(hall_ids or []), "status": "active", "created_at": self.clock.now(),
               "password_hash": await asyncio.to_thread(self._hasher.hash, password)}
        try:
            doc["_id"] = await self.store.add_account(doc)
        except DuplicateKeyError:
            raise UsernameTaken("用户名已存在") from None
        await self.audit.record(actor=staff_actor(actor) if actor else system_actor("cli"), action="staff.create",
                                target_type="staff", target_id=str(doc["_id"]),
                                details={"username": username, "roles": doc["roles"]}, ip=ip)
        return public_staff(doc)

    async def ensure(self, *, username: str, password: str, roles: list[str], display_name: str) -> None:
        """Create the account unless it exists (demo seeding): idempotent, never overwrites."""
        if not await self.store.username_exists(username):
            try:
                await self.create(username=username, password=password, roles=roles, display_name=display_name)
            except errors.Conflict:
                pass

    async def list(self) -> list[dict[str, Any]]:
        return [public_staff(d) for d in await self.store.all_accounts()]

    async def get(self, staff_id: str) -> dict[str, Any]:
        doc = await self.store.by_id(staff_id)
        if doc is None:
            raise errors.NotFound()
        return doc

    async def active_by_username(self, username: str) -> dict[str, Any] | None:
        """The public view of an active account, by username (a resident names who may act for them)."""
        doc = await self.store.by_username(username.strip().lower())
        return public_staff(doc) if doc is not None and doc.get("status", "active") == "active" else None

    async def update(self, actor: Staff, staff_id: str, changes: dict[str, Any], ip: str) -> dict[str, Any]:
        doc = await self.get(staff_id)
        if "roles" in changes:
            bad = [r for r in changes["roles"] if r not in STAFF_ROLES]
            if bad or not changes["roles"]:
                raise errors.InvalidInput({"roles": "角色无效，可选：" + "、".join(STAFF_ROLES)})
            changes["roles"] = sorted(set(changes["roles"]))
        if str(doc["_id"]) == actor.id and (changes.get("status") == "disabled" or
                                            ("roles" in changes and "admin" not in changes["roles"])):
            raise SelfLockout("不能停用自己或取消自己的管理员角色")
        updated = await self.store.change_account(doc["_id"], changes)
        if changes.get("status") == "disabled" or "roles" in changes:
            await self.tokens.end_sessions_of(str(doc["_id"]), AUDIENCE, "account_changed")
        await self.audit.record(actor=staff_actor(actor), action="staff.update", target_type="staff",
                                target_id=str(doc["_id"]), details={"changes": changes, "username": doc["username"]},
                                ip=ip)
        return public_staff(updated)

    async def set_password(self, actor: Staff, staff_id: str, password: str, ip: str) -> None:
        doc = await self.get(staff_id)
        problems = self._password_problems(doc["username"], password)
        if problems:
            raise errors.InvalidInput(problems)
        pw_hash = await asyncio.to_thread(self._hasher.hash, password)
        await self.store.set_password_hash(doc["_id"], pw_hash)
        await self.throttle.clear_username(doc["username"])
        await self.tokens.end_sessions_of(str(doc["_id"]), AUDIENCE, "password_changed")
        await self.audit.record(actor=staff_actor(actor), action="staff.password.reset", target_type="staff",
                                target_id=str(doc["_id"]), details={"username": doc["username"]}, ip=ip)

    async def unlock(self, actor: Staff, staff_id: str, ip: str) -> None:
        doc = await self.get(staff_id)
        await self.throttle.clear_username(doc["username"])
        await self.audit.record(actor=staff_actor(actor), action="staff.unlock", target_type="staff",
                                target_id=str(doc["_id"]), details={"username": doc["username"]}, ip=ip)

    # -- login ---------------------------------------------------------------------------------

    async def login(self, username: str, password: str, ip: str) -> tuple[dict[str, Any], TokenPair]:
        await self.limiter.hit(self._login_ip, ip)
        username = username.strip().lower()
        now = self.clock.now()
        await self.throttle.check(username, ip, now)
        doc = await self.store.by_username(username)
        ok = await asyncio.to_thread(self._verify, doc["password_hash"] if doc else self._dummy_hash, password)
        if doc is not None and ok and doc.get("status") != "active":
            await self.audit.record(actor={"type": "staff", "id": str(doc["_id"]), "username": username},
                                    action="staff.login", target_type="staff", target_id=str(doc["_id"]), ip=ip,
                                    outcome="failed", details={"reason": "account_disabled"})
            raise AccountDisabled("账号已停用，请联系管理员")
        if not ok or doc is None:
            raise await self._failed(username, doc, now, ip)
        await self.throttle.succeeded(username, ip)
        if self._hasher.check_needs_rehash(doc["password_hash"]):
            new_hash = await asyncio.to_thread(self._hasher.hash, password)
            await self.store.set_password_hash(doc["_id"], new_hash)
        pair = await self.tokens.issue(str(doc["_id"]), AUDIENCE)
        await self.store.record_login(doc["_id"], now)
        await self.audit.record(actor={"type": "staff", "id": str(doc["_id"]), "username": username},
                                action="staff.login", target_type="staff", target_id=str(doc["_id"]), ip=ip)
        return doc, pair

    def _verify(self, pw_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(pw_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _failed(self, username: str, doc: dict | None, now: dt.datetime, ip: str) -> errors.AppError:
        failure = await self.throttle.failed(username, ip, now)
        actor = {"type": "staff", "id": str(doc["_id"]) if doc else None, "username": username}
        await self.audit.record(actor=actor, action="staff.login", target_type="staff", target_id=actor["id"],
                                ip=ip, outcome="throttled" if failure.retry_after else "failed")
        if failure.retry_after:
            return self.throttle.refusal(now + dt.timedelta(seconds=failure.retry_after), now)
        return errors.Unauthenticated("用户名或密码错误", details={
            "reason": "invalid_credentials", "remaining_attempts": failure.remaining})

    # -- login throttles (admin) ---------------------------------------------------------------

    async def login_throttles(self) -> list[dict[str, Any]]:
        return await self.throttle.active(self.clock.now())

    async def clear_login_throttle(self, actor: Staff, throttle_id: str, ip: str) -> None:
        if not await self.throttle.clear(throttle_id):
            raise errors.NotFound()
        await self.audit.record(actor=staff_actor(actor), action="staff.login_throttle.clear",
                                target_type="login_throttle", target_id=throttle_id, ip=ip)

    async def refresh(self, refresh_token: str) -> tuple[dict[str, Any], TokenPair]:
        subject, pair = await self.tokens.rotate(refresh_token, AUDIENCE)
        doc = await self.store.by_id(subject)
        if doc is None or doc.get("status") != "active":
            raise errors.Unauthenticated("账号不可用，请重新登录")
        return doc, pair

    async def logout(self, staff: Staff, refresh_token: str | None, ip: str, *, everywhere: bool = False) -> None:
        """End this session (and the one ``refresh_token`` belongs to), or every session."""
        if everywhere:
            await self.tokens.end_sessions_of(staff.id, AUDIENCE, "logout_everywhere")
        else:
            await self.tokens.end_session(staff.session_id, "logout")
            if refresh_token:
                await self.tokens.end_session_of_refresh_token(refresh_token, staff.id, "logout")
        await self.audit.record(actor=staff_actor(staff), action="staff.logout", target_type="staff",
                                target_id=staff.id, details={"everywhere": everywhere}, ip=ip)

    async def change_own_password(self, staff: Staff, current: str, new: str, ip: str) -> None:
        """A staff member changes their password; their other sessions end, this one goes on."""
        doc = await self.get(staff.id)
        if not await asyncio.to_thread(self._verify, doc["password_hash"], current):
            raise WrongPassword({"current_password": "当前密码不正确"},
                                      message="当前密码不正确")
        problems = self._password_problems(doc["username"], new)
        if problems:
            raise errors.InvalidInput({"new_password": problems["password"]})
        await self.store.set_password_hash(doc["_id"], await asyncio.to_thread(self._hasher.hash, new))
        await self.tokens.end_sessions_of(staff.id, AUDIENCE, "password_changed", keep=staff.session_id)
        await self.audit.record(actor=staff_actor(staff), action="staff.password.change", target_type="staff",
                                target_id=staff.id, details={"username": doc["username"]}, ip=ip)

    async def authenticate(self, token: str) -> Staff:
        claims = await self.tokens.authenticate(token, AUDIENCE)
        doc = await self.store.by_id(claims["sub"])
        if doc is None or doc.get("status") != "active":
            raise errors.Unauthenticated("账号不可用，请重新登录", details={"reason": "account_unavailable"})
        return Staff(id=str(doc["_id"]), username=doc["username"], roles=frozenset(doc.get("roles", [])),
                     display_name=doc.get("display_name", ""), session_id=claims["sid"])
