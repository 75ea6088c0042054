"""The errors of a resident's own data: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict, InvalidInput


class CancellationNotConfirmed(InvalidInput):
    code = "cancellation_not_confirmed"
    message = "注销账号需要您确认：请阅读注销说明后勾选确认"


class CancellationBlocked(Conflict):
    """Something in flight that cannot be dropped (a payment being paid, a refund not finished)."""
    code = "cancellation_blocked"
    message = "您还有正在进行的事项，暂时不能注销账号"


ALL = (CancellationNotConfirmed, CancellationBlocked,)
