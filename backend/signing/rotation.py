"""``python -m backend keys new-signing-key``: a new Ed25519 signing key for receipts or licences,
written to a file only its owner reads, and the configuration lines that make it current and
retire the one before (docs/keys.md: rotation)."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.core.signing import Ed25519Signer, iso, public_key_b64

PURPOSES = ("receipts", "licences")


def write_private_key(path: Path) -> Ed25519PrivateKey:
    """A new key in a new file (mode 0600); an existing file is never replaced."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def rotation_lines(*, purpose: str, key_file: Path, key_id: str, takes_over: dt.datetime,
                   current_pem: str, current_key_id: str, current_valid_from: str,
                   retired: Mapping[str, str]) -> str:
    """The ``[purpose]`` lines of the rotated configuration: the new key current from
    ``takes_over``, the current one retired at that moment, the retired ones kept."""
    current = Ed25519Signer(current_pem, current_key_id)
    keys = dict(retired)
    keys[current_key_id] = f"{public_key_b64(current.public_key)} {current_valid_from} {iso(takes_over)}"
    table = ", ".join(f'"{kid}" = "{spec}"' for kid, spec in keys.items())
    return "\n".join([
        f"[{purpose}]",
        f'signing_key_file = "{key_file}"',
        f'key_id = "{key_id}"',
        f'key_valid_from = "{iso(takes_over)}"',
        f"retired_keys = {{ {table} }}",
    ])
