"""Build payments: orders, the WeChat Pay and Alipay channels, receipts, refunds, reconciliation.
Cases and payers are read through the directories the cases and identity domains provide."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from backend.config import SANDBOX_KEY, Config
from backend.core.api import bind
from backend.core.clock import TZ, Clock
from backend.core.domain import Deps, Domain, GaugeSpec, JobSpec
from backend.core.signing import SigningKeyRing
from backend.core.store import JobDayStore
from payments import handlers, words
from payments.clearing import PayeeUnits
from payments.fees import FeeResolver
from payments.handling import payment_handling
from payments.receipting import ReceiptService
from payments.receipts import ReceiptSigner
from payments.reconcile import ReconciliationService
from payments.service import PaymentService
from payments.store import COLLECTIONS, PaymentStore


def build(config: Config, deps: Deps) -> Domain:
    store = PaymentStore(deps.db, deps.client)
    channels = build_channels(config, deps.gateway)
    signer = SigningKeyRing(ReceiptSigner(read_key(config, "receipts.signing_key_file"), config.receipts.key_id),
                            valid_from=config.receipts.key_valid_from, retired=config.receipts.retired_keys,
                            where="receipts")
    deps.need("signing_keys").add("receipts", signer)
    receipts = ReceiptService(store=store, clock=deps.clock, users=deps.need("user_directory"),
                              outbox=deps.need("outbox"),
                              signer=signer, limiter=deps.need("limiter"),
                              verify_per_ip_per_minute=config.ratelimit.verify_per_ip_per_minute,
                              config=config.payments, receipts_config=config.receipts, public_url=config.public_url)
    payees = PayeeUnits(store, deps.need("catalogue"))
    payments = PaymentService(store=store, clock=deps.clock, audit=deps.need("audit"), outbox=deps.need("outbox"),
                              channels=channels, receipts=receipts, cases=deps.need("case_directory"),
                              users=deps.need("user_directory"), payees=payees,
                              fees=FeeResolver(deps.need("catalogue"), payees), config=config.payments)
    reconciliation = ReconciliationService(store=store, clock=deps.clock, audit=deps.need("audit"), channels=channels,
                                           config=config.payments, job_days=JobDayStore(deps.db),
                                           catch_up_max_days=config.workers.catch_up_max_days)
    interval = config.payments.job_interval_seconds

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_by_status()]

    on_start = []
    if config.is_sandbox and config.sandbox.seed_demo_data:
        async def seed_payee_units() -> None:
            from sandbox.seed_payees import PAYEE_UNITS
            for unit in PAYEE_UNITS:
                await store.add_payee_unit(unit)
        on_start.append(seed_payee_units)

    deps.need("resident_handling").add(payment_handling(store))

    return Domain(
        "payments", words=words.WORDS, service=payments,
        routes=bind(handlers.default_handlers, payments=payments, receipts=receipts, reconciliation=reconciliation,
                    limiter=deps.need("limiter")),
        jobs=[JobSpec("payments.query", payments.query_due, interval),
              JobSpec("payments.expire", payments.expire_due, interval),
              JobSpec("payments.refunds", payments.refunds_due, interval),
              JobSpec("payments.receipts", receipts.finish_pending, interval),
              JobSpec("payments.reconcile", reconciliation.reconcile_due, interval)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_payments", "Payment orders by status.", by_status)],
        provides={"payments": payments, "receipts": receipts, "reconciliation": reconciliation},
        on_start=on_start,
    )


BILLS_PUBLISHED_AT = dt.time(10, 0)  # sandbox: when the stand-ins publish yesterday's bills

KEY_FILES = {  # "sandbox" in config → this file under DATA_DIR/sandbox/keys/
    "wechatpay.private_key_file": "wechatpay_merchant_key.pem",
    "wechatpay.platform_public_key_file": "wechatpay_platform_pub.pem",
    "alipay.app_private_key_file": "alipay_app_key.pem",
    "alipay.alipay_public_key_file": "alipay_platform_pub.pem",
    "receipts.signing_key_file": "receipts_ed25519.pem",
}


def read_key(config: Config, name: str) -> str:
    section, key = name.split(".")
    path = getattr(getattr(config, section), key)
    if path == SANDBOX_KEY:
        from sandbox.paykeys import ensure_sandbox_keys, keys_dir
        ensure_sandbox_keys(config.data_dir)
        return (keys_dir(config.data_dir) / KEY_FILES[name]).read_text()
    return Path(path).read_text()


def build_channels(config: Config, gateway: Any) -> dict[str, Any]:
    """``gateway(value, path)`` resolves "sandbox" to the stand-in on this server."""
    channels: dict[str, Any] = {}
    notify = config.public_url + "/api/v1/pay/notify"
    if "wechat" in config.payments.channels:
        from payments.wechatpay import WeChatPayChannel
        w = config.wechatpay
        channels["wechat"] = WeChatPayChannel(
            mchid=w.mchid, appid=w.appid or config.wechat.appid,
            private_key_pem=read_key(config, "wechatpay.private_key_file"),
            cert_serial_no=w.cert_serial_no, apiv3_key=w.apiv3_key,
            platform_public_key_pem=read_key(config, "wechatpay.platform_public_key_file"),
            platform_public_key_id=w.platform_public_key_id, gateway=gateway(w.gateway, "wechatpay"),
            notify_url=notify + "/wechat", refund_notify_url=notify + "/wechat/refund", timeout=w.timeout_seconds,
            max_skew_seconds=config.payments.notice_max_skew_seconds)
    if "alipay" in config.payments.channels:
        from payments.alipay import AlipayChannel
        a = config.alipay
        channels["alipay"] = AlipayChannel(
            app_id=a.app_id, app_private_key_pem=read_key(config, "alipay.app_private_key_file"),
            alipay_public_key_pem=read_key(config, "alipay.alipay_public_key_file"), seller_id=a.seller_id,
            gateway=gateway(a.gateway, "alipay/gateway.do"), notify_url=notify + "/alipay", timeout=a.timeout_seconds)
    return channels


def sandbox_standins(config: Config, clock: Clock | None = None) -> dict[str, Any]:
    """The WeChat Pay and Alipay stand-ins, holding the provider side of the sandbox keys. They stamp
    payments, refunds and notices with the app's ``clock`` (the real clock when none is given) and
    publish a day's bill from 10:00 on the next day by it, as the providers do, so moving the
    sandbox clock moves all of that together and the bills agree with the payments."""
    from sandbox.paykeys import ensure_sandbox_keys, read
    from sandbox.wechatpay import WeChatPayStandin
    ensure_sandbox_keys(config.data_dir)
    clock = clock or Clock()

    def bill_ready(day: dt.date) -> bool:
        return clock.now() >= dt.datetime.combine(day + dt.timedelta(days=1), BILLS_PUBLISHED_AT, TZ)
    base = Path(config.data_dir) / "sandbox"
    w = config.wechatpay
    out: dict[str, Any] = {
        "wechatpay": WeChatPayStandin(
            str(base / "wechatpay.sqlite"), mchid=w.mchid, appid=w.appid or config.wechat.appid, apiv3_key=w.apiv3_key,
            merchant_public_pem=read(config.data_dir, "wechatpay_merchant_pub.pem"), merchant_serial=w.cert_serial_no,
            platform_private_pem=read(config.data_dir, "wechatpay_platform_key.pem"),
            platform_key_id=w.platform_public_key_id, clock=clock, retry_factor=config.payments.sandbox_retry_factor,
            base_url=f"http://127.0.0.1:{config.server.port}/sandbox/wechatpay", bill_ready=bill_ready),
    }
    try:
        from sandbox.alipay import AlipayStandin
    except ImportError:  # pragma: no cover
        return out
    a = config.alipay
    out["alipay"] = AlipayStandin(
        str(base / "alipay.sqlite"), app_id=a.app_id, seller_id=a.seller_id,
        app_public_pem=read(config.data_dir, "alipay_app_pub.pem"),
        alipay_private_pem=read(config.data_dir, "alipay_platform_key.pem"), clock=clock,
        retry_factor=config.payments.sandbox_retry_factor,
        base_url=f"http://127.0.0.1:{config.server.port}/sandbox/alipay", bill_ready=bill_ready)
    return out

