"""What other domains may know of a case (办件): a small read-only view, built before the other
domains and handed to authorizations, payments and bundles. Payments use it to bill a case's
applicant without reading ``applications``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.cases.serials import serial_shaped
from backend.cases.store import CaseStore


@dataclass(frozen=True)
class CaseRef:
    id: str
    serial: str
    applicant_id: str
    service_id: str
    service_name: str
    department_id: str | None
    status: str
    outcome: str | None = None  # a refusal's kind: not_accepted (不予受理) or not_approved (不予批准)


class CaseDirectory:
    def __init__(self, store: CaseStore):
        self._store = store

    async def get(self, application_id: str) -> CaseRef | None:
        doc = await self._store.case(application_id, brief=True)
        return None if doc is None else case_ref(doc)

    async def by_serial(self, serial: str) -> CaseRef | None:
        """The case of this serial (办件编号, as printed and typed by staff), or None."""
        exact = serial_shaped(serial)
        doc = None if exact is None else await self._store.case_by_serial(exact)
        return None if doc is None else case_ref(doc)

    async def applicant_of_serial(self, serial: str) -> str | None:
        """Whose case this serial is (authorizations' ``CaseSerials`` port), or None."""
        ref = await self.by_serial(serial)
        return ref.applicant_id if ref is not None else None


def case_ref(doc: dict[str, Any]) -> CaseRef:
    return CaseRef(id=str(doc["_id"]), serial=str(doc["serial"]), applicant_id=str(doc["applicant_id"]),
                   service_id=str(doc["service_id"]), service_name=str(doc.get("service_name") or ""),
                   department_id=doc.get("department_id"), status=str(doc["status"]),
                   outcome=doc.get("outcome") if doc["status"] == "rejected" else None)
