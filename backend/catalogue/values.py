"""What the catalogue stores, as typed values: departments, halls (大厅) and services (事项).

A service's guide (办事指南) is kept as the validated structure the API documents (``schemas.GUIDE``);
the catalogue reads only its fee, its materials and its form from it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypedDict


class HallStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class ServiceStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class Period(TypedDict):
    weekday: int      # 1 = Monday … 7 = Sunday
    start: str        # HH:MM, Beijing time
    end: str


class Window(TypedDict):
    id: str
    number: str
    name: str
    area_prefix: str
    service_ids: list[str]


Guide = dict[str, Any]   # the guide as ``schemas.GUIDE_IN`` validates it


@dataclass(frozen=True, slots=True, kw_only=True)
class Department:
    id: str
    code: str
    name: str
    phone: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Hall:
    id: str
    code: str
    name: str
    address: str
    opening_hours: tuple[Period, ...]
    status: HallStatus
    phone: str | None = None
    closed_dates: tuple[str, ...] = ()   # YYYY-MM-DD
    open_dates: tuple[str, ...] = ()     # extra opening days, YYYY-MM-DD
    windows: tuple[Window, ...] = ()
    notice: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is HallStatus.ACTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    id: str
    code: str
    name: str
    department_id: str
    guide: Guide
    status: ServiceStatus
    hall_ids: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    frequent: bool = False
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is ServiceStatus.ACTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class HallChange:
    """What staff change in a hall; None leaves a field as it is."""
    updated_at: dt.datetime
    name: str | None = None
    address: str | None = None
    phone: str | None = None
    notice: str | None = None
    opening_hours: tuple[Period, ...] | None = None
    closed_dates: tuple[str, ...] | None = None
    open_dates: tuple[str, ...] | None = None
    windows: tuple[Window, ...] | None = None
    status: HallStatus | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceChange:
    """What staff change in a service; None leaves a field as it is."""
    updated_at: dt.datetime
    name: str | None = None
    department_id: str | None = None
    hall_ids: tuple[str, ...] | None = None
    keywords: tuple[str, ...] | None = None
    frequent: bool | None = None
    guide: Guide | None = None
    status: ServiceStatus | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceFilter:
    """Which services a list holds: every given filter must match."""
    department_id: str | None = None
    hall_id: str | None = None
    q: str | None = None          # a literal substring of the name or a keyword
    frequent: bool | None = None
    include_inactive: bool = False
