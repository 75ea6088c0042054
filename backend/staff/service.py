"""Staff accounts: argon2id passwords, roles, login throttling, tokens.

Every password check (login, and the current password of a change) is first reserved with the
throttle (``throttle.py``), which slows down the address the tries come from, never the account
itself; unknown usernames cost the same password hash as known ones and answer alike.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from dataclasses import replace

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
from backend.staff.access import LOGIN_THROTTLES, STAFF_ACCOUNTS, StaffAccess
from backend.staff.duties import Duties, exclusive_pairs
from backend.staff.errors import SelfLockout, UsernameTaken, WrongPassword
from backend.staff.ports import Places
from backend.staff.store import StaffStore
from backend.staff.throttle import Attempt, LoginThrottle
from backend.staff.values import AccountChange, AccountStatus, NewAccount, StaffAccount, StaffView, ThrottleView

log = logging.getLogger("zjb.staff")
AUDIENCE = "staff"
USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")


def public_staff(account: StaffAccount) -> StaffView:
    return StaffView(id=account.id, username=account.username, display_name=account.display_name,
                     roles=list(account.roles), status=str(account.status), hall_ids=list(account.hall_ids),
                     department_ids=list(account.department_ids),
                     password_change_required=account.password_change_required, created_at=account.created_at)


class StaffService:
    def __init__(self, *, store: StaffStore, tokens: TokenService, audit: AuditLog, places: Places,
                 limiter: RateLimiter, clock: Clock, config: StaffConfig, login_per_ip_per_minute: int):
        self.store = store
        self.access = StaffAccess(store)
        self.places = places
        self.duties = Duties(store, exclusive_pairs(config.exclusive_roles))
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

    async def _check_places(self, hall_ids: tuple[str, ...] | None,
                            department_ids: tuple[str, ...] | None) -> None:
        """400 when an account would be limited to a hall or department that does not exist."""
        problems: dict[str, str] = {}
        if hall_ids and await self.places.known_halls(list(hall_ids)) != set(hall_ids):
            problems["hall_ids"] = "包含不存在的大厅"
        if department_ids and await self.places.known_departments(list(department_ids)) != set(department_ids):
            problems["department_ids"] = "包含不存在的部门"
        if problems:
            raise errors.InvalidInput(problems)

    async def create(self, *, username: str, password: str, roles: list[str], display_name: str = "",
                     hall_ids: list[str] | None = None, department_ids: list[str] | None = None,
                     actor: Staff | None = None, ip: str | None = None) -> StaffView:
        """A new account: by an administrator (``actor``, who then controls it: ``duties.py``, and
        whose password its holder must change at the first sign-in), or by the command line (demo
        seeding, the person at the server's console chose the password)."""
        if actor is not None:
            STAFF_ACCOUNTS.check(actor, "create")
        username = username.strip().lower()
        problems = self._check_new(username, password, roles)
        if problems:
            raise errors.InvalidInput(problems)
        halls, departments = tuple(dict.fromkeys(hall_ids or ())), tuple(dict.fromkeys(department_ids or ()))
        await self._check_places(halls, departments)
        wanted = tuple(sorted(set(roles)))
        try:
            self.duties.check_roles(wanted)
        except errors.AppError as e:
            if actor is not None:
                await self.audit.record(actor=staff_actor(actor), action="staff.create", target_type="staff",
                                        details={"username": username, "roles": list(wanted), "reason": e.code},
                                        ip=ip, outcome="denied")
            raise
        new = NewAccount(username=username, display_name=display_name.strip(), roles=wanted,
                         hall_ids=halls, department_ids=departments, created_at=self.clock.now(),
                         password_set_by=(actor.id,) if actor is not None else (),
                         password_change_required=actor is not None,
                         password_hash=await asyncio.to_thread(self._hasher.hash, password))
        try:
            account = await self.store.add_account(new)
        except DuplicateKeyError:
            raise UsernameTaken("用户名已存在") from None
        await self.audit.record(actor=staff_actor(actor) if actor else system_actor("cli"), action="staff.create",
                                target_type="staff", target_id=account.id,
                                details={"username": username, "roles": list(account.roles)}, ip=ip)
        return public_staff(account)

    async def ensure(self, *, username: str, password: str, roles: list[str], display_name: str) -> None:
        """Create the account unless it exists (demo seeding): idempotent, never overwrites."""
        if not await self.store.username_exists(username):
            try:
                await self.create(username=username, password=password, roles=roles, display_name=display_name)
            except errors.Conflict:
                pass

    async def accounts(self, actor: Staff) -> list[StaffView]:
        STAFF_ACCOUNTS.check(actor, "list")
        return [public_staff(a) for a in await self.store.all_accounts()]

    async def me(self, staff: Staff) -> StaffView:
        return public_staff(await self.access.access_staff_account(staff, staff.id, "read_own"))

    async def get(self, staff_id: str) -> StaffView:
        """The public view of an account (other domains read its hall scope); 404 when unknown."""
        account = await self.store.by_id(staff_id)
        if account is None:
            raise errors.NotFound()
        return public_staff(account)

    async def active_by_username(self, username: str) -> StaffView | None:
        """The public view of an active account, by username (a resident names who may act for them)."""
        account = await self.store.by_username(username.strip().lower())
        return public_staff(account) if account is not None and account.active else None

    async def update(self, actor: Staff, staff_id: str, change: AccountChange, ip: str) -> StaffView:
        account = await self.access.access_staff_account(actor, staff_id, "update")
        if change.roles is not None:
            bad = [r for r in change.roles if r not in STAFF_ROLES]
            if bad or not change.roles:
                raise errors.InvalidInput({"roles": "角色无效，可选：" + "、".join(STAFF_ROLES)})
            roles = tuple(sorted(set(change.roles)))
            # roles sent unchanged (the console sends them with the halls) change nothing
            change = replace(change, roles=None if roles == tuple(sorted(account.roles)) else roles)
        change = replace(change, hall_ids=_unique(change.hall_ids), department_ids=_unique(change.department_ids))
        await self._check_places(change.hall_ids, change.department_ids)
        if account.id == actor.id and change.status is AccountStatus.DISABLED:
            raise SelfLockout("不能停用自己的账号")
        if change.roles is not None:
            try:
                await self.duties.check_change(actor, account, change.roles)
            except errors.AppError as e:
                await self.audit.record(actor=staff_actor(actor), action="staff.update", target_type="staff",
                                        target_id=account.id, details={"changes": change.as_details(),
                                                                       "username": account.username,
                                                                       "reason": e.code}, ip=ip, outcome="denied")
                raise
        updated = await self.store.change_account(account.id, change)
        if updated is None:
            raise errors.NotFound()
        if change.status is AccountStatus.DISABLED or change.roles is not None:
            await self.tokens.end_sessions_of(account.id, AUDIENCE, "account_changed")
        await self.audit.record(actor=staff_actor(actor), action="staff.update", target_type="staff",
                                target_id=account.id, details={"changes": change.as_details(),
                                                               "username": account.username}, ip=ip)
        return public_staff(updated)

    async def set_password(self, actor: Staff, staff_id: str, password: str, ip: str) -> None:
        account = await self.access.access_staff_account(actor, staff_id, "reset_password")
        problems = self._password_problems(account.username, password)
        if problems:
            raise errors.InvalidInput(problems)
        pw_hash = await asyncio.to_thread(self._hasher.hash, password)
        await self.store.set_password_hash(account.id, pw_hash, set_by=actor.id)  # to be changed at sign-in
        await self.throttle.clear_username(account.username)
        await self.tokens.end_sessions_of(account.id, AUDIENCE, "password_changed")
        await self.audit.record(actor=staff_actor(actor), action="staff.password.reset", target_type="staff",
                                target_id=account.id, details={"username": account.username}, ip=ip)

    async def unlock(self, actor: Staff, staff_id: str, ip: str) -> None:
        account = await self.access.access_staff_account(actor, staff_id, "unlock")
        await self.throttle.clear_username(account.username)
        await self.audit.record(actor=staff_actor(actor), action="staff.unlock", target_type="staff",
                                target_id=account.id, details={"username": account.username}, ip=ip)

    # -- login ---------------------------------------------------------------------------------

    async def login(self, username: str, password: str, ip: str) -> tuple[StaffAccount, TokenPair]:
        await self.limiter.hit(self._login_ip, ip)
        username = username.strip().lower()
        now = self.clock.now()
        account = await self.store.by_username(username)
        # The try is counted before the password is checked (``throttle.py``): parallel tries
        # cannot all pass a check made before any of them failed.
        attempt = await self.throttle.admit(username, ip, now, known=account is not None)
        ok = await asyncio.to_thread(self._verify, account.password_hash if account else self._dummy_hash, password)
        if not ok or account is None:
            raise await self._failed(username, account, attempt, now, ip)
        await self.throttle.succeeded(attempt)
        if not account.active:
            await self.audit.record(actor={"type": "staff", "id": account.id, "username": username},
                                    action="staff.login", target_type="staff", target_id=account.id, ip=ip,
                                    outcome="failed", details={"reason": "account_disabled"})
            raise AccountDisabled("账号已停用，请联系管理员")
        if self._hasher.check_needs_rehash(account.password_hash):
            new_hash = await asyncio.to_thread(self._hasher.hash, password)
            await self.store.set_password_hash(account.id, new_hash)
        pair = await self.tokens.issue(account.id, AUDIENCE)
        await self.store.record_login(account.id, now)
        await self.audit.record(actor={"type": "staff", "id": account.id, "username": username},
                                action="staff.login", target_type="staff", target_id=account.id, ip=ip)
        return account, pair

    def _verify(self, pw_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(pw_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _failed(self, username: str, account: StaffAccount | None, attempt: Attempt, now: dt.datetime,
                      ip: str) -> errors.AppError:
        actor_id = account.id if account else None
        await self.audit.record(actor={"type": "staff", "id": actor_id, "username": username}, action="staff.login",
                                target_type="staff", target_id=actor_id, ip=ip,
                                outcome="throttled" if attempt.retry_after else "failed")
        if attempt.retry_after:
            return self.throttle.refusal(now + dt.timedelta(seconds=attempt.retry_after), now)
        return errors.Unauthenticated("用户名或密码错误", details={
            "reason": "invalid_credentials", "remaining_attempts": attempt.remaining})

    # -- login throttles (admin) ---------------------------------------------------------------

    async def login_throttles(self, actor: Staff) -> list[ThrottleView]:
        LOGIN_THROTTLES.check(actor, "list")
        return await self.throttle.active(self.clock.now())

    async def clear_login_throttle(self, actor: Staff, throttle_id: str, ip: str) -> None:
        LOGIN_THROTTLES.check(actor, "clear")
        if not await self.throttle.clear(throttle_id):
            raise errors.NotFound()
        await self.audit.record(actor=staff_actor(actor), action="staff.login_throttle.clear",
                                target_type="login_throttle", target_id=throttle_id, ip=ip)

    async def refresh(self, refresh_token: str) -> tuple[StaffAccount, TokenPair]:
        subject, pair = await self.tokens.rotate(refresh_token, AUDIENCE)
        account = await self.store.by_id(subject)
        if account is None or not account.active:
            raise errors.Unauthenticated("账号不可用，请重新登录")
        return account, pair

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
        """A staff member changes their password; their other sessions end, this one goes on (and,
        if the password was one an administrator set, may now do what its roles allow)."""
        account = await self.access.access_staff_account(staff, staff.id, "change_own_password")
        now = self.clock.now()
        # The current password is guessed no faster than at login: the same keys, reserved first.
        attempt = await self.throttle.admit(account.username, ip, now, known=True, verb="密码错误")
        if not await asyncio.to_thread(self._verify, account.password_hash, current):
            await self.audit.record(actor=staff_actor(staff), action="staff.password.change", target_type="staff",
                                    target_id=staff.id, ip=ip, outcome="throttled" if attempt.retry_after else "failed",
                                    details={"username": account.username, "reason": "wrong_password"})
            if attempt.retry_after:
                raise self.throttle.refusal(now + dt.timedelta(seconds=attempt.retry_after), now, "密码错误")
            raise WrongPassword({"current_password": "当前密码不正确"}, message="当前密码不正确")
        await self.throttle.succeeded(attempt)
        problems = self._password_problems(account.username, new)
        if new == current:
            problems = {"password": "新密码不能与当前密码相同"}
        if problems:
            raise errors.InvalidInput({"new_password": problems["password"]})
        await self.store.own_password_set(account.id, await asyncio.to_thread(self._hasher.hash, new))
        await self.tokens.end_sessions_of(staff.id, AUDIENCE, "password_changed", keep=staff.session_id)
        await self.audit.record(actor=staff_actor(staff), action="staff.password.change", target_type="staff",
                                target_id=staff.id, details={"username": account.username}, ip=ip)

    async def authenticate(self, token: str) -> Staff:
        claims = await self.tokens.authenticate(token, AUDIENCE)
        account = await self.store.by_id(claims["sub"])
        if account is None or not account.active:
            raise errors.Unauthenticated("账号不可用，请重新登录", details={"reason": "account_unavailable"})
        return Staff(id=account.id, username=account.username, roles=frozenset(account.roles),
                     display_name=account.display_name, session_id=claims["sid"],
                     hall_ids=frozenset(account.hall_ids), department_ids=frozenset(account.department_ids),
                     password_change_required=account.password_change_required)


def _unique(ids: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return None if ids is None else tuple(dict.fromkeys(ids))
