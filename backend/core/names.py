"""Names as they are stored and compared: NFKC, zero-width and directional marks removed,
whitespace collapsed, so "工本费\u200b" and "工本费" are one name."""
from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACE = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    s = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", name or ""))
    return _SPACE.sub(" ", s).strip()
