"""HTTP for the working calendar: admins enter a year's official schedule; supervisors read it."""
from __future__ import annotations

from typing import Any

from backend.calendar import schemas as s
from backend.calendar.access import CALENDAR
from backend.calendar.service import CalendarService
from backend.core import errors
from backend.core.api import ApiHandler, operation, route

TAGS = ("工作日历",)


class _Handler(ApiHandler):
    calendar: CalendarService   # bound by the builder


def _year(value: str) -> int:
    if not (value.isdigit() and len(value) == 4):
        raise errors.InvalidInput({"year": "年份须为四位数字，如 2027"})
    return int(value)


class CalendarHandler(_Handler):
    @operation("工作日历：各年度放假安排及其来源（软件包、录入、暂定）", tags=TAGS, auth="staff",
               access=CALENDAR.rule("read"), responses={200: s.OVERVIEW}, errors=(401, 403))
    async def get(self) -> None:
        self.reply(await self.calendar.overview())


class CalendarYearHandler(_Handler):
    @operation("录入某年度的国务院放假安排（放假日与调休上班日）", tags=TAGS, auth="staff",
               access=CALENDAR.rule("enter"), body=s.YEAR_IN, responses={200: s.YEAR}, errors=(400, 401, 403, 409),
               description="录入后：改为放假的日子取消其中的预约并通知群众；按暂定日历计算的办理时限重新计算并告知。")
    async def put(self, year: str) -> None:
        self.reply(await self.calendar.enter(self.principal, _year(year), self.body, self.client_ip()))


class CalendarPreviewHandler(_Handler):
    @operation("预览录入某年度放假安排的影响（不保存）", tags=TAGS, auth="staff",
               access=CALENDAR.rule("preview"), body=s.YEAR_IN, responses={200: s.PREVIEW}, errors=(400, 401, 403))
    async def post(self, year: str) -> None:
        self.reply(await self.calendar.preview(_year(year), self.body))


default_handlers: list[tuple[str, type, dict[str, Any], str]] = [
    route("/api/v1/staff/calendar", CalendarHandler),
    route("/api/v1/staff/calendar/{year}", CalendarYearHandler),
    route("/api/v1/staff/calendar/{year}/preview", CalendarPreviewHandler),
]
