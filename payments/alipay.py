"""Alipay through ``python-alipay-sdk`` (RSA2): QR precreate, wap pay, notices, query, close, refund, bill.

Chosen over the official SDK (440 MB, ignores ports in the gateway URL, no notice verifier).
Only the gateway URL differs between the sandbox stand-in and production. ``GatewayAliPay`` is
the one extension (see its docstring); ``tests/test_payments_sdk.py`` pins the SDK version and
checks the hooks it uses.
"""
from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import urllib.error
import urllib.request
import zipfile
from typing import Any, Mapping
from urllib.parse import parse_qsl

from alipay import AliPay
from alipay.exceptions import AliPayValidationError
from alipay.utils import AliPayConfig

from backend.core import errors
from backend.core.clock import TZ
from backend.core.pdf import qr_png
from backend.core.providers import Provider
from payments.providers import (
    AlreadyPaid,
    AttemptRequest,
    Bill,
    BillNotPublished,
    BillRow,
    NoticeAnswer,
    NoticeRejected,
    PaidTrade,
    PayStart,
    RefundState,
    TradeState,
    fen_to_yuan,
    yuan_to_fen,
)

# What Alipay answers for a bill that is not published yet (bills come out on T+1).
_BILL_NOT_READY = ("isp.bill_not_exist",)


class GatewayAliPay(AliPay):  # type: ignore[misc]  # python-alipay-sdk ships no type information
    """``python-alipay-sdk``'s client with the gateway as a constructor argument, and business
    failures returned instead of raised.

    Every server call of the SDK ends in ``verified_sync_response(data, response_type)``; this
    override sends the signed request (``sign_data``) to the configured gateway and hands a signed
    answer to the SDK's own check (``_verify_and_return_sync_response``). An answer without a
    signature (Alipay's gateway-level errors) is returned as the failure it reports, never as a
    success.
    """

    def __init__(self, *, gateway: str, timeout: float, **kwargs: Any):
        super().__init__(config=AliPayConfig(timeout=timeout), **kwargs)
        self.gateway = gateway
        self.timeout = timeout

    def verified_sync_response(self, data: dict[str, Any], response_type: str) -> dict[str, Any]:
        url = self.gateway + "?" + self.sign_data(data)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:  # noqa: S310 - configured gateway
                raw = resp.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            e.close()  # the error carries the open response: closed here, not left to the collector
            raise
        body = json.loads(raw)
        if "sign" in body and "error_response" not in body:
            verified: dict[str, Any] = self._verify_and_return_sync_response(raw, response_type)
            return verified
        failure = body.get(response_type) or body.get("error_response") or {}
        if not isinstance(failure, dict) or failure.get("code") in (None, "10000"):
            raise AliPayValidationError()
        return failure

    def pay_url(self, query: str) -> str:
        return f"{self.gateway}?{query}"


class AlipayChannel(Provider):
    name = "alipay"
    channel = "alipay"

    def __init__(self, *, app_id: str, app_private_key_pem: str, alipay_public_key_pem: str, seller_id: str,
                 gateway: str, notify_url: str, timeout: float):
        self.app_id = app_id
        self.seller_id = seller_id
        self.notify_url = notify_url
        self._client = GatewayAliPay(gateway=gateway, timeout=timeout, appid=app_id, app_notify_url=notify_url,
                                     app_private_key_string=app_private_key_pem,
                                     alipay_public_key_string=alipay_public_key_pem, sign_type="RSA2")

    def _checked(self, result: dict[str, Any], *ok_sub_codes: str) -> dict[str, Any]:
        if result.get("code") != "10000" and result.get("sub_code") not in ok_sub_codes:
            raise errors.ProviderError(details={"provider": self.name,
                                                "code": result.get("sub_code") or result.get("code")})
        return result

    async def _api(self, operation: str, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return await self.call(operation, fn, *args, **kwargs)

    def answer_notice(self, outcome: str) -> NoticeAnswer:
        """Alipay wants the plain text ``success``; anything else is retried (up to 25 hours)."""
        return NoticeAnswer(200, "text/plain; charset=utf-8", "success" if outcome == "accepted" else "fail")

    async def create(self, req: AttemptRequest) -> PayStart:
        expire = req.expires_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
        if req.mode == "wap":
            query = self._client.api_alipay_trade_wap_pay(subject=req.description, out_trade_no=req.out_trade_no,
                                                          total_amount=fen_to_yuan(req.amount_fen),
                                                          notify_url=self.notify_url, time_expire=expire)
            url = self._client.pay_url(query)
            return PayStart(provider_ref=url, client={"pay_url": url, "qr_code": url})
        result = await self._api("precreate", self._client.api_alipay_trade_precreate, subject=req.description,
                                 out_trade_no=req.out_trade_no, total_amount=fen_to_yuan(req.amount_fen),
                                 notify_url=self.notify_url, time_expire=expire)
        if result.get("sub_code") == "ACQ.TRADE_HAS_SUCCESS":
            raise AlreadyPaid()
        self._checked(result)
        qr = result["qr_code"]
        return PayStart(provider_ref=qr, client={"qr_code": qr, "qr_png_base64": base64.b64encode(qr_png(qr)).decode()})

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> PaidTrade:
        try:
            data = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError:
            raise NoticeRejected("malformed") from None
        sign = data.pop("sign", None)
        if not sign or data.get("sign_type") != "RSA2":
            raise NoticeRejected("unsigned")
        try:
            ok = self._client.verify(dict(data), sign)
        except Exception:  # noqa: BLE001 - a malformed signature is a failed verification
            ok = False
        if not ok:
            raise NoticeRejected("bad_signature")
        if data.get("app_id") != self.app_id:
            raise NoticeRejected("wrong_appid")
        if data.get("seller_id") and data.get("seller_id") != self.seller_id:
            raise NoticeRejected("wrong_merchant")
        if data.get("trade_status") not in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            raise NoticeRejected("not_a_success_notice")
        return self._paid(data, "notice", data.get("notify_id"))

    def _paid(self, data: Mapping[str, Any], source: str, notice_id: str | None = None) -> PaidTrade:
        try:
            amount = yuan_to_fen(str(data["total_amount"]))
            otn, txn = str(data["out_trade_no"]), str(data["trade_no"])
        except (KeyError, ValueError):
            raise NoticeRejected("incomplete") from None
        paid_at = None
        when = data.get("gmt_payment") or data.get("send_pay_date")
        if when:
            try:
                paid_at = dt.datetime.strptime(str(when), "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
            except ValueError:
                paid_at = None
        return PaidTrade(out_trade_no=otn, transaction_id=txn, amount_fen=amount, paid_at=paid_at, source=source,
                         notice_id=notice_id, raw_state=str(data.get("trade_status")))

    async def query(self, out_trade_no: str) -> TradeState:
        result = await self._api("query", self._client.api_alipay_trade_query, out_trade_no=out_trade_no)
        if result.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return TradeState("absent")
        self._checked(result)
        status = result.get("trade_status")
        if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            return TradeState("paid", self._paid(result, "query"))
        if status == "TRADE_CLOSED":
            return TradeState("closed")
        return TradeState("unpaid")

    async def close(self, out_trade_no: str) -> None:
        result = await self._api("close", self._client.api_alipay_trade_close, out_trade_no=out_trade_no)
        if result.get("sub_code") == "ACQ.TRADE_STATUS_ERROR":
            raise AlreadyPaid()
        self._checked(result, "ACQ.TRADE_NOT_EXIST")

    async def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int,
                     reason: str) -> RefundState:
        result = await self._api("refund", self._client.api_alipay_trade_refund, refund_amount=fen_to_yuan(amount_fen),
                                 out_trade_no=out_trade_no, out_request_no=out_refund_no, refund_reason=reason[:80])
        if result.get("code") != "10000":
            if result.get("sub_code") in ("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "ACQ.TRADE_NOT_EXIST",
                                          "ACQ.TRADE_STATUS_ERROR", "ACQ.REFUND_AMOUNT_EXCEED"):
                return RefundState(out_refund_no, "failed", amount_fen, out_trade_no=out_trade_no)
            self._checked(result)
        if result.get("fund_change") == "Y":
            return RefundState(out_refund_no, "success", amount_fen, provider_ref=result.get("trade_no"),
                               out_trade_no=out_trade_no)
        # fund_change=N: a repeat of an earlier request (or not yet moved): ask for the result.
        return await self.query_refund(out_trade_no=out_trade_no, out_refund_no=out_refund_no, amount_fen=amount_fen)

    async def query_refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundState:
        result = await self._api("refund_query", self._client.api_alipay_trade_fastpay_refund_query,
                                 out_request_no=out_refund_no, out_trade_no=out_trade_no)
        self._checked(result)
        if result.get("refund_status") == "REFUND_SUCCESS":
            return RefundState(out_refund_no, "success", yuan_to_fen(result.get("refund_amount", "0")),
                               out_trade_no=out_trade_no)
        if not result.get("out_request_no"):
            return RefundState(out_refund_no, "absent", amount_fen, out_trade_no=out_trade_no)
        return RefundState(out_refund_no, "processing", amount_fen, out_trade_no=out_trade_no)

    def parse_refund_notice(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> RefundState:
        raise NoticeRejected("alipay refunds answer synchronously")

    async def bill(self, day: dt.date) -> Bill:
        result = await self._api("bill_url", self._client.server_api, "alipay.data.dataservice.bill.downloadurl.query",
                                 {"bill_type": "trade", "bill_date": day.isoformat()})
        if result.get("sub_code") in _BILL_NOT_READY:
            raise BillNotPublished(self.channel, day)
        self._checked(result)
        url = result["bill_download_url"]

        def download() -> bytes:
            try:
                with urllib.request.urlopen(url, timeout=self._client.timeout) as resp:  # noqa: S310 - provider URL
                    body: bytes = resp.read()
                    return body
            except urllib.error.HTTPError as e:
                e.close()
                raise
        data = await self.call("bill_download", download)
        return parse_trade_bill(data)


def parse_trade_bill(zipped: bytes) -> Bill:
    """Alipay's trade bill: a zip holding GBK CSV files; ``*_业务明细.csv`` has the rows, between
    comment lines starting with ``#``."""
    rows: list[BillRow] = []
    summary: dict[str, Any] = {}
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        for name in z.namelist():
            if not name.endswith("业务明细.csv"):
                continue
            text = z.read(name).decode("gbk")
            lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
            for rec in csv.DictReader(io.StringIO("\n".join(lines))):
                rec = {k.strip(): (v or "").strip() for k, v in rec.items() if k}
                kind = rec.get("业务类型")
                if kind == "交易":
                    rows.append(BillRow("payment", rec["商户订单号"], rec["支付宝交易号"],
                                        yuan_to_fen(rec["订单金额（元）"]),
                                        rec["完成时间"]))
                elif kind == "退款":
                    rows.append(BillRow("refund", rec["商户订单号"], rec["支付宝交易号"],
                                        abs(yuan_to_fen(rec["订单金额（元）"])), rec["完成时间"],
                                        out_refund_no=rec.get("退款批次号/请求号") or None))
            for ln in text.splitlines():
                if ln.startswith("#交易合计"):
                    summary["total_line"] = ln
    return Bill(rows=rows, summary=summary)
