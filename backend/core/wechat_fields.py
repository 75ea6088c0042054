"""WeChat subscribe-message field rules, checked (and where possible fixed) before anything is sent.

A template field's type is the prefix of its key (``thing1`` is a ``thing``). WeChat refuses a
whole message (errcode 47003) when one value breaks its type's rule, so a value is fitted here:
whitespace and control characters removed, a ``thing`` cut to 20 characters with "…", a
``character_string`` stripped of what it may not hold and cut to 32. What cannot be fixed without
changing its meaning (a ``phrase`` that is not a short status word, a ``time`` that is not a time,
an ``amount`` that is not money) raises ``FieldRuleError``: such a push is not sent.

The rules (WeChat's "订阅消息参数值内容限制说明"):
thing ≤ 20 characters of any kind; number ≤ 32 digits, may have a decimal point; letter ≤ 32
letters; symbol ≤ 5 symbols; character_string ≤ 32 digits, letters or symbols; time a 24-hour
time, optionally with 年月日 before it (``2026年12月1日 10:00``); date 年月日, optionally with a
time; amount one currency sign and ≤ 10 digits, may have decimals and end in 元; phone_number ≤ 17
digits or symbols; car_number ≤ 8; name ≤ 10 Chinese characters or ≤ 20 letters; phrase ≤ 5
Chinese characters only. Symbols are common marks other than Chinese, letters and digits; no
line breaks or other control characters anywhere.
"""
from __future__ import annotations

import re
import unicodedata

# The status words a ``phrase`` field may carry: every one is ≤ 5 Chinese characters.
PHRASES = frozenset({
    "已提交", "已受理", "审查中", "待补正", "已批准", "不予受理", "不予批准", "已办结", "已撤回",
    "预约成功", "即将开始", "已取消", "候补成功", "已爽约", "暂停预约",
    "待缴费", "缴费成功", "已退款", "已关闭", "已开票",
    "待评价", "待补材料",
    "已登记", "办理中", "已答复", "合并办理", "重新办理", "全部办结", "部分办结", "未获批准", "代为提交",
    "已签发", "已撤销",
    "已签到", "即将叫号", "请到窗口",
})

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_TIME = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
_DATE = r"(?:\d{4}年\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月|\d{1,2}月\d{1,2}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})"
_TIME_VALUE = re.compile(rf"^(?:{_DATE} )?{_TIME}(?:~(?:{_DATE} )?{_TIME})?$")
_DATE_VALUE = re.compile(rf"^{_DATE}(?: {_TIME})?(?:~{_DATE}(?: {_TIME})?)?$")
_AMOUNT = re.compile(r"^[¥￥$€£](\d+)(?:\.(\d{1,2}))?元?$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_PHRASE = re.compile(rf"^[{_CJK}]{{1,5}}$")
_NAME_CJK = re.compile(rf"^[{_CJK}·]{{1,10}}$")
_NAME_LATIN = re.compile(r"^[A-Za-z .·'-]{1,20}$")
_NOT_CHARSTRING = re.compile(rf"[{_CJK}\s\u3000-\u303f\uff00-\uffef]")


class FieldRuleError(ValueError):
    """A value that breaks its field type's rule and cannot be fixed without changing its meaning."""


def field_type(key: str) -> str:
    return key.rstrip("0123456789")


def _clean(value: str) -> str:
    """No control characters; runs of whitespace become one space."""
    value = "".join(" " if unicodedata.category(c)[0] in ("C", "Z") else c for c in str(value))
    return " ".join(value.split())


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def fit(key: str, value: str) -> str:
    """The value as WeChat will take it for field ``key``; ``FieldRuleError`` when it cannot be."""
    kind = field_type(key)
    v = _clean(value)
    if not v:
        raise FieldRuleError(f"{key}: empty")
    if kind == "thing":
        return _cut(v, 20)
    if kind == "phrase":
        if v not in PHRASES or not _PHRASE.match(v):
            raise FieldRuleError(f"{key}: {v!r} is not a status word of ≤ 5 Chinese characters")
        return v
    if kind == "character_string":
        v = _NOT_CHARSTRING.sub("", v)
        if not v:
            raise FieldRuleError(f"{key}: nothing left of the value")
        return v[:32]
    if kind == "number":
        if not _NUMBER.match(v) or len(v.replace(".", "")) > 32:
            raise FieldRuleError(f"{key}: {v!r} is not a number of ≤ 32 digits")
        return v
    if kind == "letter":
        if not re.fullmatch(r"[A-Za-z]{1,32}", v):
            raise FieldRuleError(f"{key}: {v!r} is not ≤ 32 letters")
        return v
    if kind == "time":
        if not _TIME_VALUE.match(v):
            raise FieldRuleError(f"{key}: {v!r} is not a time like 2026年12月1日 10:00")
        return v
    if kind == "date":
        if not _DATE_VALUE.match(v):
            raise FieldRuleError(f"{key}: {v!r} is not a date like 2026年12月1日")
        return v
    if kind == "amount":
        m = _AMOUNT.match(v)
        if not m or len(m.group(1)) + len(m.group(2) or "") > 10:
            raise FieldRuleError(f"{key}: {v!r} is not an amount like ¥120.00")
        return v
    if kind == "name":
        if not (_NAME_CJK.match(v) or _NAME_LATIN.match(v)):
            raise FieldRuleError(f"{key}: {v!r} is not a name of ≤ 10 Chinese characters or ≤ 20 letters")
        return v
    if kind == "phone_number":
        if not re.fullmatch(r"[0-9+\-() ]{1,17}", v):
            raise FieldRuleError(f"{key}: {v!r} is not a phone number")
        return v
    if kind == "symbol":
        if len(v) > 5 or re.search(rf"[{_CJK}A-Za-z0-9]", v):
            raise FieldRuleError(f"{key}: {v!r} is not ≤ 5 symbols")
        return v
    if kind == "car_number":
        if len(v) > 8:
            raise FieldRuleError(f"{key}: {v!r} is longer than 8")
        return v
    raise FieldRuleError(f"{key}: unknown field type {kind!r}")


def fit_data(values: dict[str, str]) -> dict[str, dict[str, str]]:
    """A template's ``data`` with every value fitted to its field's rule."""
    return {key: {"value": fit(key, value)} for key, value in values.items()}


def broken(data: dict[str, dict[str, str]]) -> list[str]:
    """What in ready-to-send ``data`` breaks a rule (empty when nothing does); for tests and the stand-in."""
    problems = []
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str):
            problems.append(f"{key}: not a string")
            continue
        try:
            if fit(key, value) != value:
                problems.append(f"{key}: {value!r} needs fitting")
        except FieldRuleError as e:
            problems.append(str(e))
    return problems
