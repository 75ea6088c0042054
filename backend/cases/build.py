"""Build cases (办件): applications, the state machine, ratings and supervision."""
from __future__ import annotations

from backend.cases import handlers
from backend.cases.materials import CaseMaterials
from backend.cases.service import CaseService
from backend.cases.store import COLLECTIONS, CaseCounts
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, GaugeSpec, JobSpec


def build(config: Config, deps: Deps) -> Domain:
    catalogue = deps.need("catalogue")
    cases = CaseService(db=deps.db, client=deps.client, catalogue=catalogue, outbox=deps.need("outbox"),
                        audit=deps.need("audit"), clock=deps.clock, config=config.cases,
                        materials=CaseMaterials(files=deps.need("file_links"), licences=deps.need("licence_wallet")))
    counts = CaseCounts(deps.db)

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await counts.by_status()]

    return Domain(
        "cases", service=cases,
        routes=bind(handlers.default_handlers, cases=cases, catalogue=catalogue, identity=deps.need("identity")),
        jobs=[JobSpec("cases.supervise", cases.supervise, config.cases.supervision_interval_seconds)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_applications", "Cases (办件) by status.", by_status)],
        provides={"cases": cases},
    )
