"""Build the audit log: the append-only record of every staff action."""
from __future__ import annotations

from backend.audit.service import AuditLog
from backend.audit.store import COLLECTIONS, AuditStore
from backend.config import Config
from backend.core.domain import Deps, Domain


def build(config: Config, deps: Deps) -> Domain:
    audit = AuditLog(AuditStore(deps.db), deps.clock)
    return Domain("audit", service=audit, collections=list(COLLECTIONS), provides={"audit": audit})
