"""Build the staff domain: accounts, roles, login and the staff-side resident lookups."""
from __future__ import annotations

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain
from backend.staff import handlers, words
from backend.staff.service import StaffService
from backend.staff.store import COLLECTIONS, StaffStore


def build(config: Config, deps: Deps) -> Domain:
    staff = StaffService(store=StaffStore(deps.db), tokens=deps.need("tokens"), audit=deps.need("audit"),
                         limiter=deps.need("limiter"), clock=deps.clock, config=config.staff,
                         login_per_ip_per_minute=config.ratelimit.staff_login_per_ip_per_minute)
    return Domain(
        "staff", words=words.WORDS, service=staff,
        routes=bind(handlers.default_handlers, staff=staff, identity=deps.need("identity"), audit=deps.need("audit")),
        collections=list(COLLECTIONS),
        provides={"staff": staff, "staff_auth": staff.authenticate},
    )
