"""Personal data at rest: AES-256-GCM with a key id for rotation, plus a keyed hash.

A sealed value is ``{"kid", "nonce", "ct"}``; the ciphertext is bound to its record by the
associated data (the owner's id), so a value copied onto another record does not decrypt.
The keyed hash (HMAC-SHA256) finds duplicates and keys rate limits without the plain value.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class CipherError(Exception):
    pass


class PersonalDataCipher:
    def __init__(self, keys: Mapping[str, str], active_kid: str, hash_key: str):
        self._keys = {kid: AESGCM(base64.b64decode(v)) for kid, v in keys.items()}
        if active_kid not in self._keys:
            raise CipherError(f"unknown active key id {active_kid!r}")
        self.active_kid = active_kid
        self._hash_key = hash_key.encode()

    def seal(self, plaintext: str, *, aad: str) -> dict[str, Any]:
        nonce = os.urandom(12)
        ct = self._keys[self.active_kid].encrypt(nonce, plaintext.encode("utf-8"), aad.encode())
        return {"kid": self.active_kid, "nonce": base64.b64encode(nonce).decode(),
                "ct": base64.b64encode(ct).decode()}

    def open(self, sealed: Mapping[str, Any], *, aad: str) -> str:
        key = self._keys.get(sealed.get("kid", ""))
        if key is None:
            raise CipherError(f"no key {sealed.get('kid')!r} to decrypt with")
        try:
            pt = key.decrypt(base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ct"]), aad.encode())
        except (InvalidTag, KeyError, ValueError):
            raise CipherError("sealed value does not decrypt") from None
        return pt.decode("utf-8")

    def keyed_hash(self, value: str, *, purpose: str = "id") -> str:
        return hmac.new(self._hash_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
