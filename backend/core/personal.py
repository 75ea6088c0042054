"""A resident's own data (个人信息权益, PIPL arts. 44–47): the port through which each domain hands
over its part of what is held about a resident, and says what it keeps or deletes when the account
is cancelled (注销).

Each domain implements ``PersonalData`` structurally over its own store (nothing here imports a
domain); ``backend/mydata`` composes the parts, and ``backend/app.py`` wires them, so no domain
reads another's collections.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from backend.core.access import Resident


@dataclass(frozen=True, slots=True)
class DataSection:
    """One kind of record held about a resident, as the resident reads it (the same JSON the
    domain's own resident endpoints answer), with what happens to it at cancellation."""
    key: str                          # "bookings", stable, for programs
    title: str                        # "预约记录"
    items: list[dict[str, Any]]
    kept: bool                        # kept after cancellation (the law requires it) or deleted
    on_cancel: str                    # what cancellation does to it, in words people read
    files: list[tuple[str, Callable[[], Awaitable[bytes]]]] = field(default_factory=list)  # name → bytes


class PersonalData(Protocol):
    """One domain's part of a resident's data."""

    async def sections(self, resident: Resident) -> list[DataSection]:
        """What the domain holds about the resident."""
        ...

    async def holds(self, resident_id: str) -> list[str]:
        """Why the account cannot be cancelled now (something in flight that cannot be dropped),
        in words people read; empty when nothing stops it."""
        ...

    async def forget(self, resident_id: str) -> dict[str, int]:
        """At cancellation: delete what the law does not require to keep, cancel what is still to
        come, detach what is kept from the WeChat identity. Safe to run again. Counts by what."""
        ...


Page = tuple[list[dict[str, Any]], "str | None"] | dict[str, Any]


async def every_page(page: Callable[[str | None], Awaitable[Page]], *, limit: int = 10_000) -> list[dict[str, Any]]:
    """Every item of a cursor-paged list, up to ``limit``: ``page(cursor)`` answers either
    ``(items, next_cursor)`` or the contract's ``{"items", "next_cursor"}``."""
    out: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(out) < limit:
        got = await page(cursor)
        items, cursor = (got["items"], got["next_cursor"]) if isinstance(got, dict) else got
        out += items
        if not cursor or not items:
            break
    return out[:limit]
