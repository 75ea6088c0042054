"""What the payments domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.core.words import Vocabulary
from payments import errors, events, labels

WORDS = Vocabulary("payments", errors=errors.ALL, labels=labels.TABLES, events=events.EVENTS)
