"""What the licences domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.core.words import Vocabulary
from backend.licences import events, labels

WORDS = Vocabulary("licences", labels=labels.TABLES, events=events.EVENTS)
