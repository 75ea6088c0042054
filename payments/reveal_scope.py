"""Which staff handle a resident through a payment: finance officers, while the resident has a payment
order. Registered with identity's ``resident_handling`` (identity reveal)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from backend.core.access import Staff
from payments.store import PaymentStore


def payment_handling(store: PaymentStore) -> Callable[[Staff, str], Awaitable[str | None]]:
    async def check(staff: Staff, resident_id: str) -> str | None:
        if "finance" not in staff.roles:
            return None
        items, _ = await store.payments_page(payer_id=resident_id, limit=1)
        return f"payment:{items[0].id}" if items else None
    return check
