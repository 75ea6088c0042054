"""What the catalogue stores, as typed values: departments, halls (大厅) and services (事项).

A service's guide (办事指南) is a typed value: what a guide does not state (an optional field of
``schemas.GUIDE_IN`` left out) is None and stays out of its JSON.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict


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


@dataclass(frozen=True, slots=True, kw_only=True)
class RequiredMaterial:
    """A material the guide asks for; ``licence_type`` names the e-licence that may replace it."""
    key: str
    name: str
    required: bool
    tolerable: bool = False
    copies: int = 1
    note: str | None = None
    licence_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeeItem:
    """One fee item (收费项目): its code, name, amount and the collecting unit."""
    code: str
    name: str
    amount_fen: int
    unit_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedLicence:
    """The e-licence a service issues its applicant on completion (0 days: valid for good)."""
    type: str
    name: str
    validity_days: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GuideField:
    """A field of a service's application form."""
    key: str
    label: str
    type: str | None = None
    required: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Guide:
    """A service's guide (办事指南). ``issues_none`` records a guide that states it issues no licence
    (null), as distinct from one that does not say."""
    materials: tuple[RequiredMaterial, ...]
    fee_fen: int
    statutory_days: int
    promised_days: int
    online: bool
    bookable: bool
    visit_required: bool
    max_visits: int
    conditions: str | None = None
    fee_note: str | None = None
    fee_items: tuple[FeeItem, ...] | None = None
    location: str | None = None
    legal_basis: str | None = None
    contact_phone: str | None = None
    issues_licence: IssuedLicence | None = None
    issues_none: bool = False
    form: tuple[GuideField, ...] | None = None


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
    # Filing it online needs a recent face verification of the resident (人脸核身), beyond the real name.
    high_assurance: bool = False
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
    high_assurance: bool | None = None
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
