"""What the bundles domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.bundles import errors, events, labels
from backend.core.words import Vocabulary

WORDS = Vocabulary("bundles", errors=errors.ALL, labels=labels.TABLES, events=events.EVENTS)
