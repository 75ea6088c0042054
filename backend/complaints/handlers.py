"""HTTP for complaints (12345 / 找茬). Thin: the rules are in ``service.py``."""
from __future__ import annotations

from backend.complaints import schemas as s
from backend.complaints.access import COMPLAINT
from backend.complaints.service import ComplaintService
from backend.core.api import CallerHandler, operation, route
from backend.core.ratelimit import RateLimiter

TAGS = ("12345 诉求",)
STAFF_TAGS = ("工作人员：12345 工单",)


class _Handler(CallerHandler):
    complaints: ComplaintService     # given by the builder (route keywords)
    limiter: RateLimiter


class ComplaintsHandler(_Handler):
    @operation("反映问题：投诉、求助、建议或咨询", tags=TAGS, auth="resident", body=s.SUBMIT,
               responses={201: s.COMPLAINT},
               errors=(400, 401, 429), description="返回工单号和当前阶段的到期时间（按工作日计）。")
    async def post(self) -> None:
        await self.limiter.per_resident("complaints", self.resident.id)
        self.reply(await self.complaints.submit(self.resident, self.body), 201)

    @operation("我的工单", tags=TAGS, auth="resident", query=s.MY_QUERY, responses={200: s.COMPLAINTS},
               errors=(400, 401))
    async def get(self) -> None:
        self.reply(await self.complaints.list_own(self.resident, cursor=self.query.get("cursor"),
                                                  limit=self.query.get("limit", 50)))


class ComplaintHandler(_Handler):
    @operation("工单详情：办理过程与答复", tags=TAGS, auth="resident", responses={200: s.COMPLAINT}, errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.complaints.get_own(self.resident, id))


class FeedbackHandler(_Handler):
    @operation("评价答复是否满意（不满意可退回重办一次）", tags=TAGS, auth="resident", body=s.FEEDBACK,
               responses={200: s.COMPLAINT}, errors=(400, 401, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.complaints.feedback(self.resident, id, self.body))


class StaffComplaintsHandler(_Handler):
    @operation("工单列表（按状态、部门、红黄绿灯）", tags=STAFF_TAGS, auth="staff", access=COMPLAINT.rule("list"),
               query=s.STAFF_QUERY,
               responses={200: s.COMPLAINTS}, errors=(400, 401, 403))
    async def get(self) -> None:
        self.reply(await self.complaints.list_staff(self.staff, self.query, self.client_ip()))


class StaffComplaintCountsHandler(_Handler):
    @operation("待办数：待分派和办理中的工单数与最早收到时间", tags=STAFF_TAGS, auth="staff",
               access=COMPLAINT.rule("list"), responses={200: s.COUNTS}, errors=(401, 403))
    async def get(self) -> None:
        self.reply(await self.complaints.waiting(self.staff))


class StaffComplaintHandler(_Handler):
    @operation("工单详情（含经办人）", tags=STAFF_TAGS, auth="staff", access=COMPLAINT.rule("read"),
               responses={200: s.COMPLAINT},
               errors=(401, 403, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.complaints.get_staff(self.staff, id))


class AssignHandler(_Handler):
    @operation("12345 热线分派工单到承办部门", tags=STAFF_TAGS, auth="staff", access=COMPLAINT.rule("assign"),
               body=s.ASSIGN,
               responses={200: s.COMPLAINT}, errors=(400, 401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.complaints.assign(self.staff, id, self.body["department_id"], self.body.get("note"),
                                                self.client_ip()))


class ReplyHandler(_Handler):
    @operation("答复工单：承办部门答复已分派的工单，12345 热线可直接答复待分派的工单", tags=STAFF_TAGS, auth="staff",
               access=COMPLAINT.rule("reply"), body=s.REPLY, responses={200: s.COMPLAINT},
               errors=(400, 401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.complaints.reply(self.staff, id, self.body["reply"], self.client_ip()))


class ContactHandler(_Handler):
    @operation("查看群众留下的联系电话（正在办理的工作人员；记入审计日志）", tags=STAFF_TAGS, auth="staff",
               access=COMPLAINT.rule("contact"), responses={200: s.CONTACT}, errors=(401, 403, 404, 409),
               description="待分派时 12345 热线可看，已分派后承办部门可看；群众不同意联系或未留电话时 404。")
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.complaints.contact(self.staff, id, self.client_ip()))


class MergeHandler(_Handler):
    @operation("合并重复工单（答复原工单时一并告知）", tags=STAFF_TAGS, auth="staff", access=COMPLAINT.rule("merge"),
               body=s.MERGE,
               responses={200: s.COMPLAINT}, errors=(400, 401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.complaints.merge(self.staff, id, self.body["into"], self.client_ip()))


class SummaryHandler(_Handler):
    @operation("12345 工单：各部门受理量、按时答复率、满意率", tags=("电子监察",), auth="staff",
               access=COMPLAINT.rule("summary"), responses={200: s.FIGURES}, errors=(401, 403))
    async def get(self) -> None:
        self.reply(await self.complaints.summary(self.staff))


default_handlers = [
    route("/api/v1/complaints", ComplaintsHandler),
    route("/api/v1/complaints/{id}", ComplaintHandler),
    route("/api/v1/complaints/{id}/feedback", FeedbackHandler),
    route("/api/v1/staff/complaints", StaffComplaintsHandler),
    route("/api/v1/staff/complaints/summary", SummaryHandler),
    route("/api/v1/staff/complaints/counts", StaffComplaintCountsHandler),
    route("/api/v1/staff/complaints/{id}", StaffComplaintHandler),
    route("/api/v1/staff/complaints/{id}/assign", AssignHandler),
    route("/api/v1/staff/complaints/{id}/reply", ReplyHandler),
    route("/api/v1/staff/complaints/{id}/merge", MergeHandler),
    route("/api/v1/staff/complaints/{id}/contact", ContactHandler),
]
