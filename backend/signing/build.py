"""Build the signing-key directory: receipts and licences add their key rings as they are built,
and ``GET /api/v1/signing-keys`` lists every key of both, current and retired."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain
from backend.core.signing import SigningKeyRing
from backend.signing import handlers


class SigningKeys:
    """The key rings of the documents we sign, by purpose (``receipts``, ``licences``)."""

    def __init__(self) -> None:
        self._rings: dict[str, SigningKeyRing] = {}

    def add(self, purpose: str, ring: SigningKeyRing) -> None:
        self._rings[purpose] = ring

    def items(self) -> list[dict[str, Any]]:
        return [{**item, "purpose": purpose} for purpose, ring in self._rings.items() for item in ring.items()]


@dataclass(frozen=True)
class SigningProvides:
    keys: SigningKeys   # receipts and licences add their key rings here


def build(config: Config) -> Built[SigningProvides]:
    keys = SigningKeys()
    return Built(Domain("signing", service=keys, routes=bind(handlers.default_handlers, keys=keys)),
                 SigningProvides(keys=keys))
