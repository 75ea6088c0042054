"""Rules about a case that the mini-program applies too; each is mirrored there (same name in
camelCase in ``miniprogram/utils/case-rules.js``) and both sides are tested against the same table
of examples (``miniprogram/utils/case-rules.examples.json``)."""
from __future__ import annotations

from collections.abc import Iterable

FINISHED = ("completed", "rejected", "withdrawn")


def rating_allowed(status: str, history: Iterable[str]) -> bool:
    """Whether a case may be rated (好差评): every finished case may, whatever its result: completed
    (办结), rejected (不予受理 or 不予许可), or withdrawn after it had been accepted (受理). A case
    withdrawn before acceptance was never handled, so there is no service to rate. ``history`` is
    the statuses of its timeline."""
    if status in ("completed", "rejected"):
        return True
    return status == "withdrawn" and "accepted" in history


def outcome(status: str, history: Iterable[str]) -> str | None:
    """What a refusal was: ``not_accepted`` (不予受理) when the case was refused at intake, before it
    was accepted; ``not_approved`` (不予批准) when it was refused after review. None for any case
    that was not refused. The status stays ``rejected`` for both; ``history`` is the statuses of its
    timeline."""
    if status != "rejected":
        return None
    return "not_approved" if "accepted" in history else "not_accepted"
