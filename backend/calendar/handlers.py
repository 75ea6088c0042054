"""HTTP for the working calendar: admins enter a year's official schedule; supervisors read it."""
from __future__ import annotations

from backend.calendar import schemas as s
from backend.core import errors
from backend.core.api import ApiHandler, operation, route

TAGS = ("工作日历",)


def _year(value: str) -> int:
    if not (value.isdigit() and len(value) == 4):
        raise errors.InvalidInput({"year": "年份须为四位数字，如 2027"})
    return int(value)


class CalendarHandler(ApiHandler):
    @operation("工作日历：各年度放假安排及其来源（软件包、录入、暂定）", tags=TAGS, auth="staff",
               roles=("admin", "supervisor"), responses={200: s.OVERVIEW}, errors=(401, 403))
    async def get(self) -> None:
        self.reply(await self.calendar.overview())


class CalendarYearHandler(ApiHandler):
    @operation("录入某年度的国务院放假安排（放假日与调休上班日）", tags=TAGS, auth="staff", roles=("admin",),
               body=s.YEAR_IN, responses={200: s.YEAR}, errors=(400, 401, 403, 409),
               description="录入后：改为放假的日子取消其中的预约并通知群众；按暂定日历计算的办理时限重新计算并告知。")
    async def put(self, year: str) -> None:
        self.reply(await self.calendar.enter(self.principal, _year(year), self.body, self.client_ip()))


class CalendarPreviewHandler(ApiHandler):
    @operation("预览录入某年度放假安排的影响（不保存）", tags=TAGS, auth="staff", roles=("admin",),
               body=s.YEAR_IN, responses={200: s.PREVIEW}, errors=(400, 401, 403))
    async def post(self, year: str) -> None:
        self.reply(await self.calendar.preview(_year(year), self.body))


default_handlers = [
    route("/api/v1/staff/calendar", CalendarHandler),
    route("/api/v1/staff/calendar/{year}", CalendarYearHandler),
    route("/api/v1/staff/calendar/{year}/preview", CalendarPreviewHandler),
]
