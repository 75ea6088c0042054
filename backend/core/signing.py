"""Signatures shared by the documents we issue and the outside parties we call.

- ``Ed25519Signer``: signs a document's content over a canonical form (sorted-key compact JSON,
  UTF-8) so anyone holding the published public key can check it offline. E-receipts and
  e-licences are signed this way.
- ``check_code_for``: a short code derived from a signature, printed beside a document's number;
  public verification asks for both, so numbers alone cannot be enumerated.
- ``request_signature``: HMAC-SHA256 over method, path, timestamp, nonce and body, the signed
  JSON protocol of the government providers we call (and of their sandbox stand-ins).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class Ed25519Signer:
    def __init__(self, private_key_pem: str, key_id: str, *, what: str = "signing key"):
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{what} must be an Ed25519 private key")
        self._key = key
        self.key_id = key_id
        self.public_key = key.public_key()
        self.public_pem = self.public_key.public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, content: dict[str, Any]) -> str:
        return base64.b64encode(self._key.sign(canonical(content))).decode()

    def verify(self, content: dict[str, Any], signature: str) -> bool:
        return verify_signature(self.public_key, canonical(content), signature)


def verify_signature(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def check_code_for(signature: str) -> str:
    """The first 6 hex digits of SHA-256 over the signature: unguessable without the document."""
    return hashlib.sha256(signature.encode()).hexdigest()[:6].upper()


def request_signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    msg = b"\n".join([method.upper().encode(), path.encode(), timestamp.encode(), nonce.encode(), body])
    return base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()
