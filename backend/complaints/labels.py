"""The Chinese labels of the statuses of 12345 tickets, keyed by the stored status in the order a
thing moves through them. Registered through the domain's vocabulary; the console's and mini-program's
copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

COMPLAINT_STATUS = {
    "received": "已登记",
    "assigned": "办理中",
    "replied": "已答复",
    "closed": "已办结",
}

# The kinds of complaint residents choose, and their Chinese names.
CATEGORIES = {"complaint": "投诉", "request": "求助", "suggestion": "建议", "consultation": "咨询"}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "complaint": COMPLAINT_STATUS,
}
