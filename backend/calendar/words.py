"""What the calendar domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.calendar import errors
from backend.core.words import Vocabulary

WORDS = Vocabulary("calendar", errors=errors.ALL)
