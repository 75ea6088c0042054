"""The appointments store's queries of the person keys' upkeep: which rules the stored bookings
carry keys for, and adding the keys a raised limit needs (a part of ``AppointmentStore``, which
mixes it in; its collections are declared in ``store.py``)."""
from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from backend.appointments.values import BOOKING_KEYS, FIRST_KEYS, AppointmentStatus, PersonRule


class PersonKeyQueries:
    _appointments: AsyncCollection[Any]
    _settings: AsyncCollection[Any]

    async def person_rules_in_use(self) -> frozenset[PersonRule] | None:
        """The person rules every booking carries keys for (None: not recorded, all of them)."""
        doc = await self._settings.find_one({"_id": "person_keys"})
        return None if doc is None else frozenset(PersonRule(r) for r in doc["rules"])

    async def set_person_rules_in_use(self, rules: frozenset[PersonRule]) -> None:
        await self._settings.update_one({"_id": "person_keys"}, {"$set": {"rules": sorted(r.value for r in rules)}},
                                        upsert=True)

    async def add_person_keys(self, rules: frozenset[PersonRule]) -> int:
        """Give every booking in a status that keeps a key of ``rules`` that key (the first of
        each); how many were given one. A one-off read of every appointment's keys and status:
        it runs when the limits change, not on any request."""
        ops: list[UpdateOne] = []
        fields = {"status": 1, "keys": 1, "user_id": 1, "slot_id": 1, "service_id": 1, "date": 1}
        async for d in self._appointments.find({}, fields):
            wanted = BOOKING_KEYS.kept(BOOKING_KEYS.new_keys(d["user_id"], d["slot_id"], d["service_id"], d["date"],
                                                             FIRST_KEYS, rules), AppointmentStatus(d["status"]))
            new = [k for k in wanted if k not in (d.get("keys") or [])]
            if new:
                ops.append(UpdateOne({"_id": d["_id"]}, {"$addToSet": {"keys": {"$each": new}}}))
        if not ops:
            return 0
        try:
            res = await self._appointments.bulk_write(ops, ordered=False)
            return res.modified_count
        except BulkWriteError as e:  # a key another booking holds: the data broke the rule already
            return int(e.details.get("nModified", 0))
