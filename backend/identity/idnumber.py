"""Resident identity numbers (GB 11643-1999) and names: validation and masking.

An 18-character number: 6-digit region code (GB/T 2260, current or historical) + 8-digit birth
date + 3-digit sequence (odd for men) + a check character from the weighted sum mod 11.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from importlib import resources

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
# Chinese names: Han characters, optionally with the middle dot of minority names (·), or
# the Latin letters of foreign permanent residents' names in Chinese documents.
_NAME = re.compile(r"^(?:[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]+(?:[·•][\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]+)*|[A-Za-z]+(?: [A-Za-z]+)*)$")


class IdNumberError(ValueError):
    """Why an ID number is not valid; ``reason`` is shown to the resident."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@lru_cache(maxsize=1)
def region_codes() -> frozenset[str]:
    text = resources.files("backend.identity").joinpath("data/region_codes.tsv").read_text(encoding="utf-8")
    return frozenset(line.split("\t", 1)[0] for line in text.splitlines() if line and not line.startswith("#"))


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def validate_id_number(value: str, *, today: dt.date) -> str:
    """Return the normalised number or raise ``IdNumberError`` saying what is wrong."""
    n = normalize_id_number(value)
    if not _SHAPE.match(n):
        raise IdNumberError("身份证号应为18位，前17位为数字，最后一位为数字或X")
    if n[:6] not in region_codes():
        raise IdNumberError("身份证号的地区码不存在")
    try:
        born = dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise IdNumberError("身份证号中的出生日期不存在") from None
    if born > today:
        raise IdNumberError("身份证号中的出生日期晚于今天")
    if born.year < 1900:
        raise IdNumberError("身份证号中的出生日期不合理")
    if check_char(n[:17]) != n[17]:
        raise IdNumberError("身份证号校验位不正确，请核对")
    return n


def validate_name(value: str) -> str:
    name = value.strip()
    if not (2 <= len(name) <= 30) or not _NAME.match(name):
        raise IdNumberError("姓名应为2至30个汉字（少数民族姓名可含“·”）")
    return name


def mask_id_number(n: str) -> str:
    """``4201**********123X``: the first 4 and last 4 characters, never more."""
    return n[:4] + "*" * (len(n) - 8) + n[-4:]


def mask_name(name: str) -> str:
    """``张*``, ``欧阳**``-style: only the first character is shown."""
    return name[0] + "*" * (len(name) - 1) if name else ""
