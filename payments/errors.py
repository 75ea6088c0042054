"""The errors of payment orders, refunds and reconciliation: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict, InvalidState


class PaymentExpired(InvalidState):
    code = "payment_expired"
    message = "缴款单已过期，请联系窗口重新开具"


class PaymentBusy(Conflict):
    code = "payment_busy"
    message = "缴款单正在处理，请稍后重试"


class TooManyAttempts(Conflict):
    code = "too_many_attempts"
    message = "支付尝试次数过多，请联系窗口"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "该请求号已用于另一笔退款"


class RefundInProgress(Conflict):
    code = "refund_in_progress"
    message = "该缴款单有退款正在处理，请稍后再试"


class RefundExceedsPaid(Conflict):
    code = "refund_exceeds_paid"
    message = "退款金额超过可退金额"


class DuplicateOrder(Conflict):
    """A case already has an open or paid order for the same fee item, whichever way it was raised
    (``details``: ``payment_id``, ``out_trade_no``, ``raised_via``, ``item_code``, ``item_name``)."""
    code = "duplicate_order"
    message = "该办件已有相同收费项目的缴款单，请勿重复开具"


class DayNotOver(Conflict):
    """Reconciliation of a day that has not ended yet (its bills cannot be complete)."""
    code = "day_not_over"
    message = "该日尚未结束，只能对已结束的日期对账"


class BillNotReady(Conflict):
    """The payment provider has not published the day's bill yet."""
    code = "bill_not_ready"
    message = "支付渠道尚未生成该日账单，请稍后再试"


class PayeeUnitMissing(Conflict):
    """A fee item resolves to no payee unit (收款单位): no money is credited to an unknown unit."""
    code = "payee_unit_missing"
    message = "该收费项目没有对应的收款单位，不能开具缴款单，请联系财务设置收款单位"


class NothingToPay(Conflict):
    code = "nothing_to_pay"
    message = "该一件事包含的事项均不收费"


ALL = (PaymentExpired, PaymentBusy, TooManyAttempts, IdempotencyKeyReused, RefundInProgress, RefundExceedsPaid,
       DuplicateOrder, DayNotOver, BillNotReady, PayeeUnitMissing, NothingToPay,)
