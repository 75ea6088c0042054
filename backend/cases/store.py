"""Every query of cases, ratings and rectification orders."""
from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from backend.db.mongo import CollectionSpec, count_by

STATUSES = ["submitted", "accepted", "in_review", "approved", "rejected", "correction_requested", "completed",
            "withdrawn"]

COLLECTIONS = [
    CollectionSpec("applications", indexes=(
        IndexModel([("serial", ASCENDING)], unique=True),
        IndexModel([("applicant_id", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("status", ASCENDING), ("department_id", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("light", ASCENDING), ("department_id", ASCENDING)]),
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["serial", "service_id", "applicant_id", "status", "version", "timeline"],
                                  "properties": {"status": {"enum": STATUSES}, "version": {"bsonType": "int"}}}},
        doc="Cases (办件) with their timeline; status changes are conditional on status and version."),
    CollectionSpec("case_counters", doc="Per-day serial numbers of cases (办件编号), gap-free."),
    CollectionSpec("ratings", indexes=(IndexModel([("application_id", ASCENDING)], unique=True),
                                       IndexModel([("department_id", ASCENDING), ("created_at", DESCENDING)])),
                   validator={"$jsonSchema": {"bsonType": "object", "required": ["application_id", "score"],
                                              "properties": {"score": {"bsonType": "int", "minimum": 1, "maximum": 5}}}},
                   doc="Ratings (好差评): one per completed case."),
    CollectionSpec("rectifications", indexes=(IndexModel([("status", ASCENDING), ("due", ASCENDING)]),
                                              IndexModel([("application_id", ASCENDING)], unique=True)),
                   doc="Rectification orders (整改) opened by a 1–2 rating."),
]


class CaseCounts:
    """Cases by status, for the gauges."""

    def __init__(self, db: Any):
        self._col = db["applications"]

    async def by_status(self) -> list[tuple[str, int]]:
        return await count_by(self._col, "status")


class CaseMaterialsStore:
    """A case's materials as staff judge them: replaced only while the case is still the version
    the judgement was made on, and still under review."""

    def __init__(self, db: Any):
        self._col = db["applications"]

    async def set_materials(self, case_id: Any, version: int, materials: list[dict[str, Any]], now: Any) -> bool:
        res = await self._col.update_one(
            {"_id": case_id, "version": version, "status": {"$in": ["submitted", "accepted", "in_review"]}},
            {"$set": {"materials": materials, "updated_at": now}, "$inc": {"version": 1}})
        return res.modified_count == 1
