"""The dynamic identity code (办事码): a resident's id and an expiry, signed with a key of its own,
valid about a minute. The mini-program shows it as a QR code; a clerk scans it at the window as
proof that the resident is there in person. A code is used once (``CodeUse``): the first clerk to
scan it or file with it holds it, and it makes one filing.

    ZJB1.<base64url(user id 12 bytes | expiry 4 bytes | nonce 4 bytes)>.<base64url(HMAC-SHA256 first 16 bytes)>
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import os
import struct

import qrcode

from backend.authorizations.values import ScannedCode
from backend.core.clock import UTC

PREFIX = "ZJB1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class IdentityCodes:
    def __init__(self, secret: str, ttl_seconds: int):
        # A key of its own, derived from the token secret: a code is never a token, nor the reverse.
        self._key = hmac.new(secret.encode(), b"zjb identity code v1", hashlib.sha256).digest()
        self.ttl = ttl_seconds

    def issue(self, user_id: str, now: dt.datetime) -> tuple[str, dt.datetime]:
        expires = int(now.timestamp()) + self.ttl
        body = bytes.fromhex(user_id) + struct.pack(">I", expires) + os.urandom(4)
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return f"{PREFIX}.{_b64(body)}.{_b64(mac)}", dt.datetime.fromtimestamp(expires, UTC)

    def read(self, code: str, now: dt.datetime) -> ScannedCode | None:
        """The code if it is genuine and still valid (its id is a hash of its body: the same code
        has the same id however it is written); None otherwise."""
        try:
            prefix, body64, mac64 = code.strip().split(".")
            body, mac = _unb64(body64), _unb64(mac64)
        except ValueError:
            return None
        if prefix != PREFIX or len(body) != 20:
            return None
        if not hmac.compare_digest(mac, hmac.new(self._key, body, hashlib.sha256).digest()[:16]):
            return None
        (expires,) = struct.unpack(">I", body[12:16])
        if now.timestamp() >= expires:
            return None
        return ScannedCode(id=hashlib.sha256(body).hexdigest()[:32], user_id=body[:12].hex(),
                           expires_at=dt.datetime.fromtimestamp(expires, UTC))


def qr_png_base64(code: str) -> str:
    """The code as a QR image (PNG, base64) for the mini-program to show."""
    buf = io.BytesIO()
    qrcode.make(code, border=2).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()
