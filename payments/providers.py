"""The payment channel interface, shaped by our domain rather than by any vendor's API.

A channel creates a pay attempt at the provider, verifies and reads its notices, answers a
query, closes, refunds, and hands over a day's bill. ``wechatpay.py`` and ``alipay.py``
implement it with the real SDKs (synchronous, so every call runs off the event loop through
``backend.core.providers.Provider``). Which channels exist is configuration.

Nothing here decides that an order is paid: a channel only reports what the provider said, after
checking its signature; ``service.PaymentService`` applies it once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol


class NoticeRejected(Exception):
    """A notice failed verification (signature, timestamp, decryption, merchant, app id)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class AlreadyPaid(Exception):
    """The provider refused to close an order because it has been paid."""


class BillNotPublished(Exception):
    """The provider has not published the day's bill yet (try again later)."""

    def __init__(self, channel: str, day: dt.date):
        self.channel = channel
        self.day = day
        super().__init__(f"{channel} bill for {day.isoformat()} is not ready")


@dataclass(frozen=True)
class NoticeAnswer:
    """The HTTP answer a provider expects to a notice, in its own terms."""
    status: int
    content_type: str | None
    body: str


@dataclass(frozen=True)
class PayStart:
    """What the resident needs to pay one attempt."""
    provider_ref: str                         # prepay_id (WeChat) / qr_code (Alipay)
    client: dict[str, Any]                    # the answer for the mini-program / browser (QR image included)


@dataclass(frozen=True)
class PaidTrade:
    """A verified statement from the provider that an attempt was paid."""
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    paid_at: dt.datetime | None
    source: str                               # "notice" or "query"
    notice_id: str | None = None
    raw_state: str = "SUCCESS"


@dataclass(frozen=True)
class TradeState:
    state: str                                # "paid", "unpaid", "closed", "absent", "refunded"
    paid: PaidTrade | None = None


@dataclass(frozen=True)
class RefundState:
    out_refund_no: str
    state: str                                # "processing", "success", "failed"
    amount_fen: int
    provider_ref: str | None = None
    out_trade_no: str | None = None


@dataclass(frozen=True)
class BillRow:
    kind: str                                 # "payment" or "refund"
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    at: str
    out_refund_no: str | None = None


@dataclass(frozen=True)
class Bill:
    rows: list[BillRow] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttemptRequest:
    out_trade_no: str
    amount_fen: int
    description: str
    expires_at: dt.datetime
    payer_openid: str | None = None
    mode: str = "default"                     # alipay: "qr" (precreate) or "wap"


class PaymentChannel(Protocol):
    channel: str

    def answer_notice(self, outcome: str) -> NoticeAnswer:
        """The answer for a notice: ``accepted`` (applied or a repeat), ``rejected`` (failed
        verification; nothing changed) or ``failed`` (our own trouble: the provider should retry)."""
        ...

    async def create(self, req: AttemptRequest) -> PayStart: ...

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> PaidTrade:
        """Verify a payment notice. ``now`` is the wall clock: the signature's time window is the
        provider's real time, whatever the (sandbox) clock of the business rules says."""
        ...

    async def query(self, out_trade_no: str) -> TradeState: ...

    async def close(self, out_trade_no: str) -> None: ...

    async def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int,
                     reason: str) -> RefundState: ...

    async def query_refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundState: ...

    def parse_refund_notice(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> RefundState: ...

    async def bill(self, day: dt.date) -> Bill:
        """The day's trade bill; ``BillNotPublished`` while the provider has not published it."""
        ...


def fen_to_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str) -> int:
    """'10.05' → 1005, exactly (no floats)."""
    s = text.strip()
    neg = s.startswith("-")
    s = s.lstrip("-")
    whole, _, frac = s.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2 and frac[2:].strip("0"):
        raise ValueError(f"not an amount: {text!r}")
    fen = int(whole) * 100 + int((frac + "00")[:2])
    return -fen if neg else fen

