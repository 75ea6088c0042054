"""Ids from outside (paths, bodies, queries) parsed in one place.

Object ids are 24 hexadecimal digits; any other form is "not found", never an error. An id is
normalised (lower case) before it is used as a key, so ``/x/ABC…`` and ``/x/abc…`` are one thing.
"""
from __future__ import annotations

import datetime as dt
import re
import struct
from typing import Any

from bson import ObjectId

from backend.core import errors

_HEX24 = re.compile(r"[0-9a-fA-F]{24}")


def object_id(value: Any) -> ObjectId | None:
    """The ObjectId an outside value names, or None when it names none."""
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str) and _HEX24.fullmatch(value):
        return ObjectId(value.lower())
    return None


def object_id_at(when: dt.datetime) -> ObjectId:
    """A new, unique ObjectId whose time part is ``when`` (to the second): an id that says, by
    itself, when by our clock it was made (the sandbox clock included)."""
    return ObjectId(struct.pack(">I", int(when.timestamp())) + ObjectId().binary[4:])


def cursor_id(value: str | None) -> ObjectId | None:
    """Where a page continues: the id its ``cursor`` names (None for the first page); a cursor
    that names no id is 400 ``invalid_input``."""
    if not value:
        return None
    oid = object_id(value)
    if oid is None:
        raise errors.InvalidInput({"cursor": "无效的游标"})
    return oid
