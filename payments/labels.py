"""The Chinese labels of the statuses of payment orders and refunds, keyed by the stored status in the order a
thing moves through them. Registered through the domain's vocabulary; the console's and mini-program's
copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

from payments.values import PaymentStatus, RefundStatus

PAYMENT_STATUS: dict[str, str] = {
    PaymentStatus.UNPAID: "待支付",
    PaymentStatus.PAID: "已支付",
    PaymentStatus.REFUNDING: "退款中",
    PaymentStatus.REFUNDED: "已退款",
    PaymentStatus.CLOSED: "已关闭",
}

REFUND_STATUS: dict[str, str] = {
    RefundStatus.PENDING: "待处理",
    RefundStatus.PROCESSING: "退款中",
    RefundStatus.SUCCESS: "已退款",
    RefundStatus.FAILED: "退款失败",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "payment": PAYMENT_STATUS,
    "refund": REFUND_STATUS,
}
