"""WeChat Pay APIv3 (mini-program JSAPI) through the ``wechatpayv3`` SDK's signing core.

Public-key verification mode: answers and notices are verified with the platform public key
and its id from config (no platform certificate download). The SDK is synchronous and runs in a
worker thread. Only the gateway differs between the sandbox stand-in and production.

We use the SDK's ``Core``: it signs each request (``WECHATPAY2-SHA256-RSA2048``), verifies each
answer's signature, decrypts notices (``callback``) and signs ``wx.requestPayment`` parameters
(``sign``). The request bodies of the few endpoints we call are built here, from WeChat Pay's
APIv3 reference. ``GatewayCore`` is the one extension (see its docstring);
``tests/test_payments_sdk.py`` pins the SDK version and checks that hook.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import secrets
import time
from typing import Any, Mapping
from urllib.parse import quote

from wechatpayv3 import SignType
from wechatpayv3.core import Core
from wechatpayv3.type import RequestType

from backend.core import errors
from backend.core.clock import TZ
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
    yuan_to_fen,
)

_REFUND_STATES = {"SUCCESS": "success", "PROCESSING": "processing", "CLOSED": "failed", "ABNORMAL": "failed"}
SDK_DEFAULT_GATEWAY = "https://api.mch.weixin.qq.com"
# What WeChat Pay answers for a bill that is not published yet (bills come out from 10:00 on T+1).
_BILL_NOT_READY = ("NO_STATEMENT_EXIST", "STATEMENT_CREATING")


class GatewayCore(Core):  # type: ignore[misc]  # wechatpayv3 ships no type information
    """``wechatpayv3.core.Core`` with the API base address as a constructor argument.

    The SDK has no setting for the base address: ``Core.__init__`` assigns its production address
    to the attribute ``_gate_way``, which ``Core.request`` prefixes to every path. Here that
    attribute is a read-only property answering the configured gateway; the SDK's assignment is
    recorded (``sdk_default``) and otherwise ignored. If a later SDK version stops making that
    assignment, construction fails instead of silently sending requests elsewhere.
    """

    def __init__(self, *, gateway: str, **kwargs: Any):
        self._gateway = gateway.rstrip("/")
        self.sdk_default: str | None = None
        super().__init__(**kwargs)
        if self.sdk_default != SDK_DEFAULT_GATEWAY:
            raise RuntimeError("wechatpayv3 no longer sets Core._gate_way as GatewayCore expects; "
                               "check payments/wechatpay.py against this SDK version")

    @property
    def _gate_way(self) -> str:
        return self._gateway

    @_gate_way.setter
    def _gate_way(self, value: str) -> None:
        self.sdk_default = value

    @property
    def gateway(self) -> str:
        return self._gateway


class WeChatPayChannel(Provider):
    name = "wechatpay"
    channel = "wechat"

    def __init__(self, *, mchid: str, appid: str, private_key_pem: str, cert_serial_no: str, apiv3_key: str,
                 platform_public_key_pem: str, platform_public_key_id: str, gateway: str, notify_url: str,
                 refund_notify_url: str, timeout: float, max_skew_seconds: int = 300):
        self.mchid = mchid
        self.appid = appid
        self.notify_url = notify_url
        self.refund_notify_url = refund_notify_url
        self.max_skew = max_skew_seconds
        self.platform_public_key_id = platform_public_key_id
        self._core = GatewayCore(gateway=gateway, mchid=mchid, cert_serial_no=cert_serial_no,
                                 private_key=private_key_pem, apiv3_key=apiv3_key, timeout=(5, timeout),
                                 public_key=platform_public_key_pem, public_key_id=platform_public_key_id)

    async def _request(self, operation: str, path: str, data: dict[str, Any] | None = None, *,
                       skip_verify: bool = False) -> tuple[int, Any]:
        method = RequestType.GET if data is None else RequestType.POST
        return await self.call(operation, self._core.request, path, method=method, data=data,
                               skip_verify=skip_verify)

    # -- answers to WeChat Pay's notices ----------------------------------------------------------------

    def answer_notice(self, outcome: str) -> NoticeAnswer:
        """WeChat Pay wants 2xx for a notice taken (or already taken); anything else is retried."""
        if outcome == "accepted":
            return NoticeAnswer(204, None, "")
        message = "验签或核对失败" if outcome == "rejected" else "系统繁忙"
        return NoticeAnswer(400 if outcome == "rejected" else 500, "application/json; charset=UTF-8",
                            json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False))

    @staticmethod
    def _json(code: int, message: Any) -> dict[str, Any]:
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        try:
            return json.loads(message) if message else {}
        except ValueError:
            return {}

    async def create(self, req: AttemptRequest) -> PayStart:
        code, message = await self._request("jsapi", "/v3/pay/transactions/jsapi", {
            "appid": self.appid, "mchid": self.mchid, "description": req.description[:127],
            "out_trade_no": req.out_trade_no, "notify_url": self.notify_url,
            "time_expire": req.expires_at.astimezone(TZ).isoformat(timespec="seconds"),
            "amount": {"total": req.amount_fen, "currency": "CNY"}, "payer": {"openid": req.payer_openid}})
        body = self._json(code, message)
        if code != 200 or "prepay_id" not in body:
            if body.get("code") == "ORDERPAID":
                raise AlreadyPaid()
            raise errors.ProviderError(details={"provider": self.name, "code": body.get("code")})
        prepay_id = body["prepay_id"]
        ts, nonce, package = str(int(time.time())), secrets.token_hex(16), f"prepay_id={prepay_id}"
        pay_sign = self._core.sign([self.appid, ts, nonce, package], SignType.RSA_SHA256)
        return PayStart(provider_ref=prepay_id, client={"request_payment": {
            "timeStamp": ts, "nonceStr": nonce, "package": package, "signType": "RSA", "paySign": pay_sign}})

    def _decrypt(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> dict[str, Any]:
        h = {k.title(): v for k, v in headers.items()}
        try:
            ts = int(h.get("Wechatpay-Timestamp", ""))
        except ValueError:
            raise NoticeRejected("missing_timestamp") from None
        if abs(now.timestamp() - ts) > self.max_skew:
            raise NoticeRejected("timestamp_out_of_window")
        if h.get("Wechatpay-Serial") != self.platform_public_key_id:
            raise NoticeRejected("unknown_serial")
        try:
            result = self._core.callback(h, body)
        except Exception:  # noqa: BLE001 - malformed notices of every kind are rejected
            raise NoticeRejected("malformed") from None
        if not isinstance(result, dict) or not isinstance(result.get("resource"), dict):
            raise NoticeRejected("bad_signature_or_ciphertext")
        return result

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> PaidTrade:
        notice = self._decrypt(headers, body, now)
        r = notice["resource"]
        if notice.get("event_type") != "TRANSACTION.SUCCESS" or r.get("trade_state") != "SUCCESS":
            raise NoticeRejected("not_a_success_notice")
        if r.get("mchid") != self.mchid:
            raise NoticeRejected("wrong_merchant")
        if r.get("appid") != self.appid:
            raise NoticeRejected("wrong_appid")
        return self._paid(r, "notice", notice.get("id"))

    def _paid(self, r: dict[str, Any], source: str, notice_id: str | None = None) -> PaidTrade:
        amount = r.get("amount") or {}
        total = amount.get("total")
        if not isinstance(total, int) or not r.get("out_trade_no") or not r.get("transaction_id"):
            raise NoticeRejected("incomplete")
        paid_at = None
        if r.get("success_time"):
            try:
                paid_at = dt.datetime.fromisoformat(r["success_time"])
            except ValueError:
                paid_at = None
        return PaidTrade(out_trade_no=r["out_trade_no"], transaction_id=r["transaction_id"], amount_fen=total,
                         paid_at=paid_at, source=source, notice_id=notice_id, raw_state=r.get("trade_state", ""))

    async def query(self, out_trade_no: str) -> TradeState:
        code, message = await self._request(
            "query", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}?mchid={quote(self.mchid)}")
        body = self._json(code, message)
        if code == 404:
            return TradeState("absent")
        if code != 200:
            raise errors.ProviderError(details={"provider": self.name, "code": body.get("code")})
        if body.get("mchid") != self.mchid or body.get("appid") != self.appid:
            raise errors.ProviderError(details={"provider": self.name, "code": "wrong_merchant"})
        state = body.get("trade_state")
        if state in ("SUCCESS", "REFUND"):
            return TradeState("paid", self._paid(body, "query"))
        if state in ("CLOSED", "REVOKED", "PAYERROR"):
            return TradeState("closed")
        return TradeState("unpaid")

    async def close(self, out_trade_no: str) -> None:
        code, message = await self._request("close", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}/close",
                                            {"mchid": self.mchid})
        if code in (200, 204, 404):
            return
        body = self._json(code, message)
        if body.get("code") == "ORDERPAID":
            raise AlreadyPaid()
        raise errors.ProviderError(details={"provider": self.name, "code": body.get("code")})

    def _refund_state(self, body: dict[str, Any]) -> RefundState:
        return RefundState(out_refund_no=body["out_refund_no"],
                           state=_REFUND_STATES.get(str(body.get("status")), "processing"),
                           amount_fen=int((body.get("amount") or {}).get("refund", 0)),
                           provider_ref=body.get("refund_id"), out_trade_no=body.get("out_trade_no"))

    async def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int,
                     reason: str) -> RefundState:
        data: dict[str, Any] = {"out_refund_no": out_refund_no, "out_trade_no": out_trade_no,
                                "notify_url": self.refund_notify_url,
                                "amount": {"refund": amount_fen, "total": total_fen, "currency": "CNY"}}
        if reason:
            data["reason"] = reason[:80]
        code, message = await self._request("refund", "/v3/refund/domestic/refunds", data)
        body = self._json(code, message)
        if code != 200 or "out_refund_no" not in body:
            if code in (400, 403, 404):
                return RefundState(out_refund_no, "failed", amount_fen, out_trade_no=out_trade_no)
            raise errors.ProviderError(details={"provider": self.name, "code": body.get("code")})
        return self._refund_state(body)

    async def query_refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundState:
        code, message = await self._request("query_refund", f"/v3/refund/domestic/refunds/{quote(out_refund_no)}")
        body = self._json(code, message)
        if code == 404:
            return RefundState(out_refund_no, "absent", amount_fen, out_trade_no=out_trade_no)
        if code != 200:
            raise errors.ProviderError(details={"provider": self.name, "code": body.get("code")})
        return self._refund_state(body)

    def parse_refund_notice(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> RefundState:
        notice = self._decrypt(headers, body, now)
        r = notice["resource"]
        if r.get("mchid") != self.mchid:
            raise NoticeRejected("wrong_merchant")
        if not str(notice.get("event_type", "")).startswith("REFUND.") or not r.get("out_refund_no"):
            raise NoticeRejected("not_a_refund_notice")
        return RefundState(out_refund_no=r["out_refund_no"],
                           state=_REFUND_STATES.get(r.get("refund_status"), "processing"),
                           amount_fen=int((r.get("amount") or {}).get("refund", 0)),
                           provider_ref=r.get("refund_id"), out_trade_no=r.get("out_trade_no"))

    async def bill(self, day: dt.date) -> Bill:
        code, message = await self._request(
            "trade_bill", f"/v3/bill/tradebill?bill_date={day.isoformat()}&bill_type=ALL&tar_type=GZIP")
        body = self._json(code, message)
        if code != 200 or "download_url" not in body:
            if body.get("code") in _BILL_NOT_READY:
                raise BillNotPublished(self.channel, day)
            raise errors.ProviderError(details={"provider": self.name, "code": body.get("code")})
        url = str(body["download_url"])
        if not url.startswith(self._core.gateway + "/"):
            raise errors.ProviderError(details={"provider": self.name, "code": "foreign_download_url"})
        code, data = await self._request("download_bill", url[len(self._core.gateway):], skip_verify=True)
        if code != 200 or not isinstance(data, bytes):
            raise errors.ProviderError(details={"provider": self.name, "code": "download_failed"})
        text = gzip.decompress(data).decode("utf-8")
        if body.get("hash_type") == "SHA1" and hashlib.sha1(text.encode()).hexdigest() != body.get("hash_value"):
            raise errors.ProviderError(details={"provider": self.name, "code": "bill_hash_mismatch"})
        return parse_trade_bill(text)


def parse_trade_bill(text: str) -> Bill:
    """WeChat Pay's trade bill: a header line, backtick-prefixed rows, then a summary."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return Bill()
    head = lines[0].split(",")
    rows: list[BillRow] = []
    summary: dict[str, Any] = {}
    i = 1
    while i < len(lines):
        if lines[i].startswith("总交易单数"):
            keys = lines[i].split(",")
            vals = [v.lstrip("`") for v in lines[i + 1].split(",")] if i + 1 < len(lines) else []
            summary = dict(zip(keys, vals, strict=False))
            break
        rec = dict(zip(head, (v.lstrip("`") for v in lines[i].split(",")), strict=False))
        if rec.get("交易状态") == "SUCCESS":
            rows.append(BillRow("payment", rec["商户订单号"], rec["微信订单号"], yuan_to_fen(rec["应结订单金额"]),
                                rec["交易时间"]))
        elif rec.get("交易状态") == "REFUND":
            rows.append(BillRow("refund", rec["商户订单号"], rec["微信订单号"], yuan_to_fen(rec["退款金额"]),
                                rec["交易时间"], out_refund_no=rec["商户退款单号"]))
        i += 1
    return Bill(rows=rows, summary=summary)
