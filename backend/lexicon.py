"""Every domain's vocabulary, for what must read the words without building the app: the
generated console and mini-program tables (``scripts/gen_tables.py``) and the tests. ``make_app``
registers the same vocabularies from the domains it builds (a test checks the two agree)."""
from __future__ import annotations

from backend.appointments import words as appointments
from backend.authorizations import words as authorizations
from backend.bundles import words as bundles
from backend.calendar import words as calendar
from backend.cases import words as cases
from backend.catalogue import words as catalogue
from backend.complaints import words as complaints
from backend.core import errors
from backend.core.words import Lexicon, Vocabulary
from backend.files import words as files
from backend.identity import words as identity
from backend.licences import words as licences
from backend.mydata import words as mydata
from backend.staff import words as staff
from notify import words as notify
from payments import words as payments

CORE = Vocabulary("core", errors=errors.ALL)

VOCABULARIES = (CORE, identity.WORDS, staff.WORDS, calendar.WORDS, catalogue.WORDS, notify.WORDS,
                appointments.WORDS, files.WORDS, licences.WORDS, authorizations.WORDS, cases.WORDS,
                payments.WORDS, bundles.WORDS, complaints.WORDS, mydata.WORDS)


def lexicon(*extra: Vocabulary) -> Lexicon:
    """The product's words, with ``extra`` ones (the sandbox stand-ins' in sandbox mode)."""
    return Lexicon([*VOCABULARIES, *extra])
