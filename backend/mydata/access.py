"""Who may reach a resident's own data: only that resident, always their own (no id is given, so
there is nothing of another's to ask for); no member of staff reads or cancels it here."""
from __future__ import annotations

from backend.core.access import Policy, own

MY_DATA = Policy("my_data", {
    "export": own(),
    "cancel": own(),
})
