"""Slowing down password guessing without locking anyone out.

Failures are counted per (username, client address) and per address, never per username
alone: five wrong passwords for ``finance1`` from one address delay further tries for
``finance1`` *from that address*, while the real officer at her own desk logs in as usual. An
address that fails for many accounts (a script trying names) is delayed for all of them, with a
higher threshold because a service hall shares one address.

Past its free failures each key waits before the next try, doubling each time up to a maximum;
the count starts again once no failure has come for a while. Unknown usernames are counted like
known ones, so the answers say nothing about which accounts exist.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from backend.config import StaffConfig
from backend.core import errors
from backend.staff.store import StaffStore
from backend.staff.values import ThrottleKind, ThrottleView

ACCOUNT_ADDRESS = ThrottleKind.ACCOUNT_ADDRESS
ADDRESS = ThrottleKind.ADDRESS


def throttle_id(kind: ThrottleKind, username: str | None, ip: str) -> str:
    return hashlib.sha256(f"{kind}\x00{username or ''}\x00{ip}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Failure:
    """What a failed login earned: attempts left before a delay, or the delay now in force."""
    remaining: int
    retry_after: int


class LoginThrottle:
    def __init__(self, store: StaffStore, config: StaffConfig):
        self._store = store
        self._cfg = config

    def _keys(self, username: str, ip: str) -> dict[str, tuple[ThrottleKind, str | None, int]]:
        return {
            throttle_id(ACCOUNT_ADDRESS, username, ip): (ACCOUNT_ADDRESS, username, self._cfg.login_free_failures),
            throttle_id(ADDRESS, None, ip): (ADDRESS, None, self._cfg.address_free_failures),
        }

    async def check(self, username: str, ip: str, now: dt.datetime) -> None:
        """Refuse (429) while a delay earned by this address, for this account or for all, runs."""
        blocked = [t.blocked_until for t in await self._store.throttles_of(list(self._keys(username, ip)))
                   if t.blocked_until is not None and t.blocked_until > now]
        if blocked:
            raise self.refusal(max(blocked), now)

    async def failed(self, username: str, ip: str, now: dt.datetime) -> Failure:
        window_start = now - dt.timedelta(minutes=self._cfg.login_window_minutes)
        remaining, until = self._cfg.login_free_failures, None
        for tid, (kind, name, free) in self._keys(username, ip).items():
            counted = await self._store.count_login_failure(tid, kind, name, ip, now, window_start,
                                                            self._purge_at(now))
            over = counted.failures - free
            if over >= 0:
                delay = min(self._cfg.login_delay_seconds * 2 ** over, self._cfg.login_max_delay_minutes * 60)
                blocked_until = now + dt.timedelta(seconds=delay)
                await self._store.delay_logins(tid, blocked_until, self._purge_at(blocked_until))
                until = blocked_until if until is None else max(until, blocked_until)
            if kind == ACCOUNT_ADDRESS:
                remaining = max(0, -over)
        retry = 0 if until is None else max(1, int((until - now).total_seconds()))
        return Failure(remaining=remaining, retry_after=retry)

    async def succeeded(self, username: str, ip: str) -> None:
        await self._store.clear_throttle(throttle_id(ACCOUNT_ADDRESS, username, ip))

    def _purge_at(self, after: dt.datetime) -> dt.datetime:
        return after + dt.timedelta(minutes=self._cfg.login_window_minutes)

    @staticmethod
    def refusal(until: dt.datetime, now: dt.datetime) -> errors.RateLimited:
        seconds = max(1, int((until - now).total_seconds()) + 1)
        wait = f"{seconds} 秒" if seconds < 120 else f"{(seconds + 59) // 60} 分钟"
        return errors.RateLimited(seconds, f"登录失败次数过多，请 {wait}后再试",
                                  details={"reason": "login_throttled"})

    # -- what an admin sees and clears --------------------------------------------------------------

    async def active(self, now: dt.datetime, limit: int = 200) -> list[ThrottleView]:
        since = now - dt.timedelta(minutes=self._cfg.login_window_minutes)
        return [ThrottleView(id=t.id, kind=str(t.kind), username=t.username, ip=t.ip, failures=t.failures,
                             last_failure_at=t.last_failure_at,
                             blocked_until=t.blocked_until if t.blocked_until is not None and t.blocked_until > now
                             else None)
                for t in await self._store.recent_throttles(since, limit)]

    async def clear(self, tid: str) -> bool:
        return await self._store.clear_throttle(tid)

    async def clear_username(self, username: str) -> int:
        return await self._store.clear_throttles_of_username(username)
