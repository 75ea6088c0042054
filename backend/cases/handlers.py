"""HTTP for cases (办件), ratings and supervision. Thin: the rules are in ``service.py``."""
from __future__ import annotations

from backend.cases import schemas as s
from backend.cases.access import CASE, RATING, RECTIFICATION
from backend.cases.service import CaseService
from backend.cases.trend import SupervisionTrend
from backend.cases.worklist import CaseWorklist
from backend.core.api import CallerHandler, operation, route
from backend.core.ratelimit import RateLimiter
from backend.core.schema import list_of, obj, string

TAGS = ("办件",)


class CasesHandler(CallerHandler):
    """What every handler of cases is given (``build.py`` binds them) and who called it."""
    cases: CaseService
    trend: SupervisionTrend
    worklist: CaseWorklist
    limiter: RateLimiter


class ApplicationsHandler(CasesHandler):
    @operation("网上申报：提交办件", tags=TAGS, auth="resident",
               access=CASE.rule("apply"), body=s.SUBMIT, responses={201: s.CASE, 200: s.CASE},
               errors=(400, 401, 403, 409), description=s.ONCE)
    async def post(self) -> None:
        await self.limiter.per_resident("applications", self.resident.id)
        case, made = await self.cases.submit(self.resident, self.body, self.client_ip(),
                                             key=self.request.headers.get("Idempotency-Key"))
        self.reply(case, 201 if made else 200)

    @operation("我的办件", tags=TAGS, auth="resident", query=obj({"cursor": string(maxLength=64),
                                                                "limit": {"type": "integer", "minimum": 1,
                                                                          "maximum": 100}}),
               responses={200: s.CASES}, errors=(400, 401))
    async def get(self) -> None:
        self.reply(await self.cases.list_own(self.resident, cursor=self.query.get("cursor"),
                                                 limit=self.query.get("limit", 50)))


class ApplicationHandler(CasesHandler):
    @operation("办件详情与进度（时间线）", tags=TAGS, auth="resident",
               access=CASE.rule("view"), responses={200: s.CASE}, errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.cases.get_own(self.resident, id))


class ResubmitHandler(CasesHandler):
    @operation("补正后重新提交", tags=TAGS, auth="resident",
               access=CASE.rule("resubmit"), body=s.RESUBMIT, responses={200: s.CASE},
               errors=(400, 401, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.cases.resubmit(self.resident, id, self.body))


class WithdrawHandler(CasesHandler):
    @operation("撤回申请（已提交或待补正时）", tags=TAGS, auth="resident",
               access=CASE.rule("withdraw"), responses={200: s.CASE},
               errors=(401, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.cases.transition(self.resident, id, "withdrawn", note="申请人撤回"))


class RatingHandler(CasesHandler):
    @operation("评价（好差评，每件一次）", tags=TAGS, auth="resident",
               access=CASE.rule("rate"), body=s.RATING_IN, responses={201: s.RATING},
               errors=(400, 401, 404, 409),
               description="已办结、不予批准（含不予受理）或受理后撤回的办件可以评价；其他状态为 409 invalid_state。")
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.cases.rate(self.resident, id, self.body), 201)


class StaffApplicationsHandler(CasesHandler):
    @operation("办件列表（按状态、部门、红黄绿灯）；按办件编号、申请人姓名或身份证号查找", tags=TAGS, auth="staff",
               access=CASE.rule("list"), query=s.LIST_QUERY, responses={200: s.CASES}, errors=(400, 401, 403),
               description="给出 serial 或 q 时只按其查找，不再按状态等筛选；按姓名或身份证号查找记入审计日志。"
                           "姓名须为完整姓名、身份证号须为完整号码，均精确匹配。")
    async def get(self) -> None:
        self.reply(await self.worklist.list_staff(self.staff, self.query, self.client_ip()))

    @operation("窗口收件：为居民登记办件（居民出示办事码，或凭居民给本人的帮办授权）", tags=TAGS, auth="staff",
               access=CASE.rule("register"), body=s.STAFF_SUBMIT, responses={201: s.CASE}, errors=(400, 401, 403, 409),
               description="既无有效授权也无当前办事码时为 403 authorization_required。")
    async def post(self) -> None:
        self.reply(await self.cases.register(self.staff, self.body, self.client_ip()), 201)


class StaffApplicationCountsHandler(CasesHandler):
    @operation("待办数：各在办状态的办件数与最早提交时间，容缺材料待补齐与已逾期数", tags=TAGS, auth="staff",
               access=CASE.rule("list"), responses={200: s.COUNTS}, errors=(401, 403))
    async def get(self) -> None:
        self.reply(await self.worklist.counts(self.staff))


class StaffApplicationHandler(CasesHandler):
    @operation("办件详情（含经办人、申请人脱敏信息）；{id} 也可以是办件编号", tags=TAGS, auth="staff",
               access=CASE.rule("inspect"), responses={200: s.CASE}, errors=(401, 403, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.cases.get_staff(self.staff, id))


class TransitionHandler(CasesHandler):
    @operation("办件流转：受理、审查、批准、驳回、补正、办结", tags=TAGS, auth="staff",
               access=CASE.rule("move"), body=s.TRANSITION, responses={200: s.CASE},
               errors=(400, 401, 403, 404, 409),
               description="状态机不允许的流转为 409 invalid_state；两人同时操作同一办件，只有一人成功。")
    async def post(self, id: str) -> None:  # noqa: A002
        b = self.body
        self.reply(await self.cases.transition(self.staff, id, b["to"], note=b.get("note"), reason=b.get("reason"),
                                                   missing=b.get("missing"), due=b.get("due"), ip=self.client_ip(),
                                                   material_keys=b.get("materials"),
                                                   promise_reason=b.get("promise_reason")))


class MaterialReviewHandler(CasesHandler):
    @operation("审核一项申请材料：认可或不予认可（附原因，补正时默认列入）", tags=TAGS, auth="staff",
               access=CASE.rule("review_material"), body=s.REVIEW, responses={200: s.CASE},
               errors=(400, 401, 403, 404, 409))
    async def post(self, id: str, key: str) -> None:  # noqa: A002
        self.reply(await self.cases.review_material(self.staff, id, key, self.body["verdict"],
                                                    self.body.get("reason"), self.client_ip()))


class SupplyHandler(CasesHandler):
    @operation("补交容缺材料（上传文件或电子证照）", tags=TAGS, auth="resident",
               access=CASE.rule("supply"), body=s.SUPPLY, responses={200: s.CASE},
               errors=(400, 401, 404, 409),
               description="只能补交容缺受理时承诺补齐、尚未补齐的材料；补交后该承诺即为已补齐。")
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.cases.supply_materials(self.resident, id, self.body))


class MaterialReceiveHandler(CasesHandler):
    @operation("窗口收取容缺材料（纸质）", tags=TAGS, auth="staff", access=CASE.rule("receive_material"),
               responses={200: s.CASE},
               errors=(401, 403, 404, 409))
    async def post(self, id: str, key: str) -> None:  # noqa: A002
        self.reply(await self.cases.receive_material(self.staff, id, key, self.client_ip()))


class SupervisionCasesHandler(CasesHandler):
    @operation("电子监察：按红黄绿灯、部门查看在办办件", tags=("电子监察",), auth="staff",
               access=CASE.rule("supervise"),
               query=s.LIST_QUERY, responses={200: s.CASES}, errors=(400, 401, 403))
    async def get(self) -> None:
        self.reply(await self.worklist.list_staff(self.staff, {**self.query, "open_only": True}))


class SupervisionSummaryHandler(CasesHandler):
    @operation("电子监察：各部门按时办结率、平均用时、满意度", tags=("电子监察",), auth="staff",
               access=CASE.rule("supervise"),
               responses={200: s.SUMMARY}, errors=(401, 403))
    async def get(self) -> None:
        self.reply(await self.cases.summary(self.staff))


class SupervisionTrendHandler(CasesHandler):
    @operation("电子监察：按日或按周的收件、办结、逾期办件与满意度", tags=("电子监察",), auth="staff",
               access=CASE.rule("supervise"), query=s.TREND_QUERY, responses={200: s.TREND}, errors=(400, 401, 403),
               description="from、to 为包含的起止日期（默认：按周为最近 8 周，按日为最近 14 天）；按周时扩展为整周。"
                           "按日最长 62 天，按周最长 53 周，超出或起止颠倒为 400。逾期：截止时间落在该期内、"
                           "已过截止时间而未办结（或未作出不予受理、不予批准决定）的办件，不含撤回和补正中的。")
    async def get(self) -> None:
        self.reply(await self.trend.trend(self.staff, self.query))


class RatingsHandler(CasesHandler):
    @operation("好差评列表", tags=("电子监察",), auth="staff", access=RATING.rule("list"),
               responses={200: list_of(s.RATING)},
               errors=(401, 403))
    async def get(self) -> None:
        self.reply({"items": await self.cases.list_ratings(self.staff), "next_cursor": None})


class RectificationsHandler(CasesHandler):
    @operation("整改单列表", tags=("电子监察",), auth="staff", access=RECTIFICATION.rule("list"),
               query=obj({"status": string(enum=["open", "replied", "closed"])}),
               responses={200: list_of(s.RECTIFICATION)}, errors=(400, 401, 403))
    async def get(self) -> None:
        self.reply({"items": await self.cases.list_rectifications(self.staff, self.query.get("status")),
                    "next_cursor": None})


class RectificationReplyHandler(CasesHandler):
    @operation("答复整改单（答复发送给评价人）", tags=("电子监察",), auth="staff",
               access=RECTIFICATION.rule("reply"), body=s.REPLY, responses={200: s.RECTIFICATION},
               errors=(400, 401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.cases.reply_rectification(self.staff, id, self.body["reply"], self.client_ip()))


class RectificationCloseHandler(CasesHandler):
    @operation("关闭整改单", tags=("电子监察",), auth="staff", access=RECTIFICATION.rule("close"),
               body=s.CLOSE,
               responses={200: s.RECTIFICATION}, errors=(400, 401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.cases.close_rectification(self.staff, id, self.body.get("note"), self.client_ip()))


default_handlers = [
    route("/api/v1/applications", ApplicationsHandler),
    route("/api/v1/applications/{id}", ApplicationHandler),
    route("/api/v1/applications/{id}/resubmit", ResubmitHandler),
    route("/api/v1/applications/{id}/withdraw", WithdrawHandler),
    route("/api/v1/applications/{id}/materials", SupplyHandler),
    route("/api/v1/applications/{id}/rating", RatingHandler),
    route("/api/v1/staff/applications", StaffApplicationsHandler),
    route("/api/v1/staff/applications/counts", StaffApplicationCountsHandler),  # before {id}
    route("/api/v1/staff/applications/{id}", StaffApplicationHandler),
    route("/api/v1/staff/applications/{id}/transition", TransitionHandler),
    route("/api/v1/staff/applications/{id}/materials/{key}/review", MaterialReviewHandler),
    route("/api/v1/staff/applications/{id}/materials/{key}/received", MaterialReceiveHandler),
    route("/api/v1/staff/supervision/cases", SupervisionCasesHandler),
    route("/api/v1/staff/supervision/summary", SupervisionSummaryHandler),
    route("/api/v1/staff/supervision/trend", SupervisionTrendHandler),
    route("/api/v1/staff/ratings", RatingsHandler),
    route("/api/v1/staff/rectifications", RectificationsHandler),
    route("/api/v1/staff/rectifications/{id}/reply", RectificationReplyHandler),
    route("/api/v1/staff/rectifications/{id}/close", RectificationCloseHandler),
]
