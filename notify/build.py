"""Build notifications: the outbox every domain writes to, the inbox, consent, staff alerts and
the delivery worker."""
from __future__ import annotations

from dataclasses import dataclass

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, GaugeSpec, JobSpec
from backend.core.infra import Infra
from backend.core.migrations import Migration
from backend.core.phrasing import EventWordsSource
from notify import handlers, words
from notify.channels import WeChatSubscribe
from notify.messages import Messages
from notify.outbox import Outbox
from notify.personal import MessageData
from notify.ports import Recipients
from notify.service import NotifyService
from notify.store import COLLECTIONS, ConsentStore, InboxStore, OutboxStore, StaffAlertStore
from notify.worker import Deliverer


@dataclass(frozen=True)
class Needs:
    users: Recipients
    events: EventWordsSource   # every domain's events (the lexicon), looked up when a message is made


@dataclass(frozen=True)
class NotifyProvides:
    outbox: Outbox          # every domain emits its events and staff alerts here
    deliverer: Deliverer    # the delivery worker (tests drive it directly)
    personal: MessageData   # a resident's messages and consents, in their data and at cancellation


def build(config: Config, infra: Infra, needs: Needs) -> Built[NotifyProvides]:
    clock, cfg = infra.clock, config.notify
    outbox_store, alerts = OutboxStore(infra.db), StaffAlertStore(infra.db)
    inbox, consent = InboxStore(infra.db), ConsentStore(infra.db)
    messages = Messages(needs.events)
    outbox = Outbox(outbox_store, alerts, clock, messages)
    notify = NotifyService(inbox=inbox, consent=consent, alerts=alerts, clock=clock, config=cfg)
    push = (WeChatSubscribe(config.wechat.appid, config.wechat.secret, infra.gateway(config.wechat.gateway, "wechat"),
                            config.wechat.timeout_seconds, infra.wechat_session).sized(infra.provider_limits)
            if cfg.wechat else None)
    deliverer = Deliverer(outbox=outbox_store, inbox=inbox, consent=consent, users=needs.users,
                          clock=clock, config=cfg, wechat=push, messages=messages)

    async def depth() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await outbox_store.count_by_status()]

    async def failed() -> list[tuple[dict[str, str], float]]:
        return [({"kind": k}, n) for k, n in await outbox_store.failed_by_kind()]

    async def overdue() -> list[tuple[dict[str, str], float]]:
        return [({}, (await outbox_store.most_overdue(clock.now())).total_seconds())]

    return Built(Domain(
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
        migrations=[Migration("2026.11-00-outbox-indexes", "删去发件箱不再使用的索引",
                              outbox_store.drop_obsolete_indexes)],
    ), NotifyProvides(outbox=outbox, deliverer=deliverer,
                                    personal=MessageData(notify=notify, outbox=outbox_store)))
