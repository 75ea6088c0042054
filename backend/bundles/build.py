"""Build 一件事: life events, bundles of cases created together, their one payment order."""
from __future__ import annotations

import functools

from backend.bundles import handlers, words
from backend.bundles.service import BundleService
from backend.bundles.store import COLLECTIONS, BundleStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, JobSpec
from backend.db.mongo import in_transaction


def build(config: Config, deps: Deps) -> Domain:
    bundles = BundleService(
        store=BundleStore(deps.db), transaction=functools.partial(in_transaction, deps.client),
        catalogue=deps.need("catalogue"), intake=deps.need("case_intake"), cases=deps.need("case_directory"),
        payments=deps.need("payments"), outbox=deps.need("outbox"), audit=deps.need("audit"), clock=deps.clock,
        config=config.bundles)
    return Domain(
        "bundles", words=words.WORDS, service=bundles,
        routes=bind(handlers.default_handlers, bundles=bundles, limiter=deps.need("limiter")),
        jobs=[JobSpec("bundles.watch", bundles.watch, config.bundles.watch_interval_seconds)],
        collections=list(COLLECTIONS),
        provides={"bundles": bundles},
    )
