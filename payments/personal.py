"""Payments' part of a resident's own data: their payment orders and e-receipts.

Both are kept after the account is cancelled (注销): accounting records and fiscal receipts must be
kept by law (会计档案, 财政电子票据) and still verify. The WeChat identity the pay attempts carried
(the payer's openid, needed only to pay) is removed. While an order is being paid or a refund is
not finished, the account cannot be cancelled: the money must settle first.
"""
from __future__ import annotations

import functools

from backend.core.access import Resident
from backend.core.personal import DataSection, every_page
from payments.issuing import ReceiptService
from payments.service import PaymentService
from payments.store import PaymentStore


class PaymentData:
    def __init__(self, *, store: PaymentStore, payments: PaymentService, receipts: ReceiptService):
        self._store = store
        self._payments = payments
        self._receipts = receipts

    async def sections(self, resident: Resident) -> list[DataSection]:
        orders = await every_page(functools.partial(self._payments.list_for_resident, resident, limit=100))
        receipts = await every_page(functools.partial(self._receipts.list_for_resident, resident, limit=100))
        kept = "依法保留（会计档案与财政电子票据），仍可查验；支付记录中的微信标识删除"
        return [DataSection("payments", "缴费记录", orders, kept=True, on_cancel=kept),
                DataSection("receipts", "电子票据", receipts, kept=True, on_cancel=kept)]

    async def holds(self, resident_id: str) -> list[str]:
        paying, refunding = await self._store.in_flight_of_payer(resident_id)
        reasons = []
        if paying:
            reasons.append(f"有 {paying} 笔缴费正在支付中，请完成支付或等待其超时关闭后再注销")
        if refunding:
            reasons.append(f"有 {refunding} 笔退款尚未完成，请等待退款到账后再注销")
        return reasons

    async def forget(self, resident_id: str) -> dict[str, int]:
        return {"payment_openids": await self._store.forget_payer_openid(resident_id)}
