"""What licences calls on other domains, beyond the audit log and verified identities it is typed on."""
from __future__ import annotations

from typing import Any, Protocol


class ServiceNames(Protocol):
    """A catalogue service (its name and the licence it issues), implemented by the catalogue."""

    async def get_service(self, service_id: str, *, include_inactive: bool = False) -> dict[str, Any]: ...


class LicenceEvents(Protocol):
    """Where an issued or revoked licence is told to its holder (the outbox)."""

    async def emit(self, kind: str, *, user_id: str, payload: dict[str, Any], session: Any = None,
                   deliver_after: Any = None, dedupe_key: str | None = None) -> bool: ...


class FaceProof(Protocol):
    """Whether a resident proved their face recently (identity's face verification): 403
    face_verification_required otherwise."""

    async def require_fresh(self, user_id: str) -> None: ...
