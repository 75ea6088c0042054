"""The Chinese labels of the statuses of messages in the outbox, keyed by the stored status in the order a
thing moves through them. Registered through the domain's vocabulary; the console's and mini-program's
copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

from notify.values import OutboxStatus

OUTBOX_STATUS: dict[str, str] = {
    OutboxStatus.PENDING: "待发送",
    OutboxStatus.SENDING: "发送中",
    OutboxStatus.DELIVERED: "已送达",
    OutboxStatus.FAILED: "发送失败",
    OutboxStatus.SKIPPED: "未发送",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "outbox": OUTBOX_STATUS,
}
