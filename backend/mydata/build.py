"""Build a resident's own data: the one place where every domain's part of it is composed."""
from __future__ import annotations

from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, JobSpec
from backend.core.infra import Infra
from backend.core.personal import PersonalData
from backend.mydata import handlers, words
from backend.mydata.ports import Account
from backend.mydata.service import ResidentData


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    account: Account             # identity: the account, its sessions, cancelling it
    appointments: PersonalData   # bookings and waitlist entries
    cases: PersonalData
    bundles: PersonalData
    payments: PersonalData       # orders and receipts
    complaints: PersonalData
    authorizations: PersonalData
    licences: PersonalData
    files: PersonalData
    messages: PersonalData       # notify: inbox and subscribe-message consents (erased last)


@dataclass(frozen=True)
class MyDataProvides:
    my_data: ResidentData        # for tests and the CLI


def build(config: Config, infra: Infra, needs: Needs) -> Built[MyDataProvides]:
    parts = [needs.appointments, needs.cases, needs.bundles, needs.payments, needs.complaints,
             needs.authorizations, needs.licences, needs.files, needs.messages]
    my_data = ResidentData(account=needs.account, parts=parts, audit=needs.audit, clock=infra.clock)
    return Built(Domain(
        "mydata", words=words.WORDS, service=my_data,
        routes=bind(handlers.default_handlers, my_data=my_data),
        jobs=[JobSpec("mydata.erasure", my_data.finish_erasures, 60.0)],
    ), MyDataProvides(my_data=my_data))
