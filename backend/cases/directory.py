"""What other domains may know of a case (办件): a small read-only view, built before the other
domains and handed to authorizations, payments and bundles. Payments use it to bill a case's
applicant without reading ``applications``."""
from __future__ import annotations

from backend.cases.serials import serial_shaped
from backend.cases.store import CaseStore
from backend.cases.values import CaseRef

__all__ = ["CaseDirectory", "CaseRef"]


class CaseDirectory:
    def __init__(self, store: CaseStore):
        self._store = store

    async def get(self, application_id: str) -> CaseRef | None:
        return await self._store.case_ref(application_id)

    async def by_serial(self, serial: str) -> CaseRef | None:
        """The case of this serial (办件编号, as printed and typed by staff), or None."""
        exact = serial_shaped(serial)
        return None if exact is None else await self._store.case_ref_by_serial(exact)

    async def applicant_of_serial(self, serial: str) -> str | None:
        """Whose case this serial is (authorizations' ``CaseSerials`` port), or None."""
        ref = await self.by_serial(serial)
        return ref.applicant_id if ref is not None else None
