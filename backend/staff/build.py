"""Build the staff domain: accounts, roles, login and the staff-side resident lookups."""
from __future__ import annotations

from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain
from backend.core.infra import Infra
from backend.identity.tokens import TokenService
from backend.staff import handlers, words
from backend.staff.ports import Places, ResidentLookups
from backend.staff.service import StaffService
from backend.staff.store import COLLECTIONS, StaffStore


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    tokens: TokenService
    residents: ResidentLookups
    places: Places


@dataclass(frozen=True)
class StaffProvides:
    service: StaffService     # accounts: authenticate, look up by id or username


def build(config: Config, infra: Infra, needs: Needs) -> Built[StaffProvides]:
    accounts = StaffStore(infra.db)
    staff = StaffService(store=accounts, tokens=needs.tokens, audit=needs.audit, places=needs.places,
                         limiter=infra.limiter, clock=infra.clock, config=config.staff,
                         login_per_ip_per_minute=config.ratelimit.staff_login_per_ip_per_minute)
    return Built(Domain(
        "staff", words=words.WORDS, service=staff, names={"staff": accounts.account_names},
        routes=bind(handlers.default_handlers, staff=staff, identity=needs.residents, audit=needs.audit),
        collections=list(COLLECTIONS),
    ), StaffProvides(service=staff))
