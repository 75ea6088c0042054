"""What the resident-data domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.core.words import Vocabulary
from backend.mydata import errors

WORDS = Vocabulary("mydata", errors=errors.ALL)
