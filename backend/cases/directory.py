"""What other domains may know of a case (办件): a small read-only view, provided as
``case_directory``. Payments use it to bill a case's applicant without reading ``applications``."""
from __future__ import annotations

from dataclasses import dataclass

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


class CaseDirectory:
    def __init__(self, store: CaseStore):
        self._store = store

    async def get(self, application_id: str) -> CaseRef | None:
        doc = await self._store.case(application_id, brief=True)
        if doc is None:
            return None
        return CaseRef(id=str(doc["_id"]), serial=str(doc["serial"]), applicant_id=str(doc["applicant_id"]),
                       service_id=str(doc["service_id"]), service_name=str(doc.get("service_name") or ""),
                       department_id=doc.get("department_id"), status=str(doc["status"]))
