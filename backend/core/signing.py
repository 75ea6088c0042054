"""Signatures shared by the documents we issue and the outside parties we call.

- ``Ed25519Signer``: signs a document's content over a canonical form (sorted-key compact JSON,
  UTF-8) so anyone holding the published public key can check it offline. E-receipts and
  e-licences are signed this way.
- ``SigningKeyRing``: the current signing key plus the retired public keys, each with its
  validity. A document stores the key id it was signed with; verification uses that key, and a
  retired key does not vouch for a document dated at or after its retirement. So documents signed
  before a rotation verify after it. ``parse_retired_keys`` reads (and checks) the configured
  retired keys; docs/keys.md has the rotation procedure.
- ``new_check_code`` / ``check_code_matches``: the check code (校验码) printed beside a document's
  number: 10 characters from a 32-letter alphabet drawn from ``secrets`` (50 bits), compared in
  constant time. Public verification asks for number and check code together, so numbers in
  sequence cannot be enumerated. E-receipts and e-licences both use it.
- ``request_signature``: HMAC-SHA256 over method, path, timestamp, nonce and body, the signed
  JSON protocol of the government providers we call (and of their sandbox stand-ins).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
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


BEIJING = dt.timezone(dt.timedelta(hours=8))
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def public_key_b64(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64: what ``GET /signing-keys`` publishes."""
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def parse_key_time(value: str) -> dt.datetime | None:
    """An ISO 8601 date or date-time; without an offset it is Beijing time. None when malformed."""
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=BEIJING)


def iso(when: dt.datetime) -> str:
    return when.astimezone(BEIJING).isoformat(timespec="seconds")


@dataclass(frozen=True)
class SigningKey:
    """A public key that signed (or signs) our documents, with its validity."""
    key_id: str
    public_key: Ed25519PublicKey
    valid_from: dt.datetime
    retired_at: dt.datetime | None = None

    def vouches_for(self, signed_at: dt.datetime | None) -> bool:
        """A retired key vouches only for documents dated before its retirement."""
        if self.retired_at is None:
            return True
        return signed_at is not None and signed_at < self.retired_at

    def item(self) -> dict[str, Any]:
        out = {"key_id": self.key_id, "algorithm": "Ed25519", "public_key_b64": public_key_b64(self.public_key),
               "valid_from": iso(self.valid_from)}
        if self.retired_at is not None:
            out["retired_at"] = iso(self.retired_at)
        return out


def parse_retired_keys(entries: Mapping[str, Any], *, current_key_id: str, current_valid_from: str,
                       where: str) -> tuple[list[SigningKey], list[str]]:
    """The configured retired keys (``key_id = "public_key_b64 valid_from retired_at"``), and every
    problem with them, each naming its key: malformed entries, a key id reused, the same public
    key under two ids, validities that overlap each other or the current key's."""
    keys: list[SigningKey] = []
    problems: list[str] = []
    starts = parse_key_time(current_valid_from)
    if starts is None:
        problems.append(f"{where}.key_valid_from: {current_valid_from!r} is not a date-time "
                        "(e.g. 2027-01-04T09:00:00+08:00)")
    for kid, spec in entries.items():
        name = f"{where}.retired_keys.{kid}"
        if not KEY_ID.match(kid):
            problems.append(f"{name}: a key id is 1-64 letters, digits, '.', '_' or '-'")
            continue
        if kid == current_key_id:
            problems.append(f"{name}: is the current {where}.key_id; a retired key keeps its own id")
            continue
        parts = spec.split() if isinstance(spec, str) else []
        if len(parts) != 3:
            problems.append(f"{name}: must be \"<public_key_b64> <valid_from> <retired_at>\"")
            continue
        try:
            raw = base64.b64decode(parts[0], validate=True)
            public = Ed25519PublicKey.from_public_bytes(raw)
        except ValueError:
            problems.append(f"{name}: the public key must be base64 of the 32-byte Ed25519 public key")
            continue
        valid_from, retired_at = parse_key_time(parts[1]), parse_key_time(parts[2])
        if valid_from is None or retired_at is None:
            problems.append(f"{name}: valid_from and retired_at must be date-times (e.g. 2027-01-04T09:00:00+08:00)")
            continue
        if retired_at <= valid_from:
            problems.append(f"{name}: retired_at must be after valid_from")
            continue
        keys.append(SigningKey(kid, public, valid_from, retired_at))
    keys.sort(key=lambda k: k.valid_from)
    spans = [(k, k.valid_from, k.retired_at or k.valid_from) for k in keys]
    for (a, a_from, a_until), (b, b_from, b_until) in zip(spans, spans[1:], strict=False):
        if b_from < a_until:
            problems.append(f"{where}.retired_keys: {a.key_id} ({iso(a_from)} – {iso(a_until)}) and "
                            f"{b.key_id} ({iso(b_from)} – {iso(b_until)}) overlap")
    seen: dict[str, str] = {}
    for k in keys:
        b64 = public_key_b64(k.public_key)
        if b64 in seen:
            problems.append(f"{where}.retired_keys: {seen[b64]} and {k.key_id} are the same public key")
        seen[b64] = k.key_id
    if starts is not None and spans and starts < spans[-1][2]:
        problems.append(f"{where}.key_valid_from: {iso(starts)} is before {spans[-1][0].key_id} retired "
                        f"({iso(spans[-1][2])}); the current key takes over when the last one retires")
    return keys, problems


class SigningKeyRing:
    """The key that signs now and the retired keys that still vouch for what they signed."""

    def __init__(self, signer: Ed25519Signer, *, valid_from: str, retired: Mapping[str, Any], where: str):
        retired_keys, problems = parse_retired_keys(retired, current_key_id=signer.key_id,
                                                    current_valid_from=valid_from, where=where)
        current = public_key_b64(signer.public_key)
        for k in retired_keys:
            if public_key_b64(k.public_key) == current:
                problems.append(f"{where}.retired_keys.{k.key_id}: is the current signing key "
                                f"({where}.signing_key_file); retire it only once a new key signs")
        if problems:
            raise ValueError("; ".join(problems))
        self.signer = signer
        self.current = SigningKey(signer.key_id, signer.public_key, parse_key_time(valid_from) or dt.datetime.min)
        self.retired = sorted(retired_keys, key=lambda k: k.valid_from, reverse=True)
        self._by_id = {k.key_id: k for k in [self.current, *self.retired]}

    @property
    def key_id(self) -> str:
        return self.signer.key_id

    @property
    def public_pem(self) -> str:
        return self.signer.public_pem

    def sign(self, content: dict[str, Any]) -> str:
        return self.signer.sign(content)

    def verify(self, content: dict[str, Any], signature: str, *, key_id: str, signed_at: dt.datetime | None) -> bool:
        """True when the key named ``key_id`` made ``signature`` over ``content`` and vouched for
        documents at ``signed_at``. A key id we do not know never verifies."""
        key = self._by_id.get(key_id)
        if key is None or not key.vouches_for(signed_at):
            return False
        return verify_signature(key.public_key, canonical(content), signature)

    def items(self) -> list[dict[str, Any]]:
        """The current key first, then the retired ones, newest first."""
        return [k.item() for k in [self.current, *self.retired]]


def verify_signature(public_key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message)
        return True
    except (InvalidSignature, ValueError):
        return False


CHECK_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 letters, none mistaken for another
CHECK_LENGTH = 10                                     # 50 bits


def new_check_code() -> str:
    return "".join(secrets.choice(CHECK_ALPHABET) for _ in range(CHECK_LENGTH))


def check_code_matches(expected: str, given: str) -> bool:
    """Whether ``given`` (as typed: spaces around it and lower case forgiven) is ``expected``, in
    constant time, so the answer's timing says nothing about how much of a guess was right."""
    return hmac.compare_digest(expected.encode(), given.strip().upper().encode())


def request_signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    msg = b"\n".join([method.upper().encode(), path.encode(), timestamp.encode(), nonce.encode(), body])
    return base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()
