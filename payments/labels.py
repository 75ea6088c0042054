"""The Chinese labels of the statuses of payment orders and refunds, keyed by the stored status in the order a
thing moves through them. Registered through the domain's vocabulary; the console's and mini-program's
copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

PAYMENT_STATUS = {
    "unpaid": "待支付",
    "paid": "已支付",
    "refunding": "退款中",
    "refunded": "已退款",
    "closed": "已关闭",
}

REFUND_STATUS = {
    "pending": "待处理",
    "processing": "退款中",
    "success": "已退款",
    "failed": "退款失败",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "payment": PAYMENT_STATUS,
    "refund": REFUND_STATUS,
}
