"""The payment SDKs at the versions we rely on, and the extension hooks our adapters use.

``payments/wechatpay.py`` and ``payments/alipay.py`` extend ``wechatpayv3`` and
``python-alipay-sdk`` in one documented place each. A version bump that moves those hooks must
fail here (and, for WeChat Pay, at start-up), never send a request somewhere else.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from alipay.exceptions import AliPayValidationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from payments.alipay import GatewayAliPay
from payments.wechatpay import SDK_DEFAULT_GATEWAY, GatewayCore


def _key() -> tuple[rsa.RSAPrivateKey, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key, private, public


class _Recorder:
    """A local HTTP server that records requests and answers what the test sets."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 404
        self.body = b"{}"
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                recorder.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                          "body": self.rfile.read(length) if length else b""})
                self.send_response(recorder.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(recorder.body)))
                self.end_headers()
                self.wfile.write(recorder.body)

            do_GET = do_POST = _handle  # noqa: N815

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    r = _Recorder()
    yield r
    r.close()


def test_pinned_versions() -> None:
    assert version("wechatpayv3") == "2.0.4"
    assert version("python-alipay-sdk") == "3.4.0"


def test_wechatpay_core_sends_every_request_to_the_configured_gateway(recorder: _Recorder) -> None:
    _, merchant_private, _ = _key()
    _, _, platform_public = _key()
    core = GatewayCore(gateway=recorder.base + "/wxpay/", mchid="1900000001", cert_serial_no="SERIAL1",
                       private_key=merchant_private, apiv3_key="0" * 32, timeout=(2, 5),
                       public_key=platform_public, public_key_id="PUB_KEY_ID_TEST")
    assert core.sdk_default == SDK_DEFAULT_GATEWAY  # the SDK still assigns the attribute we replace
    code, _ = core.request("/v3/pay/transactions/out-trade-no/ZJB0001?mchid=1900000001")
    assert code == 404
    sent = recorder.requests[-1]
    assert sent["path"] == "/wxpay/v3/pay/transactions/out-trade-no/ZJB0001?mchid=1900000001"
    auth = sent["headers"]["Authorization"]
    assert auth.startswith("WECHATPAY2-SHA256-RSA2048 ") and 'mchid="1900000001"' in auth
    assert sent["headers"]["Wechatpay-Serial"] == "PUB_KEY_ID_TEST"  # public-key mode
    # the signing and decrypting entry points the adapter calls
    assert callable(core.sign) and callable(core.callback)


def test_wechatpay_core_refuses_an_sdk_that_no_longer_sets_its_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    from wechatpayv3.core import Core

    original = Core.__init__

    def renamed(self: Any, *args: Any, **kwargs: Any) -> None:  # as if a new version renamed _gate_way
        original(self, *args, **kwargs)
        self.sdk_default = None

    monkeypatch.setattr(Core, "__init__", renamed)
    _, private, public = _key()
    with pytest.raises(RuntimeError, match="_gate_way"):
        GatewayCore(gateway="http://127.0.0.1:9", mchid="1", cert_serial_no="S", private_key=private,
                    apiv3_key="0" * 32, public_key=public, public_key_id="PUB")


def _alipay(recorder: _Recorder) -> tuple[GatewayAliPay, rsa.RSAPrivateKey]:
    _, app_private, _ = _key()
    alipay_key, _, alipay_public = _key()
    client = GatewayAliPay(gateway=recorder.base + "/gateway.do", timeout=5, appid="2021000000000001",
                           app_notify_url="http://127.0.0.1/notify", app_private_key_string=app_private,
                           alipay_public_key_string=alipay_public, sign_type="RSA2")
    return client, alipay_key


def _signed(key: rsa.RSAPrivateKey, response_type: str, payload: dict[str, Any]) -> bytes:
    import base64
    inner = json.dumps(payload, separators=(",", ":"))
    sign = base64.b64encode(key.sign(inner.encode(), PKCS1v15(), SHA256())).decode()
    return ('{"%s":%s,"sign":"%s"}' % (response_type, inner, sign)).encode()


def test_alipay_every_server_call_goes_through_the_overridden_funnel(recorder: _Recorder) -> None:
    client, alipay_key = _alipay(recorder)
    calls = {
        "alipay.trade.precreate": lambda: client.api_alipay_trade_precreate(subject="s", out_trade_no="ZJB1",
                                                                             total_amount="1.00"),
        "alipay.trade.query": lambda: client.api_alipay_trade_query(out_trade_no="ZJB1"),
        "alipay.trade.close": lambda: client.api_alipay_trade_close(out_trade_no="ZJB1"),
        "alipay.trade.refund": lambda: client.api_alipay_trade_refund(refund_amount="1.00", out_trade_no="ZJB1",
                                                                      out_request_no="R1"),
        "alipay.trade.fastpay.refund.query": lambda: client.api_alipay_trade_fastpay_refund_query(
            out_request_no="R1", out_trade_no="ZJB1"),
        "alipay.data.dataservice.bill.downloadurl.query": lambda: client.server_api(
            "alipay.data.dataservice.bill.downloadurl.query", {"bill_type": "trade", "bill_date": "2026-01-01"}),
    }
    recorder.status = 200
    for method, call in calls.items():
        rtype = method.replace(".", "_") + "_response"
        recorder.body = _signed(alipay_key, rtype, {"code": "10000", "msg": "Success", "out_trade_no": "ZJB1"})
        assert call()["code"] == "10000", method
        sent = recorder.requests[-1]
        assert urlsplit(sent["path"]).path == "/gateway.do"
        assert dict(parse_qsl(urlsplit(sent["path"]).query))["method"] == method
    # a wap payment is a signed query string the browser takes to the gateway
    query = client.api_alipay_trade_wap_pay(subject="s", out_trade_no="ZJB1", total_amount="1.00")
    assert client.pay_url(query).startswith(recorder.base + "/gateway.do?") and "sign=" in query


def test_alipay_answers_signed_forged_and_unsigned(recorder: _Recorder) -> None:
    client, alipay_key = _alipay(recorder)
    recorder.status = 200
    rtype = "alipay_trade_query_response"
    # a business failure without a signature is returned as the failure it is
    recorder.body = json.dumps({rtype: {"code": "40004", "sub_code": "ACQ.TRADE_NOT_EXIST"}}).encode()
    assert client.api_alipay_trade_query(out_trade_no="ZJB1")["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    # an unsigned success, or a success signed by another key, is never believed
    recorder.body = json.dumps({rtype: {"code": "10000", "trade_status": "TRADE_SUCCESS"}}).encode()
    with pytest.raises(AliPayValidationError):
        client.api_alipay_trade_query(out_trade_no="ZJB1")
    other, _, _ = _key()
    recorder.body = _signed(other, rtype, {"code": "10000", "trade_status": "TRADE_SUCCESS"})
    with pytest.raises(AliPayValidationError):
        client.api_alipay_trade_query(out_trade_no="ZJB1")
    recorder.body = _signed(alipay_key, rtype, {"code": "10000", "trade_status": "TRADE_SUCCESS"})
    assert client.api_alipay_trade_query(out_trade_no="ZJB1")["trade_status"] == "TRADE_SUCCESS"
