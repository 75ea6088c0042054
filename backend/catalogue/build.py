"""Build the catalogue: departments, halls, services and their guides (on the working calendar)."""
from __future__ import annotations

from backend.catalogue import handlers, words
from backend.catalogue.service import CatalogueService
from backend.catalogue.store import COLLECTIONS, CatalogueStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain


def build(config: Config, deps: Deps) -> Domain:
    catalogue = CatalogueService(store=CatalogueStore(deps.db), audit=deps.need("audit"), clock=deps.clock,
                                 calendar=deps.need("calendar"))
    return Domain(
        "catalogue", words=words.WORDS, service=catalogue,
        routes=bind(handlers.default_handlers, catalogue=catalogue),
        collections=list(COLLECTIONS),
        provides={"catalogue": catalogue},
    )
