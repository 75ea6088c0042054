"""Build 帮办代办: residents' grants, the 办事码, and the agency desk cases ask before filing a case
for someone else (provided as ``agency``; so this domain is built before cases)."""
from __future__ import annotations

from backend.authorizations import handlers, words
from backend.authorizations.codes import IdentityCodes
from backend.authorizations.service import AgencyDesk
from backend.authorizations.store import COLLECTIONS, GrantStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain


class _LateCaseSerials:
    """The case directory, looked up when first used: cases is built after this domain (it needs
    the agency desk), so it is not there yet when this one is built."""

    def __init__(self, deps: Deps):
        self._deps = deps

    async def applicant_of_serial(self, serial: str) -> str | None:
        directory = self._deps.need("case_directory")
        ref = await directory.by_serial(serial)
        return ref.applicant_id if ref is not None else None


def build(config: Config, deps: Deps) -> Domain:
    agency = AgencyDesk(store=GrantStore(deps.db), residents=deps.need("user_directory"), staff=deps.need("staff"),
                        catalogue=deps.need("catalogue"),
                        codes=IdentityCodes(config.security.jwt_secret, config.authorizations.identity_code_seconds),
                        outbox=deps.need("outbox"), audit=deps.need("audit"), clock=deps.clock,
                        config=config.authorizations, cases=_LateCaseSerials(deps),
                        licences=deps.need("licence_wallet"))
    return Domain(
        "authorizations", words=words.WORDS, service=agency,
        routes=bind(handlers.default_handlers, agency=agency),
        collections=list(COLLECTIONS),
        provides={"agency": agency},
    )
