"""The errors of the providers' stand-ins: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict


class ClockFixed(Conflict):
    """The sandbox clock: this server's clock is not one that may be moved."""
    code = "clock_fixed"
    message = "当前时钟不可调整"


class OrderClosed(Conflict):
    """The payment providers' stand-ins: the order was closed before the resident paid."""
    code = "order_closed"
    message = "订单已关闭，无法支付"


class OrderExpired(Conflict):
    """The payment providers' stand-ins: the order expired before the resident paid."""
    code = "order_expired"
    message = "订单已过期，无法支付"


ALL = (ClockFixed, OrderClosed, OrderExpired,)


def payment_refused(reason: str, message: str) -> Conflict:
    """The stand-ins' answer to paying an order that is ``closed`` or ``expired``."""
    return {"order_closed": OrderClosed, "order_expired": OrderExpired}[reason](message)
