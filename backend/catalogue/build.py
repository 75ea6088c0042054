"""Build the catalogue: departments, halls, services and their guides (on the working calendar)."""
from __future__ import annotations

from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.calendar.working import WorkingCalendar
from backend.catalogue import handlers, words
from backend.catalogue.service import CatalogueService
from backend.catalogue.store import COLLECTIONS, CatalogueStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain
from backend.core.infra import Infra


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    calendar: WorkingCalendar


@dataclass(frozen=True)
class CatalogueProvides:
    catalogue: CatalogueService


def build(config: Config, infra: Infra, needs: Needs) -> Built[CatalogueProvides]:
    store = CatalogueStore(infra.db, recent_seconds=config.server.reference_cache_seconds)
    catalogue = CatalogueService(store=store, audit=needs.audit, clock=infra.clock,
                                 calendar=needs.calendar)
    return Built(Domain(
        "catalogue", words=words.WORDS, service=catalogue,
        names={"hall": store.hall_names, "service": store.service_names},
        routes=bind(handlers.default_handlers, catalogue=catalogue),
        collections=list(COLLECTIONS),
    ), CatalogueProvides(catalogue=catalogue))
