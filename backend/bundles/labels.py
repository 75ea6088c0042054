"""The Chinese labels of the statuses of 一件事 bundles, keyed by the stored status in the order a
thing moves through them. Registered through the domain's vocabulary; the console's and mini-program's
copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

# A bundle (一件事) as a whole, from its cases' statuses.
BUNDLE_STATUS = {
    "submitted": "已提交",
    "in_progress": "办理中",
    "correction_requested": "待补正",
    "completed": "已全部办结",
    "partly_completed": "部分办结",
    "closed": "未获批准",
    "withdrawn": "已撤回",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "bundle": BUNDLE_STATUS,
}
