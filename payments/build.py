"""Build payments: orders, the WeChat Pay and Alipay channels, receipts, refunds, reconciliation."""
from __future__ import annotations

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, GaugeSpec, JobSpec
from payments import handlers
from payments.setup import build_payments
from payments.store import COLLECTIONS


def build(config: Config, deps: Deps) -> Domain:
    payments = build_payments(config, client=deps.client, db=deps.db, clock=deps.clock, audit=deps.need("audit"),
                              outbox=deps.need("outbox"), gateway=deps.gateway)
    interval = config.payments.job_interval_seconds

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await payments.store.count_by_status()]

    return Domain(
        "payments", service=payments,
        routes=bind(handlers.default_handlers, payments=payments),
        jobs=[JobSpec("payments.query", payments.query_due, interval),
              JobSpec("payments.expire", payments.expire_due, interval),
              JobSpec("payments.refunds", payments.refunds_due, interval)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_payments", "Payment orders by status.", by_status)],
        provides={"payments": payments},
    )
