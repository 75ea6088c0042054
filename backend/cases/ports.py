"""What cases calls on other domains, beyond the catalogue, audit log, outbox and working calendar
it is typed on."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from backend.core.access import Resident, Staff


class Applicants(Protocol):
    """Residents, masked (identity's user directory)."""

    async def get(self, user_id: str) -> Any: ...

    async def get_many(self, user_ids: list[str]) -> Mapping[str, Any]: ...

    async def find(self, q: str) -> list[Any]: ...


class Agency(Protocol):
    """Filing a case for someone else (帮办代办: the authorizations domain's agency desk)."""

    async def for_staff(self, staff: Staff, *, service_id: str, resident_id: str | None = None,
                        authorization_id: str | None = None, identity_code: str | None = None,
                        filing: str | None = None) -> Any: ...

    async def for_resident(self, resident: Resident, *, authorization_id: str, service_id: str) -> Any: ...

    async def filed(self, agency: Any, case: dict[str, Any], *, actor: Staff | Resident, ip: str | None,
                    session: Any) -> None: ...


class CaseFiles(Protocol):
    """A resident's uploaded files, attached to a case (the files domain's links)."""

    async def owned(self, owner_id: str, file_ids: list[str]) -> Mapping[str, Any]: ...

    async def attach(self, owner_id: str, file_ids: list[str], case_id: str, session: Any = None) -> None: ...

    def add_reader(self, prefix: str, check: Callable[[Staff, str], Awaitable[bool]]) -> None: ...


class FaceProof(Protocol):
    """Whether a resident proved their face recently (identity's face verification): 403
    face_verification_required otherwise. Filing a high-assurance service online needs it."""

    async def require_fresh(self, user_id: str) -> None: ...


class CaseLicences(Protocol):
    """A resident's e-licences offered as materials, and the licence a completed case issues."""

    async def held(self, holder_id: str, licence_ids: list[str]) -> Mapping[str, Any]: ...

    async def note_use(self, holder_id: str, licence_ids: list[str], application_id: str,
                       session: Any = None) -> None: ...

    async def issue_for_case(self, case: dict[str, Any], session: Any) -> None: ...
