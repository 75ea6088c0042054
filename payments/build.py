"""Build payments: orders, the WeChat Pay and Alipay channels, receipts, refunds, reconciliation.
Cases and payers are read through the ports ``service.CaseDirectory`` and ``issuing.UserDirectory``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.audit.service import AuditLog
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, GaugeSpec, JobSpec
from backend.core.infra import Gateway, Infra, KeyReader
from backend.core.ports import HandlingChecks, KeyRings
from backend.core.signing import SigningKeyRing
from notify.outbox import Outbox
from payments import handlers, words
from payments.clearing import PayeeUnits, SeedUnits
from payments.fees import FeeResolver
from payments.issuing import ReceiptService, UserDirectory
from payments.personal import PaymentData
from payments.ports import Catalogue
from payments.receipts import ReceiptSigner
from payments.reconcile import ReconciliationService
from payments.reveal_scope import payment_handling
from payments.service import CaseDirectory, PaymentService
from payments.store import COLLECTIONS, PaymentStore


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    outbox: Outbox
    catalogue: Catalogue
    cases: CaseDirectory
    users: UserDirectory
    key_rings: KeyRings
    handling: HandlingChecks


@dataclass(frozen=True)
class PaymentsProvides:
    payments: PaymentService                  # orders: a bundle's one order, the CLI and tests
    receipts: ReceiptService
    reconciliation: ReconciliationService     # the CLI's ``payments reconcile``
    payee_units: SeedUnits                    # sandbox seeding: the payee units of the demo departments
    personal: PaymentData                     # a resident's orders and receipts, in their data and at cancellation


def build(config: Config, infra: Infra, needs: Needs) -> Built[PaymentsProvides]:
    store = PaymentStore(infra.db, infra.client)
    channels = {name: channel.sized(infra.provider_limits)
                for name, channel in build_channels(config, infra.gateway, infra.read_key).items()}
    signer = SigningKeyRing(ReceiptSigner(infra.read_key("receipts.signing_key_file"), config.receipts.key_id),
                            valid_from=config.receipts.key_valid_from, retired=config.receipts.retired_keys,
                            where="receipts")
    needs.key_rings.add("receipts", signer)
    receipts = ReceiptService(store=store, clock=infra.clock, users=needs.users,
                              outbox=needs.outbox,
                              signer=signer, limiter=infra.limiter,
                              verify_per_ip_per_minute=config.ratelimit.verify_per_ip_per_minute,
                              config=config.payments, receipts_config=config.receipts, public_url=config.public_url)
    payees = PayeeUnits(store, needs.catalogue)
    payments = PaymentService(store=store, clock=infra.clock, audit=needs.audit, outbox=needs.outbox,
                              channels=channels, receipts=receipts, cases=needs.cases,
                              users=needs.users, payees=payees,
                              fees=FeeResolver(needs.catalogue, payees), config=config.payments)
    reconciliation = ReconciliationService(store=store, clock=infra.clock, audit=needs.audit, channels=channels,
                                           config=config.payments, job_days=infra.job_days,
                                           catch_up_max_days=config.workers.catch_up_max_days)
    interval = config.payments.job_interval_seconds

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_by_status()]

    needs.handling.add(payment_handling(store))

    return Built(Domain(
        "payments", words=words.WORDS, service=payments, names={"payment": store.payment_names},
        routes=bind(handlers.default_handlers, payments=payments, receipts=receipts, reconciliation=reconciliation,
                    limiter=infra.limiter),
        jobs=[JobSpec("payments.query", payments.query_due, interval),
              JobSpec("payments.expire", payments.expire_due, interval),
              JobSpec("payments.refunds", payments.refunds_due, interval),
              JobSpec("payments.receipts", receipts.finish_pending, interval),
              JobSpec("payments.reconcile", reconciliation.reconcile_due, interval)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_payments", "Payment orders by status.", by_status)],
    ), PaymentsProvides(payments=payments, receipts=receipts, reconciliation=reconciliation,
                        payee_units=SeedUnits(store),
                        personal=PaymentData(store=store, payments=payments, receipts=receipts)))


def build_channels(config: Config, gateway: Gateway, read_key: KeyReader) -> dict[str, Any]:
    """``gateway(value, path)`` resolves "sandbox" to the stand-in on this server; ``read_key``
    reads the channel's keys by their settings' names."""
    channels: dict[str, Any] = {}
    notify = config.public_url + "/api/v1/pay/notify"
    if "wechat" in config.payments.channels:
        from payments.wechatpay import WeChatPayChannel
        w = config.wechatpay
        channels["wechat"] = WeChatPayChannel(
            mchid=w.mchid, appid=w.appid or config.wechat.appid,
            private_key_pem=read_key("wechatpay.private_key_file"),
            cert_serial_no=w.cert_serial_no, apiv3_key=w.apiv3_key,
            platform_public_key_pem=read_key("wechatpay.platform_public_key_file"),
            platform_public_key_id=w.platform_public_key_id, gateway=gateway(w.gateway, "wechatpay"),
            notify_url=notify + "/wechat", refund_notify_url=notify + "/wechat/refund", timeout=w.timeout_seconds,
            max_skew_seconds=config.payments.notice_max_skew_seconds)
    if "alipay" in config.payments.channels:
        from payments.alipay import AlipayChannel
        a = config.alipay
        channels["alipay"] = AlipayChannel(
            app_id=a.app_id, app_private_key_pem=read_key("alipay.app_private_key_file"),
            alipay_public_key_pem=read_key("alipay.alipay_public_key_file"), seller_id=a.seller_id,
            gateway=gateway(a.gateway, "alipay/gateway.do"), notify_url=notify + "/alipay", timeout=a.timeout_seconds)
    return channels
