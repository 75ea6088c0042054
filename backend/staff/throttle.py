"""Slowing down password guessing without locking anyone out.

Tries are counted per (username, client address), never per username alone: five wrong passwords
for ``finance1`` from one address delay further tries for ``finance1`` *from that address*,
while the real officer at her own desk logs in as usual. An address that fails for many existing
accounts (a script trying passwords on them) is delayed for all of them, with a higher threshold
because a service hall shares one address. Failures for usernames that are no account are
counted per address apart (``unknown_address``): a script trying made-up names delays only
made-up names from that address, never the real staff logging in beside it.

Each try is **reserved before its password is checked**: one conditional update on the key's
document admits it or not (``StaffStore.reserve_attempt``), counting it as a failure up front, so
that sixty tries at once — in any number of processes — check at most the free number of
passwords, and past them one per delay. The try that reaches the limit starts the delay in that
same update. A try that succeeds is taken back (``release``). Past its free failures each key
waits before the next try, doubling each time up to a maximum; the count starts again once no
failure has come for a while.

Unknown usernames answer like known ones (the same per-(username, address) count and message).
Only once an address has used up its allowance for made-up names does a made-up name answer
429 where an existing one is still checked; what that tells is bounded by the allowance the
address has for existing accounts, after which both answer alike.

The password change (``POST /staff/me/password``) checks the current password through the same
keys, so a stolen session cannot guess it faster than a login could.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass

from backend.config import StaffConfig
from backend.core import errors
from backend.staff.store import StaffStore
from backend.staff.values import AttemptRule, Refused, Reserved, ThrottleKind, ThrottleView

ACCOUNT_ADDRESS = ThrottleKind.ACCOUNT_ADDRESS
ADDRESS = ThrottleKind.ADDRESS
UNKNOWN_ADDRESS = ThrottleKind.UNKNOWN_ADDRESS


def throttle_id(kind: ThrottleKind, username: str | None, ip: str) -> str:
    return hashlib.sha256(f"{kind}\x00{username or ''}\x00{ip}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Attempt:
    """A password check the throttle admitted: its reservation under each key, what is left for
    this name from this address if it fails, and the delay its failure has already started."""
    reserved: tuple[Reserved, ...]
    remaining: int
    retry_after: int


class LoginThrottle:
    def __init__(self, store: StaffStore, config: StaffConfig):
        self._store = store
        self._cfg = config

    def _rule(self, free: int) -> AttemptRule:
        return AttemptRule(free=free, delay_seconds=self._cfg.login_delay_seconds,
                           max_delay_seconds=self._cfg.login_max_delay_minutes * 60,
                           window=dt.timedelta(minutes=self._cfg.login_window_minutes))

    def _keys(self, username: str, ip: str, known: bool) -> list[tuple[str, ThrottleKind, str | None, int]]:
        address = ADDRESS if known else UNKNOWN_ADDRESS
        return [(throttle_id(ACCOUNT_ADDRESS, username, ip), ACCOUNT_ADDRESS, username, self._cfg.login_free_failures),
                (throttle_id(address, None, ip), address, None, self._cfg.address_free_failures)]

    async def admit(self, username: str, ip: str, now: dt.datetime, *, known: bool,
                    verb: str = "登录失败") -> Attempt:
        """Reserve one try of ``username``'s password from ``ip`` under each of its keys; 429 while
        a delay runs on any of them (the keys reserved so far are taken back)."""
        token = secrets.token_hex(8)
        held: list[Reserved] = []
        remaining, until = self._cfg.login_free_failures, None
        for tid, kind, name, free in self._keys(username, ip, known):
            got = await self._store.reserve_attempt(tid, kind, name, ip, self._rule(free), now, token)
            if isinstance(got, Refused):
                for r in held:
                    await self._store.release_attempt(r)
                raise self.refusal(got.blocked_until or now, now, verb)
            held.append(got)
            if kind == ACCOUNT_ADDRESS:
                remaining = max(0, free - got.failures)
            if got.started_delay is not None:
                until = got.started_delay if until is None else max(until, got.started_delay)
        # The database keeps milliseconds: round the delay up, not down to a second short.
        retry = 0 if until is None else max(1, math.ceil((until - now).total_seconds()))
        return Attempt(reserved=tuple(held), remaining=remaining, retry_after=retry)

    async def succeeded(self, attempt: Attempt) -> None:
        """The password was right: this name's count from this address starts again, and the
        address's count takes this try back."""
        for r in attempt.reserved:
            if r is attempt.reserved[0]:
                await self._store.clear_throttle(r.key)
            else:
                await self._store.release_attempt(r)

    @staticmethod
    def refusal(until: dt.datetime, now: dt.datetime, verb: str = "登录失败") -> errors.RateLimited:
        """429 until ``until``: "登录失败次数过多" (or another ``verb``), with the wait in words."""
        seconds = max(1, int((until - now).total_seconds()) + 1)
        wait = f"{seconds} 秒" if seconds < 120 else f"{(seconds + 59) // 60} 分钟"
        return errors.RateLimited(seconds, f"{verb}次数过多，请 {wait}后再试",
                                  details={"reason": "login_throttled"})

    # -- what an admin sees and clears --------------------------------------------------------------

    async def active(self, now: dt.datetime, limit: int = 200) -> list[ThrottleView]:
        since = now - dt.timedelta(minutes=self._cfg.login_window_minutes)
        return [ThrottleView(id=t.id, kind=str(t.kind), username=t.username, ip=t.ip, failures=t.failures,
                             last_failure_at=t.last_failure_at,
                             blocked_until=t.blocked_until if t.blocked_until is not None and t.blocked_until > now
                             else None)
                for t in await self._store.recent_throttles(since, limit) if t.failures > 0]

    async def clear(self, tid: str) -> bool:
        return await self._store.clear_throttle(tid)

    async def clear_username(self, username: str) -> int:
        return await self._store.clear_throttles_of_username(username)
