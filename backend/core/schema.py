"""Request validation against the same JSON Schemas that the OpenAPI document publishes.

Errors become ``InvalidInput`` with ``details.fields = {field: reason}``, reasons in Chinese.
A property schema may carry ``x-message`` to replace the generic reason (e.g. for a pattern).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators

from backend.core.errors import InvalidInput

TYPE_ZH = {"string": "字符串", "integer": "整数", "number": "数字", "boolean": "布尔值",
           "object": "对象", "array": "数组", "null": "空值"}

# JSON Schema counts 100.0 as an integer; JSON bodies here never do (a fraction, even .0, is a
# different number to the database and to anyone adding up money).
_Validator = validators.extend(Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)))

_validators: dict[int, Any] = {}

# Formats that are checked (others are documentation only). A date must exist in the calendar:
# 2026-02-30 is refused here, not by a ValueError deep in a service.
FORMATS = FormatChecker(formats=())
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_DATE.fullmatch(value)) and dt.date.fromisoformat(value) is not None


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATETIME.fullmatch(value):
        return False
    stamp = value[:19].replace("t", "T").replace(" ", "T")
    return dt.datetime.fromisoformat(stamp) is not None


# Registered by a call rather than as decorators: jsonschema ships no type information, and its
# decorator would leave the checkers untyped.
FORMATS.checks("date", raises=ValueError)(_is_date)
FORMATS.checks("date-time", raises=ValueError)(_is_datetime)


def _validator(schema: dict[str, Any]) -> Any:
    key = id(schema)
    v = _validators.get(key)
    if v is None or v.schema is not schema:
        _Validator.check_schema(schema)
        v = _Validator(schema, format_checker=FORMATS)
        _validators[key] = v
    return v


def _reason(err: Any) -> str:
    custom: str | None = err.schema.get("x-message") if isinstance(err.schema, dict) else None
    kind, val = err.validator, err.validator_value
    if custom and kind not in ("required", "type"):
        return custom
    if kind == "type":
        types: list[str] = val if isinstance(val, list) else [val]
        return "应为" + "或".join(TYPE_ZH.get(t, t) for t in types)
    if kind == "minLength":
        return "不能为空" if val == 1 else f"长度至少为 {val}"
    if kind == "maxLength":
        return f"长度不能超过 {val}"
    if kind == "format" and val in ("date", "date-time"):
        return custom or ("不是有效的日期（YYYY-MM-DD）" if val == "date" else "不是有效的时间（ISO 8601）")
    if kind in ("pattern", "format"):
        return custom or "格式不正确"
    if kind == "enum":
        return "取值无效，可选：" + "、".join(str(v) for v in val)
    if kind == "const":
        return f"取值应为 {val}"
    if kind == "minimum":
        return f"不能小于 {val}"
    if kind == "maximum":
        return f"不能大于 {val}"
    if kind == "minItems":
        return f"至少需要 {val} 项"
    if kind == "maxItems":
        return f"最多 {val} 项"
    if kind == "uniqueItems":
        return "不能有重复项"
    if kind == "minProperties":
        return "不能为空"
    if kind == "maxProperties":
        return f"最多 {val} 项"
    return custom or "取值无效"


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


# A field name the database can store and a person would type: 1–64 characters, no control
# characters, no "." and no leading "$" (BSON reserves them for paths and operators).
_KEY = re.compile(r"[^\x00-\x1f\x7f.$][^\x00-\x1f\x7f.]{0,63}")
KEY_RULE = "字段名须为 1–64 个字符，不含控制字符和“.”，不以“$”开头"


def _bad_keys(data: Any, path: str = "") -> Iterator[str]:
    """Paths (with the name cut short) of every object key in ``data`` that ``_KEY`` refuses."""
    stack: list[tuple[str, Any]] = [(path, data)]
    while stack:  # iterative: a deeply nested body must not exhaust the interpreter's stack
        at, value = stack.pop()
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(key, str) and _KEY.fullmatch(key):
                    stack.append((_join(at, key), inner))
                else:
                    yield _join(at, repr(str(key)[:20]))
        elif isinstance(value, list):
            stack.extend((_join(at, str(i)), inner) for i, inner in enumerate(value))


def validate_request(schema: dict[str, Any], data: Any) -> Any:
    """``validate`` for what a client sent, and every field name one ``_KEY`` allows. A field the
    schema refuses is named as the schema says (a name nobody could type cut short)."""
    try:
        validate(schema, data)
    except InvalidInput as e:
        fields = e.details.get("fields") or {}
        e.details["fields"] = {_shown(path): reason for path, reason in fields.items()}
        raise
    bad = {path: KEY_RULE for path in _bad_keys(data)}
    if bad:
        raise InvalidInput(bad)
    return data


def _shown(path: str) -> str:
    """A field's path as an error names it: each part the person could not have typed cut short."""
    return ".".join(p if _KEY.fullmatch(p) else repr(p[:20]) for p in path.split("."))


def validate(schema: dict[str, Any], data: Any, *, root: str = "") -> Any:
    """Validate ``data``; raise ``InvalidInput`` naming every bad field. Returns ``data``."""
    fields: dict[str, str] = {}
    for err in sorted(_validator(schema).iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        base = _path(err.absolute_path)
        if err.validator == "required" and isinstance(err.instance, dict):
            for name in err.validator_value:
                if name not in err.instance:
                    fields.setdefault(_join(root, base, name), "必填")
        elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            patterns = [re.compile(p) for p in err.schema.get("patternProperties", {})]
            for name in err.instance:
                if name not in allowed and not any(p.search(name) for p in patterns):
                    fields.setdefault(_join(root, base, name), "不支持该字段")
        else:
            fields.setdefault(_join(root, base) or (root or "body"), _reason(err))
    if fields:
        raise InvalidInput(fields)
    return data


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def coerce_query(schema: dict[str, Any], args: dict[str, list[bytes]]) -> dict[str, Any]:
    """Query strings are text; turn them into the types their schema declares, then validate."""
    props = schema.get("properties", {})
    out: dict[str, Any] = {}
    for name, values in args.items():
        raw = values[-1].decode("utf-8", "replace") if values else ""
        typ = props.get(name, {}).get("type")
        if typ == "integer" and re.fullmatch(r"-?\d{1,18}", raw):
            out[name] = int(raw)
        elif typ == "boolean" and raw in ("true", "false"):
            out[name] = raw == "true"
        else:
            out[name] = raw
    validate(schema, out)
    return out


# Reusable pieces -----------------------------------------------------------------------------

def obj(properties: dict[str, Any], required: list[str] | tuple[str, ...] = (), *,
        additional: bool = False, **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": additional}
    if required:
        s["required"] = list(required)
    s.update(extra)
    return s


def string(**kw: Any) -> dict[str, Any]:
    return {"type": "string", **kw}


def integer(**kw: Any) -> dict[str, Any]:
    return {"type": "integer", **kw}


def money(**kw: Any) -> dict[str, Any]:
    """An amount in fen: a whole number (``100.0`` is refused like ``"100"``)."""
    return {"type": "integer", "description": "金额（分，整数）", **kw}


def boolean(**kw: Any) -> dict[str, Any]:
    return {"type": "boolean", **kw}


def array(items: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **kw}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    t = schema.get("type")
    if isinstance(t, str):
        out = {**schema, "type": [t, "null"]}
        if "enum" in schema:  # an enum lists every allowed value, null included
            out["enum"] = [*schema["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


def list_of(item: dict[str, Any]) -> dict[str, Any]:
    """The contract's list shape."""
    return obj({"items": array(item), "next_cursor": nullable(string())}, ["items", "next_cursor"])


DATETIME = string(format="date-time", description="ISO 8601, +08:00")
DATE = string(pattern=r"^\d{4}-\d{2}-\d{2}$", format="date", description="YYYY-MM-DD")
ID = string(minLength=1, maxLength=64)
ERROR = obj({
    "error": obj({
        "code": string(),
        "message": string(),
        "details": {"type": "object"},
    }, ["code", "message", "details"]),
}, ["error"])
