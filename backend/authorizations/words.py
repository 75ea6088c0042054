"""What the authorizations domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.authorizations import errors, events, labels
from backend.core.words import Vocabulary

WORDS = Vocabulary("authorizations", errors=errors.ALL, labels=labels.TABLES, events=events.EVENTS)
