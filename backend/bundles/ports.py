"""What bundles calls on other domains, beyond the audit log it is typed on."""
from __future__ import annotations

from typing import Any, Protocol

from backend.core.access import Staff


class ServiceNames(Protocol):
    """A catalogue service by id (its name, fee and materials), from the catalogue."""

    async def get_service(self, service_id: str, *, include_inactive: bool = False) -> dict[str, Any]: ...


class OnceSubmissions(Protocol):
    """A submission made once per idempotency key (the cases domain's ledger of submissions)."""

    def plan(self, user_id: str, scope: str, body: dict[str, Any], key: str | None) -> Any: ...

    async def first(self, plan: Any) -> dict[str, Any] | None: ...

    async def claim(self, plan: Any, result: dict[str, Any], session: Any) -> None: ...


class CaseIntake(Protocol):
    """Filing cases: prepared one by one, inserted together in the bundle's transaction (cases)."""

    @property
    def once(self) -> OnceSubmissions: ...

    async def prepare(self, applicant_id: str, body: dict[str, Any], *, actor: dict[str, Any], channel: str,
                      agency: Any = None, note: str | None = None,
                      extra: dict[str, Any] | None = None) -> dict[str, Any]: ...

    async def insert(self, doc: dict[str, Any], s: Any) -> dict[str, Any]: ...

    async def own_views(self, case_ids: list[str]) -> list[dict[str, Any]]: ...

    def view(self, d: dict[str, Any], *, staff: bool, rated: bool = False,
             applicant: Any = None) -> dict[str, Any]: ...


class Cases(Protocol):
    """A case's brief view by id (the case directory)."""

    async def get(self, application_id: str) -> Any: ...


class BundleOrders(Protocol):
    """The one payment order of a bundle (payments)."""

    async def create_bundle_order(self, staff: Staff, *, order_id: Any, bundle_id: str, serial: str, title: str,
                                  payer_id: str, application_ids: list[str], ip: str) -> dict[str, Any]: ...

    async def order_view(self, payment_id: str) -> dict[str, Any] | None: ...


class BundleEvents(Protocol):
    """Where a bundle's submission and completion are told to the resident (the outbox)."""

    async def emit(self, kind: str, *, user_id: str, payload: dict[str, Any], session: Any = None,
                   deliver_after: Any = None, dedupe_key: str | None = None) -> bool: ...
