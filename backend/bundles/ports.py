"""What bundles calls on other domains, beyond the audit log it is typed on."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from backend.cases.values import Actor, BundleLink, Case, CaseRef, Channel, FormField, Plan
from backend.core.access import Staff


class ServiceNames(Protocol):
    """A catalogue service by id (its name, fee and materials), from the catalogue."""

    async def get_service(self, service_id: str, *, include_inactive: bool = False) -> dict[str, Any]: ...


class CaseIntake(Protocol):
    """Filing a bundle's cases (the cases domain's intake): made once per submission through the
    cases' ledger of submissions (a claim already held raises ``AlreadyClaimed`` and ends the
    transaction), prepared one by one, inserted together in the bundle's transaction."""

    def plan(self, user_id: str, scope: str, body: dict[str, Any], key: str | None) -> Plan: ...

    async def first(self, plan: Plan) -> dict[str, str] | None: ...

    async def claim(self, plan: Plan, result: dict[str, str], session: Any) -> None: ...

    async def prepare(self, applicant_id: str, body: dict[str, Any], *, actor: Actor, channel: Channel,
                      note: str | None = None, bundle_id: str | None = None,
                      form_fields: list[FormField] | None = None) -> Case: ...

    async def insert(self, case: Case, session: Any, *, bundle: BundleLink, note: str) -> Case: ...

    async def own_views(self, case_ids: list[str]) -> list[dict[str, Any]]: ...

    def view(self, case: Case) -> dict[str, Any]: ...


class Cases(Protocol):
    """What bundles may know of a case, by id (the case directory)."""

    async def get(self, application_id: str) -> CaseRef | None: ...


class BundleOrders(Protocol):
    """The one payment order of a bundle (payments)."""

    async def create_bundle_order(self, staff: Staff, *, order_id: Any, bundle_id: str, serial: str, title: str,
                                  payer_id: str, application_ids: list[str], ip: str) -> dict[str, Any]: ...

    async def order_view(self, payment_id: str) -> dict[str, Any] | None: ...


class BundleEvents(Protocol):
    """Where a bundle's submission and completion are told to the resident (the outbox)."""

    async def emit(self, kind: str, *, user_id: str, payload: dict[str, Any], session: Any = None,
                   deliver_after: Any = None, dedupe_key: str | None = None) -> bool: ...


class Residents(Protocol):
    """Residents found by what staff are told, an exact ID number or full name, and shown masked
    (identity's user directory)."""

    async def find(self, q: str) -> Sequence[Any]: ...

    async def get_many(self, user_ids: list[str]) -> Mapping[str, Any]: ...
