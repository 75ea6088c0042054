"""The typed values of the payments domain: a payment order (缴款单) with its items, a pay attempt,
and a refund. Only ``payments/store.py`` turns stored documents into these values and back."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict

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
class Waiting:
    """How many orders stand at one status, and when the oldest of them was raised (a worklist's count)."""
    status: PaymentStatus
    count: int
    oldest_at: dt.datetime | None


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


class ReceiptKind(StrEnum):
    BLUE = "blue"      # 电子票据: one per paid order
    RED = "red"        # 红字票据: one per successful refund of a receipted order


SignedContent = dict[str, Any]
"""What a receipt states, exactly as signed (its canonical JSON is what the signature covers)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """A numbered, signed e-receipt (blue) or red-letter receipt (red)."""
    id: ObjectId
    kind: ReceiptKind
    payment_id: ObjectId
    payer_id: str
    application_id: str
    code: str
    number: str
    year: int
    seq: int
    check_code: str
    amount_fen: int               # the amount paid (blue) or refunded (red), positive
    issued_at: dt.datetime
    content: SignedContent
    signature: str
    key_id: str
    refund_id: ObjectId | None = None               # red: the refund it records
    original_receipt_id: ObjectId | None = None     # red: the receipt it reverses


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberedEntry:
    """One receipt of a numbering block: its id and the order (blue) or refund (red) it is for."""
    kind: ReceiptKind
    receipt_id: ObjectId
    source_id: ObjectId


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptCounter:
    """A receipt code's sequence in a year: the last number taken and the block that took it."""
    seq: int
    block: tuple[NumberedEntry, ...]


class ReportState(StrEnum):
    DONE = "done"
    WAITING_BILL = "waiting_bill"
    FAILED = "failed"
    SKIPPED = "skipped"


class ReportLine(TypedDict, total=False):
    """One line of a reconciliation report that does not match (missing, extra, mismatched, other day)."""
    kind: str
    out_trade_no: str
    out_refund_no: str
    transaction_id: str | None
    bill_amount_fen: int
    local_amount_fen: int
    local_status: str | None
    local_date: str | None
    bill_transaction_id: str | None
    local_transaction_id: str | None


class Totals(TypedDict):
    """What both sides of a reconciliation must agree on."""
    payments: int
    refunds: int
    gross_fen: int
    refunds_fen: int
    net_fen: int


class Difference(TypedDict):
    total: str
    bill: int
    local: int


class Acknowledgement(TypedDict):
    by: str
    at: dt.datetime
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Findings:
    """What reconciling a channel's day found: the bill against our records."""
    generated_at: dt.datetime
    bill_rows: int
    bill_net_fen: int
    local_rows: int
    local_net_fen: int
    bill_totals: Totals
    local_totals: Totals
    differences: tuple[Difference, ...]
    matched: int
    missing: tuple[ReportLine, ...]
    extra: tuple[ReportLine, ...]
    mismatched: tuple[ReportLine, ...]
    other_day: tuple[ReportLine, ...]
    balanced: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconciliationReport:
    """A channel's day: reconciled (with its findings), waiting to be tried again, or skipped.
    ``tries``, ``last_try_at`` and ``acknowledged`` are None until the job tried or finance looked."""
    channel: str
    date: str                   # YYYY-MM-DD, Beijing time
    state: ReportState
    alert: bool
    reason: str | None
    findings: Findings | None = None
    tries: int | None = None
    last_try_at: dt.datetime | None = None
    next_try_at: dt.datetime | None = None
    acknowledged: Acknowledgement | None = None

    @property
    def id(self) -> str:
        return f"{self.channel}:{self.date}"


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitItem:
    """A non-tax revenue item (非税收入项目) a payee unit collects, with its code."""
    code: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PayeeUnit:
    """A payee unit (收款单位) by its department's code, with its revenue items for clearing (清分)."""
    id: str                     # the department code
    name: str
    unit_code: str = ""
    account: str = ""
    default_item_code: str = ""
    items: tuple[UnitItem, ...] = ()
    department_code: str | None = None

    def ref(self) -> UnitRef:
        """How an order's item names the unit its money is credited to."""
        return UnitRef(id=self.id, name=self.name, unit_code=self.unit_code)
