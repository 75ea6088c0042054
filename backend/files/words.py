"""What the files domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.core.words import Vocabulary
from backend.files import errors

WORDS = Vocabulary("files", errors=errors.ALL)
