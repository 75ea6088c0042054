"""Build notifications: the outbox every domain writes to, the inbox, consent, staff alerts and
the delivery worker."""
from __future__ import annotations

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, GaugeSpec, JobSpec
from notify import handlers, words
from notify.channels import WeChatSubscribe
from notify.messages import Messages
from notify.outbox import Outbox
from notify.service import NotifyService
from notify.store import COLLECTIONS, ConsentStore, InboxStore, OutboxStore, StaffAlertStore
from notify.worker import Deliverer


def build(config: Config, deps: Deps) -> Domain:
    clock, cfg = deps.clock, config.notify
    outbox_store, alerts = OutboxStore(deps.db), StaffAlertStore(deps.db)
    inbox, consent = InboxStore(deps.db), ConsentStore(deps.db)
    messages = Messages(deps.need("lexicon"))  # every domain's events, registered as they are built
    outbox = Outbox(outbox_store, alerts, clock, messages)
    notify = NotifyService(inbox=inbox, consent=consent, alerts=alerts, clock=clock, config=cfg)
    push = (WeChatSubscribe(config.wechat.appid, config.wechat.secret, deps.gateway(config.wechat.gateway, "wechat"),
                            config.wechat.timeout_seconds, deps.need("wechat_session")) if cfg.wechat else None)
    deliverer = Deliverer(outbox=outbox_store, inbox=inbox, consent=consent, users=deps.need("user_directory"),
                          clock=clock, config=cfg, wechat=push, messages=messages)

    async def depth() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await outbox_store.count_by_status()]

    async def failed() -> list[tuple[dict[str, str], float]]:
        return [({"kind": k}, n) for k, n in await outbox_store.failed_by_kind()]

    async def overdue() -> list[tuple[dict[str, str], float]]:
        return [({}, (await outbox_store.most_overdue(clock.now())).total_seconds())]

    return Domain(
        "notify", words=words.WORDS, service=notify,
        routes=bind(handlers.default_handlers, notify=notify),
        jobs=[JobSpec("notify.deliver", deliverer.run_once, cfg.tick_seconds)],
        collections=list(COLLECTIONS),
        gauges=[
            GaugeSpec("zjb_outbox_failed", "Messages that failed after their last attempt, by kind.", failed),
            GaugeSpec("zjb_outbox_messages", "Outbox messages by delivery status.", depth),
            GaugeSpec("zjb_outbox_oldest_undelivered_seconds",
                      "How long the longest-waiting due message has been waiting past its time.", overdue),
        ],
        provides={"outbox": outbox, "deliverer": deliverer},
    )
