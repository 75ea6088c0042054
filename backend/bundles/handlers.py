"""HTTP for life events (一件事) and bundles. Thin: the rules are in ``service.py``."""
from __future__ import annotations

from typing import Any

from backend.bundles import schemas as s
from backend.bundles.access import BUNDLE, LIFE_EVENT
from backend.bundles.service import BundleService
from backend.cases.schemas import ONCE
from backend.core.api import CallerHandler, operation, route

TAGS = ("一件事",)
STAFF_TAGS = ("工作人员：一件事",)


class BundlesBase(CallerHandler):
    """What every handler of bundles is given (``build.py`` binds them) and who called it."""
    bundles: BundleService
    limiter: Any


class LifeEventsHandler(BundlesBase):
    @operation("“一件事”主题：包含的事项、合并后的申请表和材料清单", tags=TAGS, responses={200: s.LIFE_EVENTS})
    async def get(self) -> None:
        self.reply_kept(await self.bundles.events())


class LifeEventHandler(BundlesBase):
    @operation("“一件事”主题详情", tags=TAGS, responses={200: s.LIFE_EVENT}, errors=(404,))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.bundles.event(id))


class ApplyHandler(BundlesBase):
    @operation("一次申报“一件事”：一张表、一套材料，每个事项生成一个办件（全部生成或全部不生成）", tags=TAGS,
               auth="resident", access=BUNDLE.rule("apply"), body=s.APPLY,
               responses={201: s.BUNDLE_CREATED, 200: s.BUNDLE_CREATED},
               errors=(400, 401, 403, 404, 409, 429), description=ONCE)
    async def post(self, id: str) -> None:  # noqa: A002
        await self.limiter.per_resident("applications", self.resident.id)
        bundle, made = await self.bundles.apply(self.resident, id, self.body,
                                                key=self.request.headers.get("Idempotency-Key"))
        self.reply(bundle, 201 if made else 200)


class BundlesHandler(BundlesBase):
    @operation("我的“一件事”", tags=TAGS, auth="resident", query=s.LIST_QUERY, responses={200: s.BUNDLES},
               errors=(400, 401))
    async def get(self) -> None:
        self.reply(await self.bundles.list_own(self.resident, cursor=self.query.get("cursor"),
                                               limit=self.query.get("limit", 20)))


class BundleHandler(BundlesBase):
    @operation("“一件事”进度：总体状态与每个办件的状态", tags=TAGS, auth="resident", access=BUNDLE.rule("view"),
               responses={200: s.BUNDLE},
               errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.bundles.get_own(self.resident, id))


class StaffBundlesHandler(BundlesBase):
    @operation("按一件事编号、申请人姓名或身份证号查找一件事", tags=STAFF_TAGS, auth="staff",
               access=BUNDLE.rule("inspect"), query=s.STAFF_QUERY,
               responses={200: s.BUNDLES}, errors=(400, 401, 403),
               description="须给出 serial 或 q（都没有时为 400 invalid_input）。q 为一件事编号时按编号查找；"
                           "否则为申请人的完整姓名或完整身份证号，精确匹配，最新的在前，此类查找记入审计日志。")
    async def get(self) -> None:
        self.reply(await self.bundles.find_staff(self.staff, self.query, self.client_ip()))


class StaffBundleHandler(BundlesBase):
    @operation("“一件事”详情", tags=STAFF_TAGS, auth="staff", access=BUNDLE.rule("inspect"),
               responses={200: s.BUNDLE},
               errors=(401, 403, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.bundles.get_staff(self.staff, id))


class BundlePaymentHandler(BundlesBase):
    @operation("为“一件事”开具一张缴款单：每个收费事项一项，一次缴清，票据逐项列明", tags=STAFF_TAGS, auth="staff",
               access=BUNDLE.rule("pay"), responses={201: s.PAYMENT}, errors=(401, 403, 404, 409),
               description="已有未关闭的缴款单时为 409 bundle_payment_exists；均不收费时为 409 nothing_to_pay；"
                           "其中某个办件的某项费用已有待支付或已支付的缴款单时为 409 duplicate_order"
                           "（details 指明该缴款单）；"
                           "收费项目没有收款单位时为 409 payee_unit_missing。")
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.bundles.raise_payment(self.staff, id, self.client_ip()), 201)


class StaffLifeEventHandler(BundlesBase):
    @operation("新增或修改“一件事”主题（事项、合并表单、共享材料）", tags=STAFF_TAGS, auth="staff",
               access=LIFE_EVENT.rule("define"), body=s.EVENT_IN, responses={200: s.LIFE_EVENT},
               errors=(400, 401, 403))
    async def put(self, id: str) -> None:  # noqa: A002
        self.reply(await self.bundles.put_event(self.staff, id, self.body, self.client_ip()))


default_handlers = [
    route("/api/v1/life-events", LifeEventsHandler),
    route("/api/v1/life-events/{id}", LifeEventHandler),
    route("/api/v1/life-events/{id}/applications", ApplyHandler),
    route("/api/v1/bundles", BundlesHandler),
    route("/api/v1/bundles/{id}", BundleHandler),
    route("/api/v1/staff/bundles", StaffBundlesHandler),
    route("/api/v1/staff/bundles/{id}", StaffBundleHandler),
    route("/api/v1/staff/bundles/{id}/payment", BundlePaymentHandler),
    route("/api/v1/staff/life-events/{id}", StaffLifeEventHandler),
]
