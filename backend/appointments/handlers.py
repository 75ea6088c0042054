"""HTTP for slots, appointments, the waitlist and the hall queue. Thin: parse, call, answer."""
from __future__ import annotations

import asyncio
from typing import Any

from tornado.iostream import StreamClosedError

from backend.appointments import schemas as s
from backend.appointments.access import APPOINTMENT, HALL, TICKET, WAITLIST
from backend.appointments.booking import BookingService
from backend.appointments.closures import Closures
from backend.appointments.display import HallBoards
from backend.appointments.queue import QueueService
from backend.appointments.schedules import ScheduleService
from backend.appointments.values import TicketStatus
from backend.appointments.waitlist import WaitlistService
from backend.core import errors
from backend.core.api import CallerHandler, Response, bind, dumps, operation, route
from backend.core.clock import Clock

TAGS = ("预约",)
STAFF_TAGS = ("预约（大厅）",)


Routes = list[tuple[str, type, dict[str, Any], str]]


def _items(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "next_cursor": None}


class _Handler(CallerHandler):
    """What every handler of the domain is given (``routes``), and its caller once authenticated."""
    schedules: ScheduleService
    booking: BookingService
    waitlist: WaitlistService
    queue: QueueService
    closures: Closures
    boards: HallBoards
    clock: Clock
    limiter: Any


class SlotsHandler(_Handler):
    @operation("某事项某日的可预约时段（容量与余量）", tags=TAGS, query=s.SLOTS_QUERY, responses={200: s.SLOTS},
               errors=(400, 404),
               description="只列出已放号的时段；bookable=false 表示已约满、已过或距开始不足最短提前量。"
                           "last_release_date 为该事项（所选大厅）已放号的最后一天，选日期时可选到这一天。")
    async def get(self, id: str) -> None:  # noqa: A002
        hall_id = self.query.get("hall_id")
        items = await self.schedules.slots(id, self.query["date"], hall_id)
        self.reply({**_items(items), "last_release_date": await self.schedules.last_release_date(id, hall_id)})


class AppointmentsHandler(_Handler):
    @operation("预约一个时段", tags=TAGS, auth="resident", access=APPOINTMENT.rule("book"), body=s.BOOK_IN,
               responses={201: s.APPOINTMENT},
               errors=(400, 401, 403, 404, 409),
               description="403 realname_required / booking_blocked；409 slot_full、already_booked、daily_limit、"
                           "too_many_open、slot_closed、slot_not_open。")
    async def post(self) -> None:
        await self.limiter.per_resident("bookings", self.resident.id)
        self.reply(await self.booking.book(self.resident, self.body["slot_id"]), 201)

    @operation("我的预约", tags=TAGS, auth="resident", access=APPOINTMENT.rule("read"),
               responses={200: s.APPOINTMENTS}, errors=(401,))
    async def get(self) -> None:
        self.reply(_items(await self.booking.mine(self.resident)))


class AppointmentHandler(_Handler):
    @operation("预约详情（预约码、二维码、排队号）", tags=TAGS, auth="resident", access=APPOINTMENT.rule("read"),
               responses={200: s.APPOINTMENT},
               errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.booking.get_mine(self.resident, id))


class CancelHandler(_Handler):
    @operation("取消预约（开始前 2 小时以前）", tags=TAGS, auth="resident", access=APPOINTMENT.rule("cancel"),
               responses={200: s.APPOINTMENT}, errors=(401, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.booking.cancel(self.resident, id))


class QueuePositionHandler(_Handler):
    @operation("我的排队号与前面还有几人", tags=TAGS, auth="resident", access=APPOINTMENT.rule("read"),
               responses={200: s.QUEUE_POSITION},
               errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.queue.queue_position(self.resident, id))


class JoinWaitlistHandler(_Handler):
    @operation("加入约满时段的候补", tags=TAGS, auth="resident", access=WAITLIST.rule("join"),
               responses={201: s.WAITLIST}, errors=(401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.waitlist.join(self.resident, id), 201)


class MyWaitlistHandler(_Handler):
    @operation("我的候补", tags=TAGS, auth="resident", access=WAITLIST.rule("read"),
               responses={200: s.WAITLISTS}, errors=(401,))
    async def get(self) -> None:
        self.reply(_items(await self.waitlist.mine(self.resident)))


class AcceptOfferHandler(_Handler):
    @operation("接受候补名额（在期限内）", tags=TAGS, auth="resident", access=WAITLIST.rule("accept"),
               responses={201: s.APPOINTMENT},
               errors=(401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.booking.accept_offer(self.resident, id), 201)


class LeaveWaitlistHandler(_Handler):
    @operation("退出候补", tags=TAGS, auth="resident", access=WAITLIST.rule("leave"),
               responses={200: s.WAITLIST}, errors=(401, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.waitlist.leave(self.resident, id))


class BookingStatusHandler(_Handler):
    @operation("我的预约资格（是否因爽约暂停、到何时）", tags=TAGS, auth="resident",
               access=APPOINTMENT.rule("book"), responses={200: s.BOOKING_STATUS},
               errors=(401,))
    async def get(self) -> None:
        self.reply(await self.booking.booking_status(self.resident))


# -- hall managers ------------------------------------------------------------------------------
class StaffSchedulesHandler(_Handler):
    @operation("大厅的预约排班与例外日", tags=STAFF_TAGS, auth="staff", access=HALL.rule("schedules"),
               responses={200: s.SCHEDULES},
               errors=(401, 403, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.schedules.schedules(self.staff, id))

    @operation("设置大厅的预约排班（整体替换；未列出的事项停止放号）", tags=STAFF_TAGS, auth="staff",
               access=HALL.rule("schedules"), body=s.SCHEDULES_IN,
               responses={200: s.SCHEDULES}, errors=(400, 401, 403, 404))
    async def put(self, id: str) -> None:  # noqa: A002
        self.reply(await self.schedules.put_schedules(self.staff, id, self.body, self.client_ip()))


class StaffExceptionsHandler(_Handler):
    @operation("设置例外日（闭厅或加开）", tags=STAFF_TAGS, auth="staff", access=HALL.rule("schedules"),
               body=s.EXCEPTION_IN,
               responses={201: s.EXCEPTION}, errors=(400, 401, 403, 404))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.schedules.add_exception(self.staff, id, self.body, self.client_ip()), 201)


class StaffClosurePreviewHandler(_Handler):
    @operation("闭厅或停用窗口前预览：将取消多少预约和候补", tags=STAFF_TAGS, auth="staff",
               access=HALL.rule("closures"), body=s.CLOSURE_PREVIEW_IN,
               responses={200: s.CLOSURE_IMPACT}, errors=(400, 401, 403, 404),
               description="不做任何修改。停用窗口只影响仅由该窗口办理的事项。")
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.closures.preview(self.staff, id, self.body))


class StaffClosuresHandler(_Handler):
    @operation("闭厅或停用窗口（按日期）：取消当天预约与候补并通知群众", tags=STAFF_TAGS, auth="staff",
               access=HALL.rule("closures"), body=s.CLOSURE_IN,
               responses={200: s.CLOSURE_IMPACT}, errors=(400, 401, 403, 404),
               description="记为当天的闭厅例外日（停用窗口：仅由该窗口办理的事项的例外日），预约变为 "
                           "cancelled_by_centre 并注明原因，不记爽约；重复提交不会重复通知。")
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.closures.close_days(self.staff, id, self.body))


class StaffCalendarHandler(_Handler):
    @operation("大厅时段日历（含未放号时段与预约率）", tags=STAFF_TAGS, auth="staff", access=HALL.rule("calendar"),
               query=s.CALENDAR_QUERY, responses={200: s.CALENDAR}, errors=(400, 401, 403, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(_items(await self.schedules.calendar(self.staff, id, self.query["from"], self.query["to"])))


class StaffReleaseHandler(_Handler):
    @operation("立即放号：生成并开放某大厅某日的时段", tags=STAFF_TAGS, auth="staff", access=HALL.rule("schedules"),
               body=s.RELEASE_IN,
               responses={200: s.RELEASED}, errors=(400, 401, 403, 404))
    async def post(self) -> None:
        self.reply(await self.schedules.release(self.staff, self.body, self.client_ip()))


# -- window clerks ------------------------------------------------------------------------------
class StaffAppointmentsHandler(_Handler):
    @operation("大厅某日的预约；或按预约码查找一个预约", tags=STAFF_TAGS, auth="staff",
               access=APPOINTMENT.rule("find"), query=s.STAFF_APPOINTMENTS_QUERY,
               responses={200: s.APPOINTMENTS}, errors=(400, 401, 403, 404),
               description="给出 code 时按预约码查找（找不到为空列表），否则须给出 hall_id。"
                           "每个预约带有群众的脱敏姓名与身份证号。")
    async def get(self) -> None:
        if self.query.get("code"):
            self.reply(_items(await self.queue.appointment_by_code(self.staff, self.query["code"])))
            return
        if not self.query.get("hall_id"):
            raise errors.InvalidInput({"hall_id": "请选择大厅"})
        date = self.query.get("date") or self.clock.local_now().date().isoformat()
        self.reply(_items(await self.queue.hall_appointments(self.staff, self.query["hall_id"], date)))


class CheckinHandler(_Handler):
    @operation("预约签到，取排队号", tags=STAFF_TAGS, auth="staff", access=APPOINTMENT.rule("check_in"),
               body=s.CHECKIN_IN,
               responses={200: s.CHECKIN}, errors=(400, 401, 403, 404, 409),
               description="开始前 30 分钟至开始后 15 分钟内有效；409 checkin_too_early / checkin_too_late / "
                           "invalid_state。重复签到返回原排队号。")
    async def post(self) -> None:
        self.reply(await self.queue.checkin(self.staff, self.body["appointment_code"], self.client_ip()))


class WalkInHandler(_Handler):
    @operation("现场取号（未预约）", tags=STAFF_TAGS, auth="staff", access=HALL.rule("walk_in"),
               body=s.WALKIN_IN,
               responses={201: s.TICKET}, errors=(400, 401, 403, 404, 409),
               description="只在大厅开放时间内取号（当天的开放时间，或例外日的安排）；否则 409 hall_closed。")
    async def post(self) -> None:
        self.reply(await self.queue.walk_in(self.staff, self.body["hall_id"], self.body["service_id"],
                                            self.client_ip()), 201)


class QueueHandler(_Handler):
    @operation("大厅今日排队", tags=STAFF_TAGS, auth="staff", access=HALL.rule("queue"),
               query=s.HALL_QUERY,
               responses={200: s.QUEUE}, errors=(400, 401, 403, 404))
    async def get(self) -> None:
        self.reply(await self.queue.queue(self.staff, self.query["hall_id"]))


class CallNextHandler(_Handler):
    @operation("叫号：本窗口的下一位", tags=STAFF_TAGS, auth="staff", access=HALL.rule("call"), body=s.CALL_IN,
               responses={200: s.TICKET}, errors=(400, 401, 403, 404, 409))
    async def post(self, window_id: str) -> None:
        self.reply(await self.queue.call_next(self.staff, window_id, self.body["hall_id"], self.client_ip()))


class RecallHandler(_Handler):
    @operation("重呼（最多 3 次）", tags=STAFF_TAGS, auth="staff", access=TICKET.rule("recall"),
               responses={200: s.TICKET},
               errors=(401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.queue.recall(self.staff, id, self.client_ip()))


class ServedHandler(_Handler):
    @operation("办结（已服务）", tags=STAFF_TAGS, auth="staff", access=TICKET.rule("finish"),
               responses={200: s.TICKET},
               errors=(401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.queue.finish(self.staff, id, TicketStatus.SERVED, self.client_ip()))


class AbsentHandler(_Handler):
    @operation("过号（叫号未到）", tags=STAFF_TAGS, auth="staff", access=TICKET.rule("finish"),
               responses={200: s.TICKET},
               errors=(401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.queue.finish(self.staff, id, TicketStatus.ABSENT, self.client_ip()))


class HallDisplayHandler(_Handler):
    @operation("大厅叫号屏（公开）：正在叫的号与窗口、接下来的号", tags=TAGS, responses={200: s.HALL_BOARD},
               errors=(404,), description="不需登录，不含任何个人信息：只有排队号、窗口与事项。")
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.boards.board(id))


class HallDisplayEventsHandler(_Handler):
    """Server-sent events: the board at once, then each time it changes (``event: board``)."""
    _closed: asyncio.Event | None = None
    counts_as_load = False   # held open as long as the screen is on

    @operation("大厅叫号屏的实时推送（SSE，event: board，数据同 /display）", tags=TAGS,
               responses={200: Response(content_type="text/event-stream")}, errors=(404,),
               description="叫号后一秒内推送；每 15 秒一行注释保持连接。")
    async def get(self, id: str) -> None:  # noqa: A002
        board = await self.boards.board(id)   # an unknown hall: 404 before the stream starts
        self.set_header("Content-Type", "text/event-stream; charset=UTF-8")
        self.set_header("X-Accel-Buffering", "no")   # a proxy in front must not hold the events back
        self._closed = asyncio.Event()
        watching = self.boards.subscribe(id)
        try:
            await self._send(board)
            while not self._closed.is_set():
                board_or_none = await self._next(watching)
                if board_or_none is None:
                    self.write(": keep-alive\n\n")
                    await self.flush()
                else:
                    await self._send(board_or_none)
        except StreamClosedError:
            pass
        finally:
            self.boards.unsubscribe(id, watching)

    async def _next(self, watching: asyncio.Queue[dict[str, Any]]) -> dict[str, Any] | None:
        """The next board, or None after 15 s without one (or once the connection closed)."""
        assert self._closed is not None
        getting = asyncio.ensure_future(watching.get())
        closing = asyncio.ensure_future(self._closed.wait())
        done, pending = await asyncio.wait({getting, closing}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        for f in pending:
            f.cancel()
        return getting.result() if getting in done else None

    async def _send(self, board: dict[str, Any]) -> None:
        self.write(f"event: board\ndata: {dumps(board)}\n\n")
        await self.flush()

    def on_connection_close(self) -> None:
        if self._closed is not None:
            self._closed.set()
        super().on_connection_close()


default_handlers: Routes = [
    route("/api/v1/services/{id}/slots", SlotsHandler),
    route("/api/v1/appointments", AppointmentsHandler),
    route("/api/v1/appointments/{id}", AppointmentHandler),
    route("/api/v1/appointments/{id}/cancel", CancelHandler),
    route("/api/v1/appointments/{id}/queue", QueuePositionHandler),
    route("/api/v1/slots/{id}/waitlist", JoinWaitlistHandler),
    route("/api/v1/me/waitlist", MyWaitlistHandler),
    route("/api/v1/waitlist/{id}/accept", AcceptOfferHandler),
    route("/api/v1/waitlist/{id}/leave", LeaveWaitlistHandler),
    route("/api/v1/me/booking-status", BookingStatusHandler),
    route("/api/v1/staff/halls/{id}/schedules", StaffSchedulesHandler),
    route("/api/v1/staff/halls/{id}/exceptions", StaffExceptionsHandler),
    route("/api/v1/staff/halls/{id}/calendar", StaffCalendarHandler),
    route("/api/v1/staff/halls/{id}/closures/preview", StaffClosurePreviewHandler),
    route("/api/v1/staff/halls/{id}/closures", StaffClosuresHandler),
    route("/api/v1/staff/slots/release", StaffReleaseHandler),
    route("/api/v1/staff/appointments", StaffAppointmentsHandler),
    route("/api/v1/staff/checkin", CheckinHandler),
    route("/api/v1/staff/tickets", WalkInHandler),
    route("/api/v1/staff/queue", QueueHandler),
    route("/api/v1/staff/windows/{window_id}/call-next", CallNextHandler),
    route("/api/v1/staff/tickets/{id}/recall", RecallHandler),
    route("/api/v1/staff/tickets/{id}/served", ServedHandler),
    route("/api/v1/staff/tickets/{id}/absent", AbsentHandler),
    route("/api/v1/halls/{id}/display", HallDisplayHandler),
    route("/api/v1/halls/{id}/display/events", HallDisplayEventsHandler),
]


def routes(*, schedules: ScheduleService, booking: BookingService, waitlist: WaitlistService, queue: QueueService,
           closures: Closures, boards: HallBoards, clock: Clock, limiter: Any) -> Routes:
    """The domain's routes, each handler given the services it calls."""
    return bind(default_handlers, schedules=schedules, booking=booking, waitlist=waitlist, queue=queue,
                closures=closures, boards=boards, clock=clock, limiter=limiter)
