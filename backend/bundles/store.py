"""Every query of life events (一件事) and bundles (one application of a life event)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.bundles.values import (
    Bundle,
    BundleCase,
    BundleState,
    EventField,
    EventService,
    EventStatus,
    LifeEvent,
    Overall,
    SharedMaterial,
)
from backend.core.ids import object_id
from backend.core.recent import Recent
from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec("life_events", indexes=(IndexModel([("status", ASCENDING), ("order", ASCENDING)]),),
                   validator={"$jsonSchema": {"bsonType": "object",
                                              "required": ["_id", "name", "services", "form", "status"],
                                              "properties": {"_id": {"bsonType": "string"},
                                                             "status": {"enum": [str(x) for x in EventStatus]}}}},
                   doc="Life events (一件事): the services one event needs and the one form that feeds them."),
    CollectionSpec("bundles", indexes=(
        IndexModel([("serial", ASCENDING)], unique=True),
        IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("check_at", ASCENDING)], name="check_due", sparse=True),  # open bundles only
    ), validator={"$jsonSchema": {"bsonType": "object",
                                  "required": ["serial", "user_id", "life_event_id", "cases", "status", "created_at"],
                                  "properties": {"status": {"enum": [str(x) for x in BundleState]}}}},
        doc="Bundles: one submission of a life event, its cases (created together or not at all) and its payment."),
    CollectionSpec("bundle_counters", doc="Per-day serial numbers of bundles (一件事编号)."),
]


class BundleStore:
    """The active life events, read on every home page, are kept for ``recent_seconds``
    (``backend.core.recent``); a single event and every bundle are read afresh."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], *, recent_seconds: float = 0.0):
        self.recent_seconds = recent_seconds
        self.writes = 0   # this process's writes of life events, so views built from them know
        self._recent: Recent[list[LifeEvent]] = Recent(recent_seconds)
        self._events = db["life_events"]
        self._col = db["bundles"]
        self._counters = db["bundle_counters"]

    # -- life events -------------------------------------------------------------------------------

    async def active_events(self) -> list[LifeEvent]:
        return list(await self._recent.get("active", self._active_events))

    async def _active_events(self) -> list[LifeEvent]:
        docs = await self._events.find({"status": EventStatus.ACTIVE.value}).sort("order", ASCENDING).to_list(None)
        return [_event_from_doc(d) for d in docs]

    async def event(self, event_id: str) -> LifeEvent | None:
        doc = await self._events.find_one({"_id": event_id}) if isinstance(event_id, str) else None
        return None if doc is None else _event_from_doc(doc)

    async def put_event(self, event: LifeEvent) -> None:
        await self._events.replace_one({"_id": event.id}, _event_to_doc(event), upsert=True)
        self._written()

    async def seed_event(self, doc: Mapping[str, Any]) -> None:
        """Insert once; never overwrite what staff changed since. Takes the seed's document (the
        sandbox's shape), read as a life event so it is stored as every other one is."""
        event = _event_from_doc(doc)
        await self._events.update_one({"_id": event.id}, {"$setOnInsert": _event_to_doc(event)}, upsert=True)
        self._written()

    def _written(self) -> None:
        self.writes += 1
        self._recent.clear()

    # -- bundles ---------------------------------------------------------------------------------

    async def next_serial_number(self, day_key: str, session: Any) -> int:
        await self._counters.update_one({"_id": day_key}, {"$inc": {"seq": 1}}, upsert=True, session=session)
        doc = await self._counters.find_one({"_id": day_key}, session=session)
        if doc is None:  # the upsert above wrote it in this transaction
            raise RuntimeError(f"bundle counter {day_key} not found after its increment")
        return int(doc["seq"])

    async def insert(self, bundle: Bundle, session: Any) -> None:
        await self._col.insert_one(_to_doc(bundle), session=session)

    async def get(self, bundle_id: str) -> Bundle | None:
        oid = object_id(bundle_id)
        doc = None if oid is None else await self._col.find_one({"_id": oid})
        return None if doc is None else _from_doc(doc)

    async def by_serial(self, serial: str) -> Bundle | None:
        doc = await self._col.find_one({"serial": serial})
        return None if doc is None else _from_doc(doc)

    async def of_user(self, user_id: str, *, before: ObjectId | None, limit: int) -> list[Bundle]:
        q: dict[str, Any] = {"user_id": user_id}
        if before is not None:
            q["_id"] = {"$lt": before}
        docs = await self._col.find(q).sort("_id", DESCENDING).limit(limit).to_list(limit)
        return [_from_doc(d) for d in docs]

    async def of_users(self, user_ids: list[str], *, before: ObjectId | None, limit: int) -> list[Bundle]:
        """The bundles of several residents, newest first (a search by name finds several people)."""
        if not user_ids:
            return []
        q: dict[str, Any] = {"user_id": {"$in": user_ids}}
        if before is not None:
            q["_id"] = {"$lt": before}
        docs = await self._col.find(q).sort("_id", DESCENDING).limit(limit).to_list(limit)
        return [_from_doc(d) for d in docs]

    async def checks_due(self, now: dt.datetime, limit: int = 200) -> list[Bundle]:
        docs = await self._col.find({"check_at": {"$lte": now}}).sort("check_at", ASCENDING).limit(limit) \
            .to_list(limit)
        return [_from_doc(d) for d in docs]

    async def check_later(self, bundle: Bundle, at: dt.datetime) -> None:
        """Look at the bundle again at ``at``, unless someone moved its check since it was read."""
        await self._col.update_one({"_id": ObjectId(bundle.id), "check_at": bundle.check_at},
                                   {"$set": {"check_at": at}})

    async def finish(self, bundle: Bundle, overall: Overall, now: dt.datetime, session: Any) -> bool:
        """open → done, once: the caller that flips it tells the resident."""
        done = {"status": str(BundleState.DONE), "overall": str(overall), "done_at": now}
        res = await self._col.update_one({"_id": ObjectId(bundle.id), "status": str(BundleState.OPEN)},
                                         {"$set": done, "$unset": {"check_at": ""}}, session=session)
        return res.modified_count == 1

    async def claim_payment(self, bundle: Bundle, payment_id: str) -> bool:
        """Record the bundle's payment order, unless another one was recorded since it was read."""
        was = None if bundle.payment_id is None else ObjectId(bundle.payment_id)
        res = await self._col.update_one({"_id": ObjectId(bundle.id), "payment_id": was},
                                         {"$set": {"payment_id": ObjectId(payment_id)}})
        return res.modified_count == 1


def _from_doc(d: dict[str, Any]) -> Bundle:
    overall = d.get("overall")
    return Bundle(
        id=str(d["_id"]), serial=str(d["serial"]), user_id=str(d["user_id"]), life_event_id=str(d["life_event_id"]),
        name=str(d.get("name") or ""), form=dict(d.get("form") or {}), materials=tuple(d.get("materials") or ()),
        status=BundleState(d["status"]),
        cases=tuple(BundleCase(application_id=str(c["application_id"]), serial=str(c["serial"]),
                               service_id=str(c["service_id"]), service_name=str(c["service_name"]),
                               department_name=str(c.get("department_name") or "")) for c in d["cases"]),
        created_at=d["created_at"], check_at=d.get("check_at"),
        payment_id=None if d.get("payment_id") is None else str(d["payment_id"]),
        overall=None if overall is None else Overall(overall), done_at=d.get("done_at"))


def _to_doc(b: Bundle) -> dict[str, Any]:
    """A new bundle as stored (``check_at`` only while it is open, as the sparse index expects)."""
    doc: dict[str, Any] = {
        "_id": ObjectId(b.id), "serial": b.serial, "user_id": b.user_id, "life_event_id": b.life_event_id,
        "name": b.name, "form": b.form, "materials": list(b.materials), "status": str(b.status),
        "payment_id": None if b.payment_id is None else ObjectId(b.payment_id), "created_at": b.created_at,
        "cases": [{"application_id": c.application_id, "serial": c.serial, "service_id": c.service_id,
                   "service_name": c.service_name, "department_name": c.department_name} for c in b.cases]}
    if b.check_at is not None:
        doc["check_at"] = b.check_at
    if b.overall is not None:
        doc["overall"] = str(b.overall)
    if b.done_at is not None:
        doc["done_at"] = b.done_at
    return doc


_FIELD_EXTRAS = ("required", "options", "max_length", "minimum", "maximum", "hint")


def _field_from_doc(f: Mapping[str, Any]) -> EventField:
    options = f.get("options")
    return EventField(key=str(f["key"]), label=str(f["label"]), type=str(f["type"]), required=f.get("required"),
                      options=None if options is None else tuple(options), max_length=f.get("max_length"),
                      minimum=f.get("minimum"), maximum=f.get("maximum"), hint=f.get("hint"))


def _field_to_doc(f: EventField) -> dict[str, Any]:
    """A form field as stored: what it does not say is left out."""
    doc: dict[str, Any] = {"key": f.key, "label": f.label, "type": f.type}
    extras = {"required": f.required, "options": None if f.options is None else list(f.options),
              "max_length": f.max_length, "minimum": f.minimum, "maximum": f.maximum, "hint": f.hint}
    doc.update({k: extras[k] for k in _FIELD_EXTRAS if extras[k] is not None})
    return doc


def _event_from_doc(d: Mapping[str, Any]) -> LifeEvent:
    return LifeEvent(
        id=str(d["_id"]), name=str(d["name"]), summary=str(d.get("summary", "")), order=int(d.get("order", 99)),
        status=EventStatus(d["status"]),
        services=tuple(EventService(service_id=str(s["service_id"]), fields=tuple(s["fields"]))
                       for s in d["services"]),
        form=tuple(_field_from_doc(f) for f in d["form"]),
        shared=tuple(SharedMaterial(material_key=str(m["material_key"]), from_service_id=str(m["from_service_id"]))
                     for m in d.get("shared", [])),
        created_at=d.get("created_at"), updated_at=d.get("updated_at"))


def _event_to_doc(e: LifeEvent) -> dict[str, Any]:
    return {"_id": e.id, "name": e.name, "summary": e.summary, "order": e.order, "status": str(e.status),
            "services": [{"service_id": s.service_id, "fields": list(s.fields)} for s in e.services],
            "form": [_field_to_doc(f) for f in e.form],
            "shared": [{"material_key": m.material_key, "from_service_id": m.from_service_id} for m in e.shared],
            "created_at": e.created_at, "updated_at": e.updated_at}
