"""HTTP for residents' notifications: consent for subscribe messages, and the inbox (站内信)."""
from __future__ import annotations

from backend.core.access import Resident, access_resident
from backend.core.api import ApiHandler, operation, route
from backend.core.schema import DATETIME, array, boolean, integer, list_of, nullable, obj, string
from notify.access import STAFF_ALERTS
from notify.service import NotifyService

TAGS = ("消息",)
SUBS = obj({"templates": array(obj({"key": string(), "template_id": string(), "title": string()},
                                   ["key", "template_id", "title"])),
            "quota": {"type": "object", "additionalProperties": {"type": "integer"}}}, ["templates", "quota"])
ACCEPT = obj({"accepted": array(string(minLength=1, maxLength=40), maxItems=5,
                                description="wx.requestSubscribeMessage 中用户同意的模板 key")}, ["accepted"])
MESSAGE = obj({"id": string(), "kind": string(), "title": string(), "text": string(),
               "body": string(description="同 text（小程序读取的字段名）"), "read": boolean(),
               "created_at": DATETIME, "ref": {"type": "object"}},
              ["id", "kind", "title", "text", "read", "created_at"])
INBOX = obj({**list_of(MESSAGE)["properties"], "unread": integer()}, ["items", "next_cursor", "unread"])
INBOX_QUERY = obj({"unread": boolean(), "cursor": string(maxLength=64), "limit": integer(minimum=1, maximum=100)})
ALERTS = list_of(obj({"id": string(), "kind": string(), "text": string(), "application_id": nullable(string()),
                      "department_id": nullable(string()), "created_at": DATETIME},
                     ["id", "kind", "text", "created_at"]))


class _Handler(ApiHandler):
    notify: NotifyService      # given by the builder (route keyword)

    @property
    def resident(self) -> Resident:
        return access_resident(self.principal)


class SubscriptionsHandler(_Handler):
    @operation("订阅消息：应请求授权的模板及剩余额度", tags=TAGS, auth="resident", responses={200: SUBS}, errors=(401,))
    async def get(self) -> None:
        self.reply(await self.notify.subscriptions(self.resident))

    @operation("记录 wx.requestSubscribeMessage 的授权结果（一次性订阅：每次同意可发一条）", tags=TAGS,
               auth="resident", body=ACCEPT, responses={200: SUBS}, errors=(400, 401))
    async def post(self) -> None:
        self.reply(await self.notify.accept(self.resident, self.body["accepted"]))


class InboxHandler(_Handler):
    @operation("我的站内信", tags=TAGS, auth="resident", query=INBOX_QUERY, responses={200: INBOX}, errors=(400, 401))
    async def get(self) -> None:
        self.reply(await self.notify.list_inbox(self.resident, unread=self.query.get("unread"),
                                                    cursor=self.query.get("cursor"),
                                                    limit=self.query.get("limit", 50)))


class InboxReadHandler(_Handler):
    @operation("标记站内信为已读", tags=TAGS, auth="resident", responses={200: MESSAGE}, errors=(401, 404))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.notify.mark_read(self.resident, id))


class StaffInboxHandler(_Handler):
    @operation("工作人员提醒（时限预警、整改）", tags=TAGS, auth="staff", access=STAFF_ALERTS.rule("read"),
               responses={200: ALERTS}, errors=(401, 403))
    async def get(self) -> None:
        self.reply({"items": await self.notify.staff_alerts(), "next_cursor": None})


default_handlers = [
    route("/api/v1/me/subscriptions", SubscriptionsHandler),
    route("/api/v1/me/inbox", InboxHandler),
    route("/api/v1/me/inbox/{id}/read", InboxReadHandler),
    route("/api/v1/staff/inbox", StaffInboxHandler),
]
