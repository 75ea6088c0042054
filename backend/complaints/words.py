"""What the complaints domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.complaints import events, labels
from backend.core.words import Vocabulary

WORDS = Vocabulary("complaints", labels=labels.TABLES, events=events.EVENTS)
