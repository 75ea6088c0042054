"""Who may do what to payment orders, receipts and reconciliation: one policy per kind of thing,
and the access functions that load a thing and check its rule (a resident's own only: another's
is not found)."""
from __future__ import annotations

from typing import Any

from backend.core import errors
from backend.core.access import Policy, Principal, Resident, own, staff
from payments.store import PaymentStore
from payments.values import Payment, Receipt

PAYMENT = Policy("payment", {
    "view": own(),                          # the payer reads their order
    "pay": own(),                           # the payer starts paying it
    "inspect": staff("finance", "clerk"),   # staff read an order with its attempts and refunds
    "list": staff("finance", "clerk"),
    "raise": staff("finance", "clerk"),     # an order for a case
    "close": staff("finance"),
    "refund": staff("finance"),
})

RECEIPT = Policy("receipt", {
    "view": own(),                          # the payer's receipts and red-letter receipts
    "download": own(),
    "find": staff("finance", "clerk"),      # by receipt number
    "list_red": staff("finance"),
})

RECONCILIATION = Policy("reconciliation", {
    "reconcile": staff("finance"),
    "read": staff("finance"),
    "acknowledge": staff("finance"),
    "clearing": staff("finance"),
    "payee_units": staff("finance", "clerk"),
})


class PaymentAccess:
    """Loads orders and receipts for whoever asks, checked against the policies above."""

    def __init__(self, store: PaymentStore) -> None:
        self._store = store

    async def access_payment(self, principal: Any, payment_id: str, action: str) -> Payment:
        """The order, when ``principal`` may take ``action`` on it: 401/403 by role, 404 when it does
        not exist or (for a resident) is another's."""
        who: Principal = PAYMENT.check(principal, action)
        p = await self._store.payment(payment_id)
        if p is None or isinstance(who, Resident) and p.payer_id != who.id:
            raise errors.NotFound()
        return p


    async def access_receipt(self, principal: Any, receipt_id: str, action: str) -> Receipt:
        """A receipt or red-letter receipt, when ``principal`` may take ``action`` on it (a resident:
        their own; another's is not found)."""
        who: Principal = RECEIPT.check(principal, action)
        r = await self._store.any_receipt(receipt_id)
        if r is None or isinstance(who, Resident) and r.payer_id != who.id:
            raise errors.NotFound()
        return r
