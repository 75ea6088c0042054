"""Build complaints (12345 / 找茬): residents' complaints, the hotline's triage, departments' replies."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.calendar.working import WorkingCalendar
from backend.complaints import handlers, words
from backend.complaints.dues import ComplaintDues
from backend.complaints.personal import ComplaintData
from backend.complaints.ports import ComplaintEvents, Departments, Residents
from backend.complaints.service import PHOTO_REF, ComplaintService, FileOwnership
from backend.complaints.store import COLLECTIONS, ComplaintStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, JobSpec
from backend.core.infra import Infra
from backend.core.ports import DayListeners
from backend.db.mongo import in_transaction


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    catalogue: Departments
    calendar: WorkingCalendar
    calendar_days: DayListeners
    outbox: ComplaintEvents
    files: FileOwnership
    users: Residents


@dataclass(frozen=True)
class ComplaintsProvides:
    personal: ComplaintData   # a resident's complaints, in their data and at cancellation


def build(config: Config, infra: Infra, needs: Needs) -> Built[ComplaintsProvides]:
    complaint_store = ComplaintStore(infra.db)
    complaints = ComplaintService(
        store=complaint_store, transaction=functools.partial(in_transaction, infra.client),
        catalogue=needs.catalogue, calendar=needs.calendar, outbox=needs.outbox,
        audit=needs.audit, files=needs.files, clock=infra.clock,
        config=config.complaints, users=needs.users)
    needs.files.add_reader(PHOTO_REF, complaints.access.may_read)   # its photos: whoever may read it
    needs.calendar_days.listen(ComplaintDues(store=complaints.store, outbox=needs.outbox,
                                             clock=infra.clock, stage=complaints.stage))
    return Built(Domain(
        "complaints", words=words.WORDS, service=complaints, names={"complaint": complaint_store.complaint_names},
        routes=bind(handlers.default_handlers, complaints=complaints, limiter=infra.limiter),
        jobs=[JobSpec("complaints.supervise", complaints.supervise, config.complaints.supervision_interval_seconds)],
        collections=list(COLLECTIONS),
    ), ComplaintsProvides(personal=ComplaintData(complaints)))
