"""Checks on raw request input that must happen before anything parses or uses it.

- JSON nesting is bounded while scanning the bytes, before ``json.loads`` recurses into it (a
  body of 100 000 ``[`` would otherwise exhaust the parser's recursion).
- Strings must be well-formed Unicode: a JSON escape may name a lone surrogate (``"\\ud800"``),
  which no database or log line can encode.
- Numbers must be storable: no NaN or infinities, integers within 64 bits (what BSON holds).
- A path may not carry a NUL character (``/console/index.html%00.js``): no file name or key
  contains one, and the operating system refuses it.
"""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from backend.core import errors

MAX_JSON_DEPTH = 32

# A JSON string (escapes included), or one bracket. Possessive: linear on any input.
_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the brackets outside strings nest deeper than ``limit``."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for m in _STRING_OR_BRACKET.finditer(raw):
        c = m.group()[0]
        if c in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif c in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def has_lone_surrogate(value: Any) -> bool:
    """Whether any string (or key) in a parsed JSON value is not well-formed Unicode."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if _SURROGATE.search(v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


class _BadNumber(ValueError):
    pass


def _int64(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise _BadNumber(text)
    return value


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _BadNumber(text)
    return value


def _no_constant(text: str) -> float:
    raise _BadNumber(text)


def parse_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A request body as JSON, or ``InvalidInput`` — never a recursion or encoding error later."""
    if json_depth_exceeds(raw, max_depth):
        raise errors.InvalidInput(message="请求内容嵌套过深")
    try:
        data = json.loads(raw.decode("utf-8"), parse_int=_int64, parse_float=_finite, parse_constant=_no_constant)
    except _BadNumber:
        raise errors.InvalidInput(message="请求内容含有超出范围的数值") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise errors.InvalidInput(message="请求内容不是有效的 JSON") from None
    if _SURROGATE_ESCAPE.search(raw) and has_lone_surrogate(data):
        raise errors.InvalidInput(message="请求内容含有无效的字符")
    return data


def path_has_nul(path: str) -> bool:
    """Whether the request path, raw or percent-decoded, contains a NUL character."""
    return "\x00" in path or b"\x00" in unquote_to_bytes(path)


def check_path(path: str) -> None:
    if path_has_nul(path):
        raise errors.InvalidInput(message="请求路径无效")
