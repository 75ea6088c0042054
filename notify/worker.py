"""Delivering the outbox. Any number of workers, in any number of processes, share it.

A worker *claims* a batch of due messages with one conditional ``update_many`` that gives them a
lease (their ``deliver_after`` moves to the end of the lease) and the batch's claim token; only
the holder of the current claim may record results (every write is conditional on the token). A
worker that dies leaves a lease that runs out, and another worker takes the messages over. The
claim reads due ids through the ``(status, deliver_after)`` index first, so finding work costs
the same however many delivered messages the outbox holds.

Per channel:
- inbox: the inbox document's ``_id`` is the message's id, so it lands exactly once however
  often delivery is retried or taken over; a batch's inbox messages go in with one insert;
- WeChat: before the call the channel is marked ``attempting`` under the claim; after it,
  ``sent``/``skipped``. A takeover that finds ``attempting`` does not know whether WeChat got it
  (WeChat has no idempotency key), so it records ``uncertain`` and does not send again: a push
  is never duplicated, and the inbox still has the message. Consent quota is taken atomically
  before the call and given back when WeChat refuses for a reason that is not the quota.
  A push is not started when too little of the lease is left for it; the message goes back to
  the queue at once, its consent returned.

Each message's outcome (delivered, retry later, failed) is one write, and a batch's outcomes go
to the database in one round trip.

Errors by meaning: 43101 (no consent) → the channel is skipped, not retried; token expiry →
refresh and retry at once; rate limits and other transient errors → exponential backoff with
jitter; after ``max_attempts`` the message is ``failed`` with its reason.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bson import ObjectId

from backend.config import NotifyConfig
from backend.core import errors
from backend.core.clock import Clock
from backend.core.phrasing import MissingField, UnknownKind, Words
from backend.core.wechat_fields import FieldRuleError
from notify.channels import WeChatSubscribe
from notify.messages import Messages
from notify.ports import Recipients
from notify.store import ConsentStore, InboxStore, OutboxStore
from notify.values import InboxMessage, OutboxMessage, OutboxStatus, PushState, Settlement

log = logging.getLogger("zjb.notify")

CLAIM_SIZE = 50  # messages taken per claim: small enough that a batch ends well within its lease
PUSH_CONCURRENCY = 8  # WeChat calls of one batch in flight at once (each waits on the network)
SETTLED = (PushState.SENT, PushState.SKIPPED, PushState.UNCERTAIN, PushState.FAILED)


class _User(Protocol):
    openid: str | None
    cancelled: bool


@dataclass
class _Outcome:
    """What delivery of one message settled: channel states to record and, if any, why to retry."""
    in_inbox: bool = False
    push: PushState | None = None
    push_reason: str | None = None
    push_cleared: bool = False     # the push is to be tried afresh
    retry: str | None = None
    requeue: bool = False          # not attempted for lack of lease time: back to the queue, no backoff
    lost: bool = False             # our claim was taken over: record nothing

    def skip_push(self, reason: str | None) -> None:
        self.push, self.push_reason = PushState.SKIPPED, reason


class Deliverer:
    def __init__(self, *, outbox: OutboxStore, inbox: InboxStore, consent: ConsentStore, users: Recipients,
                 clock: Clock, config: NotifyConfig, wechat: WeChatSubscribe | None, messages: Messages):
        self.outbox = outbox
        self.inbox = inbox
        self.consent = consent
        self.users = users          # the user directory: ``get_many(ids)`` → {id: UserRef}
        self.clock = clock
        self.config = config
        self.wechat = wechat
        self.messages = messages
        self.worker_id = uuid.uuid4().hex[:12]

    # Claiming --------------------------------------------------------------------------------------
    async def claim_batch(self, limit: int = CLAIM_SIZE) -> list[OutboxMessage]:
        now = self.clock.now()
        ids = await self.outbox.due_ids(now, limit)
        return await self.outbox.claim(ids, now=now, lease_until=now + dt.timedelta(seconds=self.config.lease_seconds),
                                       claim=uuid.uuid4().hex, worker=self.worker_id)

    async def claim(self) -> OutboxMessage | None:
        """One due message, claimed."""
        got = await self.claim_batch(1)
        return got[0] if got else None

    async def run_once(self) -> int:
        """Deliver what is due (up to ``batch``). Returns how many messages were handled."""
        n = 0
        while n < self.config.batch:
            msgs = await self.claim_batch(min(CLAIM_SIZE, self.config.batch - n))
            if not msgs:
                break
            await self.deliver(msgs)
            n += len(msgs)
        return n

    # Delivering ------------------------------------------------------------------------------------
    async def deliver(self, msgs: list[OutboxMessage]) -> None:
        """Deliver claimed messages (all holding the same lease) and record each outcome."""
        outcomes: dict[ObjectId, _Outcome] = {m.id: _Outcome() for m in msgs}
        words = {m.id: self._words(m) for m in msgs}
        try:
            await self._to_inbox(msgs, words)
        except Exception as e:
            log.warning("inbox delivery failed", extra={"messages": len(msgs), "error": type(e).__name__},
                        exc_info=True)
            for o in outcomes.values():
                o.retry = type(e).__name__
        else:
            for o in outcomes.values():  # recorded with the outcome, so a retry does not write it again
                o.in_inbox = True
            await self._to_wechat([m for m in msgs if outcomes[m.id].retry is None], words, outcomes)
        await self._record(msgs, outcomes)

    def _words(self, msg: OutboxMessage) -> Words | None:
        """The message's words; None when they cannot be made (its fallback goes to the inbox only)."""
        try:
            return self.messages.render(msg.kind, msg.payload, msg.created_at)
        except MissingField as e:
            log.error("message payload lacks a value its words need",
                      extra={"message_id": str(msg.id), "kind": msg.kind, "field": e.name})
        except UnknownKind:
            log.info("no words for this kind of message", extra={"message_id": str(msg.id), "kind": msg.kind})
        return None

    async def _to_inbox(self, msgs: list[OutboxMessage], words: dict[ObjectId, Words | None]) -> None:
        now = self.clock.now()
        entries = []
        wanted = list({m.user_id for m in msgs if not m.in_inbox})
        users: Mapping[str, _User] = await self.users.get_many(wanted) if wanted else {}
        for m in msgs:
            if m.in_inbox:
                continue
            user = users.get(m.user_id)
            if user is not None and user.cancelled:  # a cancelled account (注销) keeps no messages
                continue
            w = words[m.id] or self.messages.fallback(m.payload)
            entries.append(InboxMessage(id=m.id, user_id=m.user_id, kind=m.kind, title=w.title, text=w.text,
                                        payload=m.payload, read=False, created_at=now))
        await self.inbox.put_many(entries)

    def _template(self, msg: OutboxMessage) -> tuple[str, str] | None:
        """(template key, template id) when this message goes out as a WeChat push at all."""
        key = self.messages.template_key(msg.kind)
        template_id = self.config.templates.get(key) if key else None
        if not (key and template_id and self.config.wechat and self.wechat):
            return None
        return key, template_id

    async def _to_wechat(self, msgs: list[OutboxMessage], words: dict[ObjectId, Words | None],
                         outcomes: dict[ObjectId, _Outcome]) -> None:
        wechat = self.wechat
        pushes: list[tuple[OutboxMessage, str, str, str]] = []   # msg, key, template id, openid
        candidates: list[tuple[OutboxMessage, tuple[str, str]]] = []
        data: dict[ObjectId, dict[str, dict[str, str]]] = {}
        pages: dict[ObjectId, str] = {}
        for m in msgs:
            if m.push in SETTLED:
                continue
            tpl = self._template(m)
            if tpl is None:
                continue
            o = outcomes[m.id]
            if m.push is PushState.ATTEMPTING:  # a worker died during the call: never push twice
                o.push = PushState.UNCERTAIN
                continue
            w = words[m.id]
            try:
                if w is None:
                    raise FieldRuleError("no words for this message")
                data[m.id] = w.wechat_data()
                pages[m.id] = w.page or self.config.page
            except FieldRuleError as e:  # never sent broken: the inbox has the message
                log.error("push not sent: its data breaks WeChat's field rules",
                          extra={"message_id": str(m.id), "kind": m.kind, "problem": str(e)})
                o.skip_push("template_data_invalid")
                continue
            candidates.append((m, tpl))
        if not candidates or wechat is None:
            return
        try:
            users = await self.users.get_many(list({m.user_id for m, _ in candidates}))
        except Exception as e:
            log.warning("user lookup failed", extra={"error": type(e).__name__}, exc_info=True)
            for m, _ in candidates:
                outcomes[m.id].retry = type(e).__name__
            return
        reachable = []
        for m, (key, template_id) in candidates:
            user: _User | None = users.get(m.user_id)
            if user is None or not user.openid:
                outcomes[m.id].skip_push("no_user")
            else:
                reachable.append((m, key, template_id, user.openid))
        consented = await self.consent.take_many([(m.user_id, key) for m, key, *_ in reachable])
        for push_args, ok in zip(reachable, consented, strict=True):
            if ok:
                pushes.append(push_args)
            else:
                outcomes[push_args[0].id].skip_push("no_consent")
        if not pushes:
            return
        claim = pushes[0][0].claim or ""
        held = await self.outbox.mark_attempting([m.id for m, *_ in pushes], claim)
        lease_end = pushes[0][0].deliver_after
        margin = dt.timedelta(seconds=self.config.lease_seconds / 3)
        gate = asyncio.Semaphore(PUSH_CONCURRENCY)

        async def push(m: OutboxMessage, key: str, template_id: str, openid: str) -> None:
            o = outcomes[m.id]
            if m.id not in held:  # our claim was taken over meanwhile
                await self.consent.give_back(m.user_id, key)
                o.lost = True
                return
            async with gate:
                if self.clock.now() + margin > lease_end:
                    await self.consent.give_back(m.user_id, key)
                    o.push_cleared = True
                    o.requeue = True
                    return
                try:
                    result = await wechat.send(openid, template_id, data[m.id], pages[m.id])
                except errors.ProviderError as e:  # unknown whether WeChat got it: the next attempt says so
                    o.retry = f"provider_error {e.details.get('provider', '')}"
                    return
                except Exception as e:
                    log.warning("push failed", extra={"message_id": str(m.id), "error": type(e).__name__},
                                exc_info=True)
                    o.retry = type(e).__name__
                    return
            if result.outcome == "sent":
                o.push = PushState.SENT
            elif result.outcome == "no_consent":
                o.skip_push(result.reason)
            else:
                await self.consent.give_back(m.user_id, key)
                if result.outcome == "failed":
                    o.push, o.push_reason = PushState.FAILED, result.reason
                else:
                    o.push_cleared = True
                    o.retry = result.reason

        await asyncio.gather(*(push(*p) for p in pushes))

    async def _record(self, msgs: list[OutboxMessage], outcomes: dict[ObjectId, _Outcome]) -> None:
        now = self.clock.now()
        settled = []
        for m in msgs:
            o = outcomes[m.id]
            if o.lost:
                continue
            channels: dict[str, Any] = {"in_inbox": o.in_inbox, "push": o.push, "push_reason": o.push_reason,
                                        "push_cleared": o.push_cleared}
            if o.requeue:
                s = Settlement(OutboxStatus.PENDING, now, next_at=now, not_attempted=True, **channels)
            elif o.retry is None:
                s = Settlement(OutboxStatus.DELIVERED, now, **channels)
            elif m.attempts >= self.config.max_attempts:
                s = Settlement(OutboxStatus.FAILED, now, error=o.retry, **channels)
                log.error("message failed after last attempt", extra={"message_id": str(m.id), "reason": o.retry})
            else:
                delay = min(self.config.backoff_max_seconds, self.config.backoff_seconds * 2 ** (m.attempts - 1))
                delay *= random.uniform(0.5, 1.0)  # jitter: retries from many workers do not line up
                s = Settlement(OutboxStatus.PENDING, now, next_at=now + dt.timedelta(seconds=delay), error=o.retry,
                               **channels)
            settled.append((m, s))
        await self.outbox.settle_many(settled)
