"""Build cases (办件): applications, the state machine, ratings and supervision, and the case
directory other domains read cases through."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.calendar.working import WorkingCalendar
from backend.cases import handlers, words
from backend.cases.deadlines import CaseDeadlines
from backend.cases.directory import CaseDirectory
from backend.cases.intake import CaseIntakeDesk
from backend.cases.materials import CaseMaterials
from backend.cases.personal import CaseData
from backend.cases.ports import Agency, Applicants, CaseFiles, CaseLicences, FaceProof
from backend.cases.reveal_scope import case_handling
from backend.cases.service import CaseService
from backend.cases.store import COLLECTIONS, CaseStore, rename_applications_collection
from backend.cases.trend import SupervisionTrend
from backend.cases.worklist import CaseWorklist
from backend.catalogue.service import CatalogueService
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, GaugeSpec, JobSpec
from backend.core.infra import Infra
from backend.core.migrations import Migration
from backend.core.ports import DayListeners, HandlingChecks
from backend.db.mongo import in_transaction
from notify.outbox import Outbox


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    catalogue: CatalogueService
    calendar: WorkingCalendar
    calendar_days: DayListeners
    users: Applicants
    outbox: Outbox
    files: CaseFiles
    licences: CaseLicences
    agency: Agency
    handling: HandlingChecks
    face: FaceProof


@dataclass(frozen=True)
class CasesProvides:
    intake: CaseIntakeDesk   # filing cases (bundles create several at once)
    personal: CaseData       # a resident's cases, in their data


def directory(infra: Infra) -> CaseDirectory:
    """The read-only case directory: it needs only the database, so it is built before every domain
    that reads cases (authorizations, payments, bundles), and cases itself needs none of them."""
    return CaseDirectory(CaseStore(infra.db))


def build(config: Config, infra: Infra, needs: Needs) -> Built[CasesProvides]:
    store = CaseStore(infra.db)
    cases = CaseService(store=store, transaction=functools.partial(in_transaction, infra.client),
                        catalogue=needs.catalogue, users=needs.users,
                        outbox=needs.outbox, audit=needs.audit, clock=infra.clock, config=config.cases,
                        materials=CaseMaterials(files=needs.files, licences=needs.licences,
                                                calendar=needs.calendar,
                                                promise_working_days=config.cases.promise_working_days,
                                                promise_reminder_working_days=config.cases.promise_reminder_working_days),
                        agency=needs.agency, face=needs.face)

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_by_status()]

    needs.handling.add(case_handling(store, needs.audit))
    needs.files.add_reader("", cases.access.may_read)   # a case's files: whoever may inspect the case
    needs.calendar_days.listen(CaseDeadlines(store=store, outbox=needs.outbox, clock=infra.clock,
                                             light_due=cases.light_due))

    return Built(Domain(
        "cases", words=words.WORDS, service=cases, names={"application": store.case_names},
        routes=bind(handlers.default_handlers, cases=cases, limiter=infra.limiter,
                    trend=SupervisionTrend(store=store, clock=infra.clock),
                    worklist=CaseWorklist(store=store, users=needs.users, audit=needs.audit, clock=infra.clock,
                                          view=cases.view)),
        jobs=[JobSpec("cases.supervise", cases.supervise, config.cases.supervision_interval_seconds),
              JobSpec("cases.promises", cases.remind_promises, config.cases.supervision_interval_seconds)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_applications", "Cases (办件) by status.", by_status)],
        migrations=[Migration("2026.11-02-case-lights", "为未安排督办时间的在办办件安排督办时间", cases.plan_lights),
                    Migration("2026.12-01-cases-collection", "办件集合改名：applications → cases",
                              functools.partial(rename_applications_collection, infra.db), before_schema=True)],
    ), CasesProvides(intake=CaseIntakeDesk(cases, cases.once), personal=CaseData(cases)))
