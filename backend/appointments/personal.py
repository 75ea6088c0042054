"""Appointments' part of a resident's own data: their bookings and waitlist entries.

At cancellation (注销) every booking still to come is cancelled with its place freed, and every
waitlist entry ends and is deleted. Past bookings stay as the hall's service records (whether the
resident came); they carry no WeChat identity.
"""
from __future__ import annotations

from backend.appointments.booking import BookingService
from backend.appointments.waitlist import WaitlistService
from backend.core.access import Resident
from backend.core.personal import DataSection


class AppointmentData:
    def __init__(self, *, booking: BookingService, waitlist: WaitlistService):
        self._booking = booking
        self._waitlist = waitlist

    async def sections(self, resident: Resident) -> list[DataSection]:
        return [
            DataSection("appointments", "预约记录", await self._booking.mine(resident), kept=True,
                        on_cancel="尚未到来的预约自动取消并释放名额；已过去的预约作为大厅服务记录保留"),
            DataSection("waitlist", "候补登记", await self._waitlist.mine(resident), kept=False,
                        on_cancel="全部结束并删除"),
        ]

    async def holds(self, resident_id: str) -> list[str]:
        return []

    async def forget(self, resident_id: str) -> dict[str, int]:
        return {"appointments": await self._booking.cancel_for_closed_account(resident_id),
                "waitlist": await self._waitlist.remove_all_of(resident_id)}
