"""Delivering the outbox. Any number of workers, in any number of processes, share it.

A worker *claims* a due message with one atomic ``find_one_and_update`` that sets a lease
(``lease_until``) and its own claim token; only the holder of the current claim may record
results (every write is conditional on the token). A worker that dies leaves a lease that
expires, and another worker takes the message over. Per channel:

- inbox: the inbox document's ``_id`` is the message's id, so it lands exactly once however
  often delivery is retried or taken over;
- WeChat: before the call the channel is marked ``attempting`` under the claim; after it,
  ``sent``/``skipped``. A takeover that finds ``attempting`` does not know whether WeChat got it
  (WeChat has no idempotency key), so it records ``uncertain`` and does not send again: a push
  is never duplicated, and the inbox still has the message. Consent quota is taken atomically
  before the call and given back when WeChat refuses for a reason that is not the quota.

Errors by meaning: 43101 (no consent) → the channel is skipped, not retried; token expiry →
refresh and retry at once; rate limits and other transient errors → exponential backoff with
jitter; after ``max_attempts`` the message is ``failed`` with its reason.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from backend.config import NotifyConfig
from backend.core import errors
from backend.core.clock import Clock
from notify import messages
from notify.channels import WeChatSubscribe

log = logging.getLogger("zjb.notify")


class Deliverer:
    def __init__(self, db: AsyncDatabase, clock: Clock, config: NotifyConfig, wechat: WeChatSubscribe | None):
        self.outbox = db["outbox"]
        self.inbox = db["inbox"]
        self.subs = db["subscriptions"]
        self.users = db["users"]
        self.clock = clock
        self.config = config
        self.wechat = wechat
        self.worker_id = uuid.uuid4().hex[:12]

    async def claim(self) -> dict[str, Any] | None:
        now = self.clock.now()
        return await self.outbox.find_one_and_update(
            {"$or": [{"status": "pending", "deliver_after": {"$lte": now}},
                     {"status": "sending", "lease_until": {"$lt": now}}]},
            {"$set": {"status": "sending", "lease_until": now + dt.timedelta(seconds=self.config.lease_seconds),
                      "claim": uuid.uuid4().hex, "worker": self.worker_id}, "$inc": {"attempts": 1}},
            sort=[("deliver_after", 1)], return_document=ReturnDocument.AFTER)

    async def run_once(self) -> int:
        """Deliver what is due (up to ``batch``). Returns how many messages were handled."""
        n = 0
        while n < self.config.batch:
            msg = await self.claim()
            if msg is None:
                break
            await self.deliver(msg)
            n += 1
        return n

    async def _mark(self, msg: dict[str, Any], update: dict[str, Any]) -> bool:
        res = await self.outbox.update_one({"_id": msg["_id"], "claim": msg["claim"]}, update)
        return res.modified_count == 1

    async def deliver(self, msg: dict[str, Any]) -> None:
        channels = dict(msg.get("channels") or {})
        try:
            if channels.get("inbox") != "delivered":
                await self._to_inbox(msg)
                channels["inbox"] = "delivered"
                await self._mark(msg, {"$set": {"channels.inbox": "delivered"}})
            retry_reason = await self._to_wechat(msg, channels)
        except errors.ProviderError as e:
            retry_reason = f"provider_error {e.details.get('provider', '')}"
        except Exception as e:  # noqa: BLE001 - a message must never be lost to an unexpected error
            log.warning("delivery failed", extra={"message_id": str(msg["_id"]), "error": type(e).__name__},
                        exc_info=True)
            retry_reason = type(e).__name__
        now = self.clock.now()
        if retry_reason is None:
            await self._mark(msg, {"$set": {"status": "delivered", "delivered_at": now},
                                   "$unset": {"lease_until": "", "claim": ""}})
            return
        if msg.get("attempts", 1) >= self.config.max_attempts:
            await self._mark(msg, {"$set": {"status": "failed", "failed_at": now, "last_error": retry_reason},
                                   "$unset": {"lease_until": "", "claim": ""}})
            log.error("message failed after last attempt", extra={"message_id": str(msg["_id"]), "reason": retry_reason})
            return
        delay = min(self.config.backoff_max_seconds, self.config.backoff_seconds * 2 ** (msg.get("attempts", 1) - 1))
        delay *= random.uniform(0.5, 1.0)  # jitter: retries from many workers do not line up
        await self._mark(msg, {"$set": {"status": "pending", "deliver_after": now + dt.timedelta(seconds=delay),
                                        "last_error": retry_reason}, "$unset": {"lease_until": "", "claim": ""}})

    async def _to_inbox(self, msg: dict[str, Any]) -> None:
        kind = msg["kind"]
        title = messages.KINDS.get(kind, (None, "通知"))[1]
        try:
            await self.inbox.insert_one({"_id": msg["_id"], "user_id": msg["user_id"], "kind": kind, "title": title,
                                         "text": messages.text(kind, msg["payload"]), "payload": msg["payload"],
                                         "read": False, "created_at": self.clock.now()})
        except DuplicateKeyError:
            pass  # already there: an earlier attempt got this far

    async def _to_wechat(self, msg: dict[str, Any], channels: dict[str, str]) -> str | None:
        """None when the WeChat side is settled; otherwise the reason to retry."""
        state = channels.get("wechat")
        if state in ("sent", "skipped", "uncertain", "failed"):
            return None
        key = messages.KINDS.get(msg["kind"], (None, ""))[0]
        template_id = self.config.templates.get(key) if key else None
        if not (self.config.wechat and self.wechat and template_id):
            return None
        if state == "attempting":  # a worker died during the call: never push twice
            await self._mark(msg, {"$set": {"channels.wechat": "uncertain"}})
            return None
        user = await self.users.find_one({"_id": _oid(msg["user_id"])}, {"openid": 1})
        if not user:
            await self._mark(msg, {"$set": {"channels.wechat": "skipped", "wechat_reason": "no_user"}})
            return None
        took = await self.subs.update_one({"user_id": msg["user_id"], "key": key, "remaining": {"$gt": 0}},
                                          {"$inc": {"remaining": -1}})
        if took.modified_count == 0:
            await self._mark(msg, {"$set": {"channels.wechat": "skipped", "wechat_reason": "no_consent"}})
            return None
        if not await self._mark(msg, {"$set": {"channels.wechat": "attempting"}}):
            await self._give_back(msg["user_id"], key)
            return None  # our claim was taken over meanwhile
        result = await self.wechat.send(user["openid"], template_id,
                                        messages.template_data(msg["kind"], msg["payload"], self.clock.now()),
                                        self.config.page)
        if result.outcome == "sent":
            await self._mark(msg, {"$set": {"channels.wechat": "sent"}})
            return None
        if result.outcome == "no_consent":
            await self._mark(msg, {"$set": {"channels.wechat": "skipped", "wechat_reason": result.reason}})
            return None
        await self._give_back(msg["user_id"], key)
        if result.outcome == "failed":
            await self._mark(msg, {"$set": {"channels.wechat": "failed", "wechat_reason": result.reason}})
            return None
        await self._mark(msg, {"$unset": {"channels.wechat": ""}})
        return result.reason

    async def _give_back(self, user_id: str, key: str) -> None:
        await self.subs.update_one({"user_id": user_id, "key": key}, {"$inc": {"remaining": 1}})


def _oid(value: str) -> Any:
    try:
        return ObjectId(value)
    except Exception:  # noqa: BLE001
        return value
