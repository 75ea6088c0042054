"""Personal data as staff lists show it before anyone reveals it: masked."""
from __future__ import annotations

import re

_MOBILE = re.compile(r"^1\d{10}$")


def mask_phone(phone: str | None) -> str | None:
    """``138****8000`` for a mobile number; None for anything else (nothing to show)."""
    phone = (phone or "").strip()
    return f"{phone[:3]}****{phone[-4:]}" if _MOBILE.match(phone) else None
