"""What the catalogue domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.catalogue import errors
from backend.core.words import Vocabulary

WORDS = Vocabulary("catalogue", errors=errors.ALL)
