"""What the sandbox domain says to people, handed to the lexicon by its builder."""
from __future__ import annotations

from backend.core.words import Vocabulary
from sandbox import errors

WORDS = Vocabulary("sandbox", errors=errors.ALL)
