"""Submissions made once. A resident's submission (a case, or a 一件事 bundle) writes claims in the
same transaction as what it creates: one for its ``Idempotency-Key`` (kept ``idempotency_key_hours``),
one for its content (kept ``duplicate_window_seconds``). A claim's ``_id`` is unique, so a repeat —
the same key, or the same content from the same resident a moment later, even two at once — cannot
create a second one: its transaction fails on the claim and it answers the first result instead.
The same key with other content is refused (409).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from backend.cases.errors import SubmissionKeyReused
from backend.cases.store import CaseStore
from backend.cases.values import AlreadyClaimed, Plan, SubmissionClaim
from backend.config import CasesConfig
from backend.core import errors
from backend.core.clock import Clock

_KEY = re.compile(r"^[\x21-\x7e]{8,200}$")


def fingerprint(scope: str, body: dict[str, Any]) -> str:
    """The content of a submission, whatever the order of its keys."""
    text = json.dumps({"scope": scope, "body": body}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def window_filing(body: dict[str, Any]) -> str:
    """What a case taken at a window files, for its 办事码's one filing: the same body again (a
    retry, or the clerk confirming after a warning) is the same filing."""
    return fingerprint("window", {k: v for k, v in body.items() if k != "confirm"})


class Submissions:
    def __init__(self, *, store: CaseStore, clock: Clock, config: CasesConfig):
        self.store = store
        self.clock = clock
        self.cfg = config

    def plan(self, user_id: str, scope: str, body: dict[str, Any], key: str | None) -> Plan:
        """The claims of ``user_id``'s submission of ``body`` to ``scope`` ("case", "bundle:<event>")."""
        if key is not None and not _KEY.match(key):
            raise errors.InvalidInput({"Idempotency-Key": "请求号须为 8–200 个可见 ASCII 字符"})
        print_ = fingerprint(scope, body)
        key_claim = None
        if key is not None:
            key_claim = f"key:{user_id}:{scope}:{hashlib.sha256(key.encode()).hexdigest()}"
        return Plan(user_id=user_id, scope=scope, fingerprint=print_, key_claim=key_claim,
                    content_claim=f"same:{user_id}:{scope}:{print_}")

    def _windows(self) -> tuple[dt.timedelta, dt.timedelta]:
        return (dt.timedelta(hours=self.cfg.idempotency_key_hours),
                dt.timedelta(seconds=self.cfg.duplicate_window_seconds))

    async def claim(self, plan: Plan, result: dict[str, str], session: Any) -> None:
        """Write the plan's claims for ``result`` ({"type", "id"}) in the caller's transaction;
        ``AlreadyClaimed`` when one is held by an earlier submission."""
        now = self.clock.now()
        key_window, content_window = self._windows()
        for claim_id, window in ((plan.key_claim, key_window), (plan.content_claim, content_window)):
            if claim_id is not None:
                await self._claim(plan, claim_id, window, result, now, session)

    async def _claim(self, plan: Plan, claim_id: str, window: dt.timedelta, result: dict[str, str],
                     now: dt.datetime, session: Any) -> None:
        await self.store.claim_submission(
            SubmissionClaim(id=claim_id, user_id=plan.user_id, scope=plan.scope, fingerprint=plan.fingerprint,
                            result=result, created_at=now, expires_at=now + window),
            taken_before=now - window, session=session)

    async def first(self, plan: Plan) -> dict[str, str] | None:
        """The result ({"type", "id"}) of the earlier submission that holds one of the plan's claims;
        409 when the plan's key was used for other content; None when no claim holds any more."""
        now = self.clock.now()
        key_window, content_window = self._windows()
        if plan.key_claim is not None:
            held = await self.store.submission_claim(plan.key_claim)
            if held is not None and held.created_at >= now - key_window:
                if held.fingerprint != plan.fingerprint:
                    raise SubmissionKeyReused()
                return held.result
        held = await self.store.submission_claim(plan.content_claim)
        if held is not None and held.created_at >= now - content_window:
            if plan.key_claim is not None:
                # The key was answered with the first result: bind it to that result, so the same key
                # with other content later is refused like any reused key.
                try:
                    await self._claim(plan, plan.key_claim, key_window, held.result, now, None)
                except AlreadyClaimed:
                    pass  # bound meanwhile by its own retry: the same content, the same result
            return held.result
        return None

__all__ = ["AlreadyClaimed", "Plan", "Submissions", "fingerprint"]
