"""Build 一件事: life events, bundles of cases created together, their one payment order."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.bundles import handlers, words
from backend.bundles.personal import BundleData
from backend.bundles.ports import BundleEvents, BundleOrders, CaseIntake, Cases, Residents, ServiceNames
from backend.bundles.service import BundleService
from backend.bundles.store import COLLECTIONS, BundleStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, JobSpec
from backend.core.infra import Infra
from backend.db.mongo import in_transaction


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    catalogue: ServiceNames
    intake: CaseIntake
    cases: Cases
    payments: BundleOrders
    outbox: BundleEvents
    users: Residents


@dataclass(frozen=True)
class BundlesProvides:
    bundles: BundleService   # sandbox seeding: life events
    personal: BundleData     # a resident's 一件事, in their data


def build(config: Config, infra: Infra, needs: Needs) -> Built[BundlesProvides]:
    bundles = BundleService(
        store=BundleStore(infra.db, recent_seconds=config.server.reference_cache_seconds),
        transaction=functools.partial(in_transaction, infra.client),
        catalogue=needs.catalogue, intake=needs.intake, cases=needs.cases,
        payments=needs.payments, outbox=needs.outbox, users=needs.users, audit=needs.audit, clock=infra.clock,
        config=config.bundles)
    return Built(Domain(
        "bundles", words=words.WORDS, service=bundles,
        routes=bind(handlers.default_handlers, bundles=bundles, limiter=infra.limiter),
        jobs=[JobSpec("bundles.watch", bundles.watch, config.bundles.watch_interval_seconds)],
        collections=list(COLLECTIONS),
    ), BundlesProvides(bundles=bundles, personal=BundleData(bundles)))
