"""Build 帮办代办: residents' grants, the 办事码, and the agency desk cases ask before filing a case
for someone else. Case serials are read through the ``CaseSerials`` port (the case directory), so
this domain is built before cases without depending on it."""
from __future__ import annotations

from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.authorizations import handlers, words
from backend.authorizations.codes import IdentityCodes
from backend.authorizations.personal import GrantData
from backend.authorizations.ports import GrantEvents, ServiceNames, StaffByUsername, ValidLicences
from backend.authorizations.service import AgencyDesk, CaseSerials, Residents
from backend.authorizations.store import COLLECTIONS, GrantStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain
from backend.core.infra import Infra


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    residents: Residents
    staff: StaffByUsername
    catalogue: ServiceNames
    outbox: GrantEvents
    cases: CaseSerials
    licences: ValidLicences


@dataclass(frozen=True)
class AuthorizationsProvides:
    agency: AgencyDesk   # who a case filed by someone else belongs to (asked by cases)
    personal: GrantData  # a resident's grants, in their data and at cancellation


def build(config: Config, infra: Infra, needs: Needs) -> Built[AuthorizationsProvides]:
    agency = AgencyDesk(store=GrantStore(infra.db), residents=needs.residents, staff=needs.staff,
                        catalogue=needs.catalogue,
                        codes=IdentityCodes(config.security.jwt_secret, config.authorizations.identity_code_seconds),
                        outbox=needs.outbox, audit=needs.audit, clock=infra.clock,
                        config=config.authorizations, cases=needs.cases, licences=needs.licences)
    return Built(Domain(
        "authorizations", words=words.WORDS, service=agency,
        routes=bind(handlers.default_handlers, agency=agency, limiter=infra.limiter),
        collections=list(COLLECTIONS),
    ), AuthorizationsProvides(agency=agency, personal=GrantData(agency)))
