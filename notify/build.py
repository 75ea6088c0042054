"""Build notifications: the outbox every domain writes to, the inbox, and the delivery worker."""
from __future__ import annotations

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, GaugeSpec, JobSpec
from notify import handlers
from notify.channels import WeChatSubscribe
from notify.outbox import COLLECTIONS as OUTBOX_COLLECTIONS
from notify.outbox import Outbox
from notify.service import NotifyService
from notify.store import COLLECTIONS as NOTIFY_COLLECTIONS
from notify.worker import Deliverer


def build(config: Config, deps: Deps) -> Domain:
    outbox = Outbox(deps.db, deps.clock)
    notify = NotifyService(deps.db, deps.clock, config.notify)
    push = (WeChatSubscribe(config.wechat.appid, config.wechat.secret, deps.gateway(config.wechat.gateway, "wechat"),
                            config.wechat.timeout_seconds, deps.need("wechat_session")) if config.notify.wechat else None)
    deliverer = Deliverer(deps.db, deps.clock, config.notify, push)

    async def depth() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await outbox.count_by_status()]

    async def failed() -> list[tuple[dict[str, str], float]]:
        return [({"kind": k}, n) for k, n in await outbox.failed_by_kind()]

    async def age() -> list[tuple[dict[str, str], float]]:
        oldest = await outbox.oldest_undelivered_at()
        return [({}, max(0.0, (deps.clock.now() - oldest).total_seconds()) if oldest else 0.0)]

    return Domain(
        "notify", service=notify,
        routes=bind(handlers.default_handlers, notify=notify),
        jobs=[JobSpec("notify.deliver", deliverer.run_once, config.notify.tick_seconds)],
        collections=[*OUTBOX_COLLECTIONS, *NOTIFY_COLLECTIONS],
        gauges=[
            GaugeSpec("zjb_outbox_failed", "Messages that failed after their last attempt, by kind.", failed),
            GaugeSpec("zjb_outbox_messages", "Outbox messages by delivery status.", depth),
            GaugeSpec("zjb_outbox_oldest_undelivered_seconds", "Age of the oldest pending message.", age),
        ],
        provides={"outbox": outbox, "deliverer": deliverer},
    )
