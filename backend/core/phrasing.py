"""How events are put into words, for every domain that emits them.

A domain owns its events: each is an ``Event`` value in ``<domain>/events.py`` (its kind, the
function that words it, the WeChat template it is pushed with, the page the push opens and, for
staff, its alert), handed to the lexicon through the domain's vocabulary. Notify looks an event
up by its kind (``EventWordsSource``) and knows none of them.

An event's payload must carry every value its words use: a missing or empty one raises
``MissingField`` (tests render every kind strictly), so no resident ever reads a blank. Times are
written as residents say them ("12月1日（周二）10:00", with the year when it is not the event's
year), amounts in yuan.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from backend.core.clock import TZ
from backend.core.wechat_fields import fit_data

WEEKDAYS = "一二三四五六日"
SMS_SIGN = "【指尖办】"


class UnknownKind(KeyError):
    """No words are made for this kind of event."""


class MissingField(KeyError):
    """The payload lacks a value the words need."""

    def __init__(self, kind: str, name: str):
        super().__init__(f"{kind}: payload has no {name!r}")
        self.kind, self.name = kind, name


@dataclass(frozen=True)
class Words:
    title: str
    text: str                              # inbox
    sms: str
    wechat: dict[str, str] = field(default_factory=dict)   # field key → value, before fitting
    template: str | None = None            # WeChat template key (set by ``Event.render``)
    page: str | None = None                # mini-program page the push opens (None: the configured one)

    def wechat_data(self) -> dict[str, dict[str, str]]:
        """The template data, every value fitted to WeChat's rule for its field."""
        return fit_data(self.wechat)


@dataclass(frozen=True)
class Template:
    """A WeChat subscribe-message template: its key (configured to a template id), what residents
    are asked to consent to, and its field layout (the template chosen in the mini-program's admin
    console must have these keywords, in this order)."""
    key: str
    title: str
    fields: Mapping[str, str]


CASE_PROGRESS = Template("case_progress", "办件进度通知", {
    "thing1": "事项名称", "phrase2": "办理状态", "character_string3": "办件编号", "time4": "更新时间",
    "thing5": "备注"})
APPOINTMENT = Template("appointment", "预约结果通知", {
    "thing1": "预约事项", "time2": "预约时间", "thing3": "办理地点", "phrase4": "预约状态", "thing5": "温馨提示"})
PAYMENT = Template("payment", "缴费结果通知", {
    "thing1": "缴费事项", "amount2": "金额", "phrase3": "缴费状态", "character_string4": "办件编号", "time5": "时间"})
RATING = Template("rating", "服务评价邀请", {
    "thing1": "事项名称", "character_string2": "办件编号", "phrase3": "办理结果", "time4": "办结时间",
    "thing5": "温馨提示"})
TEMPLATES = (CASE_PROGRESS, APPOINTMENT, PAYMENT, RATING)


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value))


def when(value: dt.datetime, at: dt.datetime) -> str:
    """"12月1日（周二）10:00"; with the year when it is not the year of ``at``."""
    local = value.astimezone(TZ)
    return f"{day(local.date(), at)}{local:%H:%M}"


def day(value: dt.date, at: dt.datetime) -> str:
    """"12月15日（周二）"; with the year when it is not the year of ``at``."""
    year = f"{value.year}年" if value.year != at.astimezone(TZ).year else ""
    return f"{year}{value.month}月{value.day}日（周{WEEKDAYS[value.weekday()]}）"


def short_day(value: dt.datetime) -> str:
    """"12月31日" (for the 20 characters of a WeChat ``thing``)."""
    local = value.astimezone(TZ)
    return f"{local.month}月{local.day}日"


def wechat_time(value: dt.datetime) -> str:
    """WeChat's ``time`` field: "2026年12月1日 10:00"."""
    local = value.astimezone(TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def yuan(fen: int) -> str:
    """"120.00元"."""
    return f"{int(fen) / 100:.2f}元"


# What a number is, by its shape: a case's 办件编号 (ZJB…), a 一件事编号 (YJS…), a 12345 工单编号 (GD…).
NUMBER_NAMES = (("YJS", "一件事编号"), ("GD", "工单编号"), ("ZJB", "办件编号"))


def number_name(serial: str) -> str:
    """The name of the number ``serial`` is ("办件编号" when its shape says nothing else)."""
    return next((name for prefix, name in NUMBER_NAMES if serial.startswith(prefix)), "办件编号")


def sentence(text: str) -> str:
    """Free text (a staff note) ended as a sentence."""
    return text if text[-1] in "。！？.!?）)”" else text + "。"


def tight(text: str) -> str:
    """No spaces between Chinese and digits ("30 天内爽约 2 次" → "30天内爽约2次")."""
    return re.sub(r"(?<=[\u4e00-\u9fff\d]) (?=[\u4e00-\u9fff\d])", "", text)


class Payload:
    """An event's payload, read strictly: every value asked for must be there and not empty."""

    def __init__(self, kind: str, data: Mapping[str, Any], at: dt.datetime):
        self.kind, self.data, self.at = kind, data, at

    def missing(self, name: str) -> MissingField:
        """The error for a value that is absent or not one the words can use."""
        return MissingField(self.kind, name)

    def raw(self, name: str) -> Any:
        value = self.data.get(name)
        if value is None or value == "" or value == []:
            raise self.missing(name)
        return value

    def __getitem__(self, name: str) -> str:
        return str(self.raw(name)).strip()

    def opt(self, name: str) -> str | None:
        """An optional value: None when absent or empty."""
        value = self.data.get(name)
        if value is None or value == [] or not str(value).strip():
            return None
        return str(value).strip()

    def time(self, name: str) -> dt.datetime:
        value = self.raw(name)
        try:
            if isinstance(value, str) and len(value) == 10:  # a date: its end, as deadlines are
                return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(23, 59, 59), TZ)
            return _as_datetime(value)
        except ValueError:
            raise self.missing(name) from None

    def when(self, name: str) -> str:
        return when(self.time(name), self.at)

    def day(self, name: str) -> str:
        return day(self.time(name).astimezone(TZ).date(), self.at)

    def short_day(self, name: str) -> str:
        return short_day(self.time(name))

    def label(self, name: str, table: Mapping[str, str]) -> str:
        """The value said in words by ``table``; a value the table does not know is as good as none."""
        label = table.get(self[name])
        if label is None:
            raise self.missing(name)
        return label

    def number(self, name: str = "serial") -> str:
        """A number with its name: "办件编号 ZJB…", "一件事编号 YJS…"."""
        return f"{number_name(self[name])} {self[name]}"

    def fen(self, name: str) -> int:
        value = self.raw(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.missing(name)
        return value

    def yuan(self, name: str) -> str:
        return yuan(self.fen(name))

    def amount(self, name: str) -> str:
        return f"¥{self.fen(name) / 100:.2f}"

    def list(self, name: str) -> str:
        value = self.raw(name)
        return "、".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


@dataclass(frozen=True)
class Page:
    """The mini-program page a push opens: the detail page of the object the payload's
    ``id_field`` names, or ``listing`` when the payload names none. Every page is one of
    miniprogram/app.json (a test checks)."""
    detail: str | None
    id_field: str | None
    listing: str

    def link(self, payload: Mapping[str, Any]) -> str:
        ident = str(payload.get(self.id_field) or "").strip() if self.id_field else ""
        return f"{self.detail}?id={ident}" if self.detail and ident else self.listing

    @classmethod
    def list_only(cls, listing: str) -> Page:
        return cls(None, None, listing)


WordsOf = Callable[[Payload], Words]
AlertOf = Callable[[Payload], str]


@dataclass(frozen=True)
class Event:
    """One kind of event a domain emits: how it reads to the resident (``words``, pushed with
    ``template`` and opening ``page``) and, when staff are alerted by this kind, the alert's text."""
    kind: str
    words: WordsOf | None = None
    template: Template | None = None
    page: Page | None = None
    alert: AlertOf | None = None

    def render(self, payload: Mapping[str, Any], at: dt.datetime) -> Words:
        """The words of this event that happened at ``at``. Strict: ``MissingField`` for a missing
        value, ``UnknownKind`` when residents are not told of this kind."""
        if self.words is None:
            raise UnknownKind(self.kind)
        words = self.words(Payload(self.kind, payload, at))
        return replace(words, template=self.template_key, page=words.page or self.page_of(payload))

    def staff_alert(self, payload: Mapping[str, Any], at: dt.datetime) -> str:
        """The text of this event on the staff's list. Strict, like ``render``."""
        if self.alert is None:
            raise UnknownKind(self.kind)
        return self.alert(Payload(self.kind, payload, at))

    @property
    def template_key(self) -> str | None:
        return self.template.key if self.template else None

    def page_of(self, payload: Mapping[str, Any]) -> str | None:
        return self.page.link(payload) if self.page else None


class EventWordsSource(Protocol):
    """Where the words of events are found by kind (the lexicon)."""

    def event(self, kind: str) -> Event | None: ...


def fallback(payload: Mapping[str, Any]) -> Words:
    """Complete, general words for an event whose own words cannot be made (a kind this version does
    not know, or a payload missing a value): still a finished sentence, never a blank."""
    return Words(title=str(payload.get("title") or "新消息"),
                 text=str(payload.get("text") or "您有一条新消息，请在指尖办小程序中查看详情。"),
                 sms=f"{SMS_SIGN}您有一条新消息，请在指尖办小程序中查看。")
