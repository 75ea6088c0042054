"""Inbox (站内信) and consent (订阅额度) storage."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from backend.db.mongo import CollectionSpec

COLLECTIONS = [
    CollectionSpec("inbox", indexes=(IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),),
                   validator={"$jsonSchema": {"bsonType": "object", "required": ["user_id", "kind", "title", "text",
                                                                                  "read", "created_at"]}},
                   doc="In-app messages (站内信); _id is the outbox message's id, so each lands once."),
    CollectionSpec("subscriptions", indexes=(IndexModel([("user_id", ASCENDING), ("key", ASCENDING)], unique=True),),
                   validator={"$jsonSchema": {"bsonType": "object", "required": ["user_id", "key", "remaining"]}},
                   doc="One-time subscribe-message consent left, per resident and template key."),
    CollectionSpec("staff_inbox", indexes=(IndexModel([("created_at", DESCENDING)]),
                                           IndexModel([("dedupe_key", ASCENDING)], unique=True,
                                                      partialFilterExpression={"dedupe_key": {"$type": "string"}})),
                   doc="Alerts for staff (supervision)."),
]
