"""Build complaints (12345 / 找茬): residents' complaints, the hotline's triage, departments' replies."""
from __future__ import annotations

import functools

from backend.complaints import handlers, words
from backend.complaints.dues import ComplaintDues
from backend.complaints.service import ComplaintService, NoFiles
from backend.complaints.store import COLLECTIONS, ComplaintStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, JobSpec
from backend.db.mongo import in_transaction


def build(config: Config, deps: Deps) -> Domain:
    complaints = ComplaintService(
        store=ComplaintStore(deps.db), transaction=functools.partial(in_transaction, deps.client),
        catalogue=deps.need("catalogue"), calendar=deps.need("calendar"), outbox=deps.need("outbox"),
        audit=deps.need("audit"), files=deps.provided.get("file_ownership") or NoFiles(), clock=deps.clock,
        config=config.complaints)
    deps.need("calendar_service").listen(ComplaintDues(store=complaints.store, outbox=deps.need("outbox"),
                                                       clock=deps.clock, stage=complaints.stage))
    return Domain(
        "complaints", words=words.WORDS, service=complaints,
        routes=bind(handlers.default_handlers, complaints=complaints, limiter=deps.need("limiter")),
        jobs=[JobSpec("complaints.supervise", complaints.supervise, config.complaints.supervision_interval_seconds)],
        collections=list(COLLECTIONS),
    )
