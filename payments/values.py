"""The typed values of the payments domain: a payment order (缴款单) with its items, a pay attempt,
and a refund. Only ``payments/store.py`` turns stored documents into these values and back."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict

from bson import ObjectId


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    CLOSED = "closed"


class AttemptStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    LATE = "late"          # paid after its order was closed or paid another way: refunded
    CLOSING = "closing"    # to be closed at the provider
    CLOSED = "closed"


class RefundStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"


class RefundKind(StrEnum):
    STAFF = "staff"
    LATE_PAYMENT = "late_payment"


class UnitRef(TypedDict, total=False):
    """The payee unit (收款单位) an item's money is credited to."""
    id: str
    name: str
    unit_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One fee item of an order, with its code and payee unit; a bundle's item names its case."""
    name: str
    amount_fen: int
    item_code: str = ""
    unit: UnitRef | None = None
    application_id: str | None = None
    serial: str = ""
    fee_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment:
    """A payment order and what happened to it."""
    id: ObjectId
    application_id: str           # the case, or for a bundle's order the bundle
    payer_id: str
    items: tuple[Item, ...]
    amount_fen: int
    status: PaymentStatus
    created_at: dt.datetime
    bundle_id: str | None = None
    serial: str = ""
    service_name: str = ""
    department_id: str | None = None
    payee_unit: UnitRef | None = None
    refunded_fen: int = 0
    refunding_fen: int = 0
    attempt_seq: int = 0
    expires_at: dt.datetime | None = None
    created_by: str | None = None
    version: int = 1
    last_out_trade_no: str | None = None
    paid_out_trade_no: str | None = None
    paid_channel: str | None = None
    paid_at: dt.datetime | None = None
    transaction_id: str | None = None
    receipt_id: ObjectId | None = None
    receipt_issued_at: dt.datetime | None = None
    receipt_pending: bool = False
    closed_at: dt.datetime | None = None
    close_reason: str | None = None
    updated_at: dt.datetime | None = None

    @property
    def out_trade_no(self) -> str | None:
        """The merchant order number a person quotes: the one paid, else the last one started."""
        return self.paid_out_trade_no or self.last_out_trade_no

    @property
    def refundable_fen(self) -> int:
        return self.amount_fen - self.refunded_fen


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One pay attempt of an order on one channel (its out_trade_no)."""
    id: ObjectId
    payment_id: ObjectId
    channel: str
    out_trade_no: str
    amount_fen: int
    status: AttemptStatus
    created_at: dt.datetime
    payer_openid: str | None = None
    query_count: int = 0
    next_query_at: dt.datetime | None = None
    provider_ref: str | None = None
    transaction_id: str | None = None
    provider_paid_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Paid:
    """What the provider's statement of payment records on the attempt it paid."""
    transaction_id: str
    provider_paid_at: dt.datetime
    paid_seen_at: dt.datetime
    paid_via: str
    notice_id: str | None = None


class RefundNotice(TypedDict):
    """What a successful refund's message says about its order (fixed with the success)."""
    refunded_fen: int
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund:
    """A refund of (part of) a paid order: by finance staff, or automatic for a late payment."""
    id: ObjectId
    payment_id: ObjectId
    request_id: str
    out_refund_no: str
    out_trade_no: str
    channel: str
    amount_fen: int
    total_fen: int
    status: RefundStatus
    kind: RefundKind
    created_at: dt.datetime
    reason: str = ""
    cause: str | None = None          # a late payment's: "closed" or "duplicate"
    requested_by: str | None = None
    next_try_at: dt.datetime | None = None
    tries: int = 0
    provider_ref: str | None = None
    result_via: str | None = None
    succeeded_at: dt.datetime | None = None
    failed_at: dt.datetime | None = None
    red_receipt_id: ObjectId | None = None
    red_receipt_issued_at: dt.datetime | None = None
    red_receipt_pending: bool = False
    notice: RefundNotice | None = field(default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeeHolder:
    """An order holding one fee of a case (its open-fee key)."""
    payment_id: ObjectId
    application_id: str
    item_code: str
    item_name: str
    raised_via: str | None = None
