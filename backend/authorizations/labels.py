"""The Chinese labels of the statuses of 帮办代办 grants, keyed by the status members (str:
the stored values) in the order a thing moves through them. Registered through the domain's
vocabulary; the console's and mini-program's copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

from backend.authorizations.values import GrantStatus

GRANT_STATUS: dict[str, str] = {
    GrantStatus.ACTIVE: "有效",
    GrantStatus.REVOKED: "已撤销",
    GrantStatus.EXPIRED: "已过期",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "grant": GRANT_STATUS,
}
