"""Serials of cases (办件编号): ``ZJB`` + the day (YYYYMMDD) + the day's number (6 digits), as printed
on receipts and notices and typed back by staff."""
from __future__ import annotations

import re

_SERIAL = re.compile(r"^ZJB\d{14}$")


def serial_for(day_key: str, number: int) -> str:
    return f"ZJB{day_key}{number:06d}"


def serial_shaped(value: str) -> str | None:
    """The serial ``value`` names (spaces and letter case as typed do not matter), or None."""
    v = value.strip().upper()
    return v if _SERIAL.match(v) else None
