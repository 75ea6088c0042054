"""What an event says, in every channel: the inbox (站内信) title and text, the SMS text, and the
WeChat subscribe message (template key, field values and the page it opens).

Each emitting domain owns its events and their words (``<domain>/events.py``, registered into the
lexicon); this renders an event by looking its kind up in the registry it is given, and knows no
kind itself.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from backend.core.phrasing import EventWordsSource, UnknownKind, Words, fallback


class Messages:
    """The words of events, from the registry of event kinds (the lexicon)."""

    def __init__(self, events: EventWordsSource):
        self._events = events

    def render(self, kind: str, payload: Mapping[str, Any], at: dt.datetime) -> Words:
        """The words of an event that happened at ``at``. Strict: ``MissingField`` for a missing
        value, ``UnknownKind`` for a kind without words."""
        event = self._events.event(kind)
        if event is None:
            raise UnknownKind(kind)
        return event.render(payload, at)

    def staff_alert(self, kind: str, payload: Mapping[str, Any], at: dt.datetime) -> str:
        """The text of an alert on the staff's list. Strict, like ``render``."""
        event = self._events.event(kind)
        if event is None:
            raise UnknownKind(kind)
        return event.staff_alert(payload, at)

    def template_key(self, kind: str) -> str | None:
        """The WeChat template a kind is pushed with (None: inbox only)."""
        event = self._events.event(kind)
        return event.template_key if event else None

    def page_of(self, kind: str, payload: Mapping[str, Any]) -> str | None:
        """The page a push of this kind opens: the page of its object when the payload names it."""
        event = self._events.event(kind)
        return event.page_of(payload) if event else None

    @staticmethod
    def fallback(payload: Mapping[str, Any]) -> Words:
        """General words for an event whose own words cannot be made."""
        return fallback(payload)
