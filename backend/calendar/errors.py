"""The errors of the working calendar: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict


class CalendarChanged(Conflict):
    code = "calendar_changed"
    message = "该年度放假安排刚被他人修改，请刷新后重试"


ALL = (CalendarChanged,)
