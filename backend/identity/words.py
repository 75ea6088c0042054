"""What the identity domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.core.words import Vocabulary
from backend.identity import errors, events

WORDS = Vocabulary("identity", errors=errors.ALL, events=events.EVENTS)
