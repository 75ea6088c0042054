"""What the staff domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.core.words import Vocabulary
from backend.staff import errors

WORDS = Vocabulary("staff", errors=errors.ALL)
