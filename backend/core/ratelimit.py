"""Rate limits shared by every app process: fixed windows counted in the database.

A hit adds one to the counter ``{bucket}:{key}:{window}``; counters expire by TTL. Keys that are
personal data (ID numbers) are passed in already hashed. There are two kinds of limit:

- **Exact** (``Limit.exact``, the default): each hit is counted in the database before it is
  answered, so no number of processes lets anyone past the limit. For the limits that guard
  something a guess could win or that costs per try: a staff password, a real-name check per
  person, the refusal of an ID number bound to another account, receipt and licence
  verification, licence fetching.
- **Counted here first** (``exact=False``): a process judges a hit by the counter's total as it
  last wrote or read it plus its own hits since, answers at once, and adds its hits to the shared
  counter once the burst it is answering has passed (``AfterBurst``: at most
  ``workers.yield_max_seconds`` late, and in one write for all of them). For the loose limits a
  burst meets on every request: logins and real-name checks per address, logins per openid (each
  needs a fresh WeChat code), and each resident's bookings, applications, payments started,
  complaints, uploads and 办事码. Why that is safe across processes: one process never lets a key
  past its limit; N processes may, between two of their writes, let through at most N times the
  limit for a key whose requests are spread over all of them, and from the next write on each
  sees the others' hits. These limits stop scripts (hundreds or thousands of tries), not a few
  tries more; the rules a booking must keep are enforced in the database by other means. Hits not
  yet written when a process dies are not counted (at most a couple of seconds of them).

  A key's first hit in a process is written with its second. Most keys of a peak are hit once
  (each resident's address, openid, booking): for them nothing is written at all, which is most
  of what these counters cost the database. Judging is unchanged, since a process counts its own
  hits whether written or not, so one process still never lets a key past its limit and N
  processes at most N times it; what the others do not see of a key is at most one hit per
  process and window.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from backend.core import errors
from backend.core.clock import Clock
from backend.core.foreground import AfterBurst, Foreground
from backend.core.store import RateLimitStore


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    window_seconds: int
    message: str = "操作过于频繁，请稍后再试"
    exact: bool = True      # False: counted here first, written after the burst (see above)


@dataclass
class _Local:
    """A counter as this process knows it: its shared total when last written or read, and this
    process's hits since, being written or still to be."""
    known: int
    pending: int
    expires_at: dt.datetime
    writing: int = 0

    @property
    def total(self) -> int:
        return self.known + self.writing + self.pending


class RateLimiter:
    def __init__(self, store: RateLimitStore, clock: Clock, per_resident: dict[str, Limit] | None = None,
                 foreground: Foreground | None = None):
        self._store = store
        self._clock = clock
        self._per_resident = per_resident or {}
        self._local: dict[str, _Local] = {}
        self._forgot_at = 0   # when the counters of ended windows were last dropped
        self._later: AfterBurst[str] | None = None if foreground is None else \
            AfterBurst(foreground, self._write_hits)

    async def per_resident(self, action: str, user_id: str) -> None:
        """Count one ``action`` ("applications", "bookings", "pay_starts", "complaints", "uploads",
        "identity_codes") by a resident; past its limit, 429 ``rate_limited`` with Retry-After."""
        await self.hit(self._per_resident[action], user_id)

    async def hit_together(self, *hits: tuple[Limit, str]) -> None:
        """Count one attempt against each of several limits at once (one write for all of them);
        the first limit passed is raised, after every one has been counted."""
        done = await asyncio.gather(*(self.hit(rule, key) for rule, key in hits), return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome

    async def hit(self, rule: Limit, key: str) -> None:
        """Count one attempt; raise ``RateLimited`` once the window's limit is passed."""
        if rule.limit <= 0:
            return
        epoch = int(self._clock.now().timestamp())
        window = epoch - epoch % rule.window_seconds
        counter_id = f"{rule.bucket}:{key}:{window}"
        expires_at = dt.datetime.fromtimestamp(window + rule.window_seconds + 60, dt.UTC)
        if rule.exact or self._later is None:
            n = await self._store.count_hit(counter_id, expires_at)
        else:
            local = self._local.get(counter_id)
            if local is None:
                if abs(epoch - self._forgot_at) >= 60:  # a clock set back counts too
                    self._forget_ended(epoch)
                local = self._local[counter_id] = _Local(known=0, pending=0, expires_at=expires_at)
            n = local.total + 1
            if n <= rule.limit:
                local.pending += 1
                if n > 1:  # a lone first hit waits for a second (module docstring)
                    self._later.add([counter_id])
        if n > rule.limit:
            raise errors.RateLimited(window + rule.window_seconds - epoch, rule.message,
                                     details={"limit": rule.limit, "window_seconds": rule.window_seconds})

    async def _write_hits(self, counter_ids: list[str]) -> None:
        """Add this process's hits to the shared counters (one write for all), and learn their
        totals. Should the write fail, the hits stay this process's own, written with the
        counter's next ones."""
        # Everything still to be written of these counters: hits whose write failed included.
        taken = {c: self._local[c] for c in set(counter_ids) if c in self._local and self._local[c].pending}
        adds = {c: local.pending for c, local in taken.items()}
        for c, local in taken.items():
            local.pending -= adds[c]
            local.writing += adds[c]
        try:
            totals = await self._store.add_hits({c: (adds[c], local.expires_at) for c, local in taken.items()})
        except BaseException:
            for c, local in taken.items():
                local.pending += adds[c]
            raise
        finally:
            for c, local in taken.items():
                local.writing -= adds[c]
        for c, total in totals.items():
            taken[c].known = total

    def _forget_ended(self, epoch: int) -> None:
        """Drop the counters whose window has ended (hits not written included: the shared
        counter of an ended window expires too); at most once a minute, so each hit's share of
        it stays small."""
        now = dt.datetime.fromtimestamp(epoch, dt.UTC)
        for c in [c for c, local in self._local.items() if local.expires_at <= now and not local.writing]:
            del self._local[c]
        self._forgot_at = epoch


# What one resident may do in a window: generous for a person (a family applying for several
# things, a few rebookings), far below what a script does. Configured in ``[ratelimit]``.
RESIDENT_ACTIONS = {
    # action: (config key, window seconds, message)
    "applications": ("applications_per_resident_per_hour", 3600, "提交申请过于频繁，请稍后再试"),
    "bookings": ("bookings_per_resident_per_hour", 3600, "预约操作过于频繁，请稍后再试"),
    "pay_starts": ("pay_starts_per_resident_per_hour", 3600, "发起支付过于频繁，请稍后再试"),
    "complaints": ("complaints_per_resident_per_day", 86400, "今天提交的诉求已达上限，请明天再试"),
    "uploads": ("uploads_per_resident_per_hour", 3600, "上传文件过于频繁，请稍后再试"),
    # a code lives about a minute: a person shows a few at a window, a script asks for thousands
    "identity_codes": ("identity_codes_per_resident_per_10_minutes", 600, "办事码获取过于频繁，请稍后再试"),
}


def resident_limits(config: object) -> dict[str, Limit]:
    """The per-resident limits from ``config.ratelimit`` (a ``RateLimitConfig``)."""
    return {action: Limit(f"resident-{action}", int(getattr(config, key)), window, message, exact=False)
            for action, (key, window, message) in RESIDENT_ACTIONS.items()}
