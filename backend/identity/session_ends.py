"""Sessions that end, told to every process within a second, so that each process may keep what
its requests checked.

Every request checks its session (ended? idle?) and a resident's requests their account (still
usable? verified?). Read from the database each time, those two reads are a third of a booking
storm's database time. So each process keeps the sessions and accounts it checked for up to
``session_keep_seconds``, and this is why that is safe with several processes:

- Nothing ends a session, or makes an account unusable or unverified, without first recording
  it in ``session_ends``: one session (``session``) or every session and the account of a person
  (``subject``). The record comes before the write it announces.
- Every process looks at the records of the last moments every ``check_cache_seconds / 2``
  (an upkeep job, which never waits for a burst) and drops what it kept of them.
- A process trusts what it kept only while its last completed look began less than
  ``check_cache_seconds`` ago. Otherwise (the database not answering, a stalled loop) it keeps
  nothing for longer than ``check_cache_seconds``, as it would with no records at all.
- For ``quiet_seconds`` after a record nothing it names is kept again: a read made between the
  record and the write it announces would otherwise be kept as it was before the write.

A record's time is the wall clock of the process that wrote it, never the sandbox clock; each look
asks for records from ``margin_seconds`` before the previous look began (or before now, when the
wall clock has stepped back since), so clocks of different machines may differ by that much. A
process that dies between the record and the write leaves nothing changed but the record: the
write it announced never happened.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from bson import ObjectId

from backend.identity.store import SessionEndStore
from backend.identity.values import SessionEnd, SessionEndKind

V = TypeVar("V")
MAX_KEPT = 20_000


class SessionEnds:
    def __init__(self, store: SessionEndStore, *, bound_seconds: float, margin_seconds: float = 10.0,
                 quiet_seconds: float = 10.0, wall: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic):
        self._store = store
        self.bound = bound_seconds
        self._margin = margin_seconds
        self._quiet_for = quiet_seconds
        self._wall = wall
        self.monotonic = monotonic
        self._looked_at: float | None = None       # monotonic start of the last completed look
        self._next_from: float | None = None       # wall time the next look asks from (less the margin)
        self._seen: dict[ObjectId, float] = {}     # records already applied, until they leave the window
        self._quiet: dict[tuple[SessionEndKind, str], float] = {}
        self._listeners: list[Callable[[SessionEnd], None]] = []

    @property
    def look_every(self) -> float:
        return self.bound / 2

    def listen(self, fn: Callable[[SessionEnd], None]) -> None:
        self._listeners.append(fn)

    def trusted(self) -> bool:
        """Whether every record written more than ``bound`` ago has been applied here."""
        return self._looked_at is not None and self.monotonic() - self._looked_at < self.bound

    def quiet(self, kind: SessionEndKind, key: str) -> bool:
        """Whether ``key`` had a record lately (what is read of it now is not to be kept)."""
        until = self._quiet.get((kind, key))
        return until is not None and until > self.monotonic()

    async def announce(self, kind: SessionEndKind, keys: list[str]) -> None:
        """Record that these sessions (or people) are about to end; applied here at once. Call
        before the write: should the record fail, nothing has changed."""
        if not keys:
            return
        ends = await self._store.record(kind, keys, dt.datetime.fromtimestamp(self._wall(), dt.UTC))
        for end in ends:
            self._apply(end)

    async def look(self) -> int:
        """Apply the records written since the last look (an upkeep job); how many were new."""
        started_mono, started_wall = self.monotonic(), self._wall()
        # From the previous look's start, or from now when the wall clock has since stepped back
        # (a record written after the step carries the earlier time).
        since = min(self._next_from if self._next_from is not None else started_wall, started_wall) - self._margin
        new = 0
        for end in await self._store.since(dt.datetime.fromtimestamp(since, dt.UTC)):
            if end.id not in self._seen:
                self._apply(end)
                new += 1
        self._next_from = started_wall
        self._looked_at = started_mono
        self._forget(started_mono)
        return new

    def _apply(self, end: SessionEnd) -> None:
        now = self.monotonic()
        self._seen[end.id] = now + 2 * self._margin + self.bound
        self._quiet[(end.kind, end.key)] = now + self._quiet_for
        for fn in self._listeners:
            fn(end)

    def _forget(self, now: float) -> None:
        for seen_id in [i for i, until in self._seen.items() if until <= now]:
            del self._seen[seen_id]
        for key in [k for k, until in self._quiet.items() if until <= now]:
            del self._quiet[key]


class Kept(Generic[V]):
    """What this process's requests checked (sessions, accounts) by id, with its subject (the
    person). Kept for ``keep_seconds`` while ``ends`` is trusted, for ``ends.bound`` otherwise;
    dropped at once when a record names it or its subject."""

    def __init__(self, ends: SessionEnds, *, keep_seconds: float, subject_of: Callable[[V], str]):
        self._ends = ends
        self._keep = max(keep_seconds, ends.bound)
        self._subject_of = subject_of
        self._mono = ends.monotonic
        self._items: dict[str, tuple[float, V]] = {}
        ends.listen(self._ended)

    def get(self, key: str) -> V | None:
        hit = self._items.get(key)
        if hit is None:
            return None
        age = self._mono() - hit[0]
        if age < self._ends.bound or (age < self._keep and self._ends.trusted()):
            return hit[1]
        return None

    def put(self, key: str, value: V) -> None:
        """Keep what was just read (unless a record named it lately)."""
        if self._ends.bound <= 0 or self._ends.quiet("session", key) \
                or self._ends.quiet("subject", self._subject_of(value)):
            return
        if len(self._items) >= MAX_KEPT:
            self._items.clear()
        self._items[key] = (self._mono(), value)

    def replace(self, key: str, value: V) -> None:
        """Change what is kept without making it younger."""
        hit = self._items.get(key)
        if hit is not None:
            self._items[key] = (hit[0], value)

    def _ended(self, end: SessionEnd) -> None:
        if end.kind == "session":
            self._items.pop(end.key, None)
            return
        for key in [k for k, (_, v) in self._items.items() if self._subject_of(v) == end.key]:
            del self._items[key]
