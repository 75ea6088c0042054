"""What each domain says to people, and the one registry that reads it all.

A domain owns its words: its error classes (``<domain>/errors.py``), the Chinese labels of its
statuses (``<domain>/labels.py``) and the events it emits with their message templates. It hands
them over as one ``Vocabulary`` (``<domain>/words.py``) from its builder; ``make_app`` registers
every domain's vocabulary into a ``Lexicon``. The error catalogue in ``/openapi.json``, the
console's and mini-program's generated tables and notify read the lexicon, so no kernel module
lists another domain's words.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.core.errors import AppError
from backend.core.phrasing import Event


@dataclass(frozen=True)
class Vocabulary:
    """One domain's words: error classes, label tables (kind → status → 中文) and events."""
    domain: str
    errors: tuple[type[AppError], ...] = ()
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


class Lexicon:
    """Every registered domain's words, each code, label kind and event kind owned by one domain."""

    def __init__(self, vocabularies: Iterable[Vocabulary] = ()) -> None:
        self._errors: dict[str, type[AppError]] = {}
        self._labels: dict[str, Mapping[str, str]] = {}
        self._events: dict[str, Event] = {}
        self._owner: dict[str, str] = {}
        self.vocabularies: list[Vocabulary] = []
        for v in vocabularies:
            self.register(v)

    def register(self, vocabulary: Vocabulary) -> None:
        for cls in vocabulary.errors:
            self._claim(f"error {cls.code}", vocabulary.domain)
            self._errors[cls.code] = cls
        for kind, table in vocabulary.labels.items():
            self._claim(f"labels {kind}", vocabulary.domain)
            self._labels[kind] = table
        for event in vocabulary.events:
            self._claim(f"event {event.kind}", vocabulary.domain)
            self._events[event.kind] = event
        self.vocabularies.append(vocabulary)

    def _claim(self, what: str, domain: str) -> None:
        if what in self._owner:
            raise ValueError(f"{what} is said by both {self._owner[what]} and {domain}")
        self._owner[what] = domain

    def error_catalogue(self) -> list[dict[str, Any]]:
        """Every error code, by code: ``[{"code", "status", "message"}, ...]``."""
        return [{"code": code, "status": cls.http_status, "message": cls.message}
                for code, cls in sorted(self._errors.items())]

    def error(self, code: str) -> type[AppError] | None:
        return self._errors.get(code)

    def labels(self) -> dict[str, dict[str, str]]:
        """Every label table by the kind of thing it labels (the generated tables use these names)."""
        return {kind: {str(k): v for k, v in table.items()} for kind, table in self._labels.items()}

    def label(self, kind: str, status: str) -> str:
        """The Chinese label of ``status``; an unknown status is shown as it is."""
        return self._labels.get(kind, {}).get(status, status)

    def event(self, kind: str) -> Event | None:
        """The event of this kind, with its words (None: no domain registered it)."""
        return self._events.get(kind)

    def events(self) -> tuple[Event, ...]:
        """Every registered event, in the order registered."""
        return tuple(self._events.values())
