"""Build the audit log: the append-only record of every staff action."""
from __future__ import annotations

from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.audit.store import COLLECTIONS, AuditStore
from backend.config import Config
from backend.core.domain import Built, Domain
from backend.core.infra import Infra


@dataclass(frozen=True)
class AuditProvides:
    recorder: AuditLog   # every domain records its staff actions here


def build(config: Config, infra: Infra) -> Built[AuditProvides]:
    audit = AuditLog(AuditStore(infra.db), infra.clock)
    return Built(Domain("audit", service=audit, collections=list(COLLECTIONS)),
                 AuditProvides(recorder=audit))
