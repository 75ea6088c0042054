"""Ports several domains call on a registry another domain keeps: small, shaped by the callers.

Each is implemented structurally by its provider (nothing here imports a domain):
``HandlingChecks`` by identity's resident handling, ``DayListeners`` by the calendar service,
``KeyRings`` by the signing-key directory.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from backend.core.access import Staff
from backend.core.signing import SigningKeyRing

# Whether a staff member is handling something of this resident: a description of it, or None.
HandlingCheck = Callable[[Staff, str], Awaitable[str | None]]


class HandlingChecks(Protocol):
    """Where a domain adds what a resident still has open with staff (asked before an account goes)."""

    def add(self, check: HandlingCheck) -> None: ...


class DayListeners(Protocol):
    """Where a domain asks to be told when the entered calendar years change a day's status
    (the listener is a ``backend.calendar.service.ScheduleListener``)."""

    def listen(self, listener: Any) -> None: ...


class KeyRings(Protocol):
    """Where a domain that signs documents publishes its key ring (for ``GET /api/v1/signing-keys``)."""

    def add(self, purpose: str, ring: SigningKeyRing) -> None: ...
