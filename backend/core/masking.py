"""Personal data as staff lists show it before anyone reveals it: masked."""
from __future__ import annotations

import re

_MOBILE = re.compile(r"^1\d{10}$")


def mask_phone(phone: str | None) -> str | None:
    """``138****8000`` for a mobile number; None for anything else (nothing to show)."""
    phone = (phone or "").strip()
    return f"{phone[:3]}****{phone[-4:]}" if _MOBILE.match(phone) else None


def mask_openid(openid: str) -> str:
    """``o-te****lice``: enough for a person to recognise their WeChat identity, not to use it."""
    return openid[:4] + "****" + openid[-4:] if len(openid) > 8 else "****"
