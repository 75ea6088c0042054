"""What authorizations calls on other domains (residents and case serials: see ``service``)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class StaffByUsername(Protocol):
    """An active staff account by its username (a 帮办员 named on a grant), from the staff domain."""

    async def active_by_username(self, username: str) -> Mapping[str, Any] | None: ...


class ServiceNames(Protocol):
    """A catalogue service by id, from the catalogue."""

    async def get_service(self, service_id: str, *, include_inactive: bool = False) -> dict[str, Any]: ...


class GrantEvents(Protocol):
    """Where a grant's use and changes are told to the resident (the outbox)."""

    async def emit(self, kind: str, *, user_id: str, payload: dict[str, Any], session: Any = None,
                   deliver_after: Any = None, dedupe_key: str | None = None) -> bool: ...


class ValidLicences(Protocol):
    """A resident's valid e-licences, from the licence wallet."""

    async def valid_of(self, holder_id: str, limit: int = 100) -> list[Any]: ...
