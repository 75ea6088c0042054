"""Build cases (办件): applications, the state machine, ratings and supervision, and the case
directory other domains read cases through."""
from __future__ import annotations

import functools

from backend.cases import handlers, words
from backend.cases.deadlines import CaseDeadlines
from backend.cases.directory import CaseDirectory
from backend.cases.handling import case_handling
from backend.cases.materials import CaseMaterials
from backend.cases.service import CaseService
from backend.cases.store import COLLECTIONS, CaseStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, GaugeSpec, JobSpec
from backend.db.mongo import in_transaction


def build(config: Config, deps: Deps) -> Domain:
    store = CaseStore(deps.db)
    cases = CaseService(store=store, transaction=functools.partial(in_transaction, deps.client),
                        catalogue=deps.need("catalogue"), users=deps.need("user_directory"),
                        outbox=deps.need("outbox"), audit=deps.need("audit"), clock=deps.clock, config=config.cases,
                        materials=CaseMaterials(files=deps.need("file_links"), licences=deps.need("licence_wallet"),
                                                calendar=deps.need("calendar"),
                                                promise_working_days=config.cases.promise_working_days,
                                                promise_reminder_working_days=config.cases.promise_reminder_working_days),
                        agency=deps.need("agency"))

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_by_status()]

    deps.need("resident_handling").add(case_handling(store))
    deps.need("calendar_service").listen(CaseDeadlines(store=store, outbox=deps.need("outbox"), clock=deps.clock,
                                                       light_due=cases.light_due))

    return Domain(
        "cases", words=words.WORDS, service=cases,
        routes=bind(handlers.default_handlers, cases=cases, limiter=deps.need("limiter")),
        jobs=[JobSpec("cases.supervise", cases.supervise, config.cases.supervision_interval_seconds),
              JobSpec("cases.promises", cases.remind_promises, config.cases.supervision_interval_seconds)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_applications", "Cases (办件) by status.", by_status)],
        provides={"cases": cases, "case_directory": CaseDirectory(store), "case_intake": cases},
        on_start=[cases.plan_lights],
    )
