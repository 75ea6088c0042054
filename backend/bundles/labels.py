"""The Chinese labels of the statuses of 一件事 bundles, keyed by the status members (str: the stored
values) in the order a thing moves through them. Registered through the domain's vocabulary; the
console's and mini-program's copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

from backend.bundles.values import Overall

# A bundle (一件事) as a whole, from its cases' statuses.
BUNDLE_STATUS: dict[str, str] = {
    Overall.SUBMITTED: "已提交",
    Overall.IN_PROGRESS: "办理中",
    Overall.CORRECTION_REQUESTED: "待补正",
    Overall.COMPLETED: "已全部办结",
    Overall.PARTLY_COMPLETED: "部分办结",
    Overall.CLOSED: "未获批准",
    Overall.WITHDRAWN: "已撤回",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "bundle": BUNDLE_STATUS,
}
