"""What the notify domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.core.words import Vocabulary
from notify import labels

WORDS = Vocabulary("notify", labels=labels.TABLES)
