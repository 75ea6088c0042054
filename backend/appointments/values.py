"""The appointments domain's things as typed values: their statuses, the person rules a booking's
keys stand for, and the queue ticket. The store maps documents to these and back; services and
handlers work with them."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bson import ObjectId

from backend.appointments.errors import AlreadyBooked, DailyLimit, TooManyOpen
from backend.config import AppointmentsConfig
from backend.core.errors import AppError


class AppointmentStatus(StrEnum):
    """``pending`` → ``booked`` → ``checked_in`` → ``served`` | ``absent``; ``booked`` → ``cancelled`` |
    ``no_show`` | ``cancelled_by_centre``; ``pending`` → ``abandoned`` (after a crash only)."""
    PENDING = "pending"
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    SERVED = "served"
    ABSENT = "absent"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    CANCELLED_BY_CENTRE = "cancelled_by_centre"
    ABANDONED = "abandoned"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    LEFT = "left"
    EXPIRED = "expired"
    CANCELLED_BY_CENTRE = "cancelled_by_centre"


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    ABSENT = "absent"


class TicketKind(StrEnum):
    APPOINTMENT = "appointment"   # from a booking's check-in
    WALK_IN = "walk_in"           # taken at the hall without a booking


class SlotStatus(StrEnum):
    OPEN = "open"
    RETIRED = "retired"


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


# == the person rules ===============================================================================
class PersonRule(StrEnum):
    """A limit on one person's bookings, each kept by a unique key the booking carries."""
    SLOT = "slot"          # one booking per slot
    DAY = "day"            # at most ``max_per_day`` bookings a day
    SERVICE = "service"    # at most ``max_per_service_per_day`` of one service a day
    OPEN = "open"          # at most ``max_open`` bookings not yet over


class Unique(StrEnum):
    """The other unique keys an insert can hit."""
    CODE = "code"          # the booking code (drawn again)
    ACTIVE = "active"      # already on that slot's waitlist


_A = AppointmentStatus


@dataclass(frozen=True, slots=True)
class KeyRule:
    rule: PersonRule
    letter: str                          # the key's first letter, e.g. ``d:<user>:<date>:0``
    kept_in: frozenset[AppointmentStatus]  # statuses in which the appointment still counts


@dataclass(frozen=True, slots=True)
class BookingKeys:
    """Which unique key stands for which person rule, which statuses keep it, and what a booking
    refused by it is answered. The one place these are written: the store reads a refused key's
    rule from it, the booking service builds keys and refusals from it, the lifecycle drops keys
    by it."""
    rules: tuple[KeyRule, ...]

    def rule_of(self, key: str) -> PersonRule | None:
        """The rule a stored key stands for (by its first letter)."""
        letter = key[:1]
        return next((r.rule for r in self.rules if r.letter == letter), None)

    def letter(self, rule: PersonRule) -> str:
        return next(r.letter for r in self.rules if r.rule == rule)

    def new_keys(self, user_id: str, slot_id: str, service_id: str, date: str,
                 nth: Mapping[PersonRule, int], rules: Iterable[PersonRule] = tuple(PersonRule)) -> list[str]:
        """The keys a new booking takes, of ``rules``: the slot, the ``nth[DAY]``-th booking of the
        day, the ``nth[SERVICE]``-th of the service that day, the ``nth[OPEN]``-th open one."""
        keys = {PersonRule.SLOT: f"{self.letter(PersonRule.SLOT)}:{user_id}:{slot_id}",
                PersonRule.DAY: f"{self.letter(PersonRule.DAY)}:{user_id}:{date}:{nth[PersonRule.DAY]}",
                PersonRule.SERVICE: f"{self.letter(PersonRule.SERVICE)}:{user_id}:{service_id}:{date}:"
                                    f"{nth[PersonRule.SERVICE]}",
                PersonRule.OPEN: f"{self.letter(PersonRule.OPEN)}:{user_id}:{nth[PersonRule.OPEN]}"}
        wanted = set(rules)
        return [key for rule, key in keys.items() if rule in wanted]

    def needed(self, cfg: AppointmentsConfig) -> frozenset[PersonRule]:
        """The rules a new booking takes a key for. A rule a tighter one implies needs none: a day's
        key is held in every status a service's or a slot's is (and a slot lies within one service
        and day), so with one booking a day its key alone keeps those two; with one booking of a
        service a day, the service's key keeps the slot's. Each key is an index entry every booking
        pays for (the defaults need two of the four)."""
        rules = {PersonRule.DAY, PersonRule.OPEN}
        if self.limit(PersonRule.DAY, cfg) > 1:
            rules.add(PersonRule.SERVICE)
            if self.limit(PersonRule.SERVICE, cfg) > 1:
                rules.add(PersonRule.SLOT)
        return frozenset(rules)

    def kept(self, keys: Iterable[str], status: AppointmentStatus) -> list[str]:
        """The keys an appointment keeps in ``status``: a key is held only while its rule counts it."""
        letters = {r.letter for r in self.rules if status in r.kept_in}
        return [k for k in keys if k[:1] in letters]

    def counted_in(self, rule: PersonRule) -> list[str]:
        """The statuses in which an appointment counts against ``rule`` (for reading them back)."""
        kept = next(r.kept_in for r in self.rules if r.rule == rule)
        return [s.value for s in AppointmentStatus if s in kept]

    @staticmethod
    def limit(rule: PersonRule, cfg: AppointmentsConfig) -> int:
        """How many bookings the rule allows (each one a key numbered from 0)."""
        if rule == PersonRule.DAY:
            return max(1, cfg.max_per_day)
        if rule == PersonRule.SERVICE:
            return max(1, cfg.max_per_service_per_day)
        if rule == PersonRule.OPEN:
            return max(1, cfg.max_open)
        return 1

    @staticmethod
    def refusal(rule: PersonRule, cfg: AppointmentsConfig, *, date: str, service_id: str,
                same_service: int = 0) -> AppError:
        """The answer to a booking a rule refuses. ``same_service`` (asked only for ``DAY``): the
        person's bookings of the service that day, so a day full of that service says so."""
        if rule == PersonRule.SLOT:
            return AlreadyBooked("您已预约该时段")
        if rule == PersonRule.SERVICE or (rule == PersonRule.DAY and same_service >= cfg.max_per_service_per_day):
            return AlreadyBooked("您当天已预约过该事项", details={"date": date, "service_id": service_id})
        if rule == PersonRule.DAY:
            return DailyLimit(f"每人每天最多预约 {cfg.max_per_day} 次",
                              details={"date": date, "limit": cfg.max_per_day})
        return TooManyOpen(f"您已有 {cfg.max_open} 个未办理的预约，请办理或取消后再预约",
                           details={"limit": cfg.max_open})


FIRST_KEYS = {rule: 0 for rule in PersonRule}  # a new booking's keys: the first of each rule
BOOKING_KEYS = BookingKeys((
    KeyRule(PersonRule.SLOT, "s", frozenset({_A.PENDING, _A.BOOKED, _A.CHECKED_IN})),
    KeyRule(PersonRule.DAY, "d", frozenset({_A.PENDING, _A.BOOKED, _A.CHECKED_IN, _A.SERVED, _A.ABSENT,
                                             _A.NO_SHOW})),
    KeyRule(PersonRule.SERVICE, "v", frozenset({_A.PENDING, _A.BOOKED, _A.CHECKED_IN})),
    KeyRule(PersonRule.OPEN, "o", frozenset({_A.PENDING, _A.BOOKED})),
))


# == appointments ================================================================================
@dataclass(frozen=True, slots=True, kw_only=True)
class Appointment:
    """A resident's booking of a slot. ``keys``: the person keys it holds (``BOOKING_KEYS``);
    ``at``: when it reached each status; ``notes``: messages its moves caused, not yet handed to
    the outbox; ``due_at``: when the sweep must next look at it; ``v``: its version, for
    settling only what was read."""
    id: ObjectId
    code: str
    user_id: str
    slot_id: str
    hall_id: str
    service_id: str
    date: str
    start: dt.datetime
    end: dt.datetime
    status: AppointmentStatus
    created_at: dt.datetime
    service_name: str = ""
    hall_name: str = ""
    updated_at: dt.datetime | None = None
    v: int = 0
    at: Mapping[str, dt.datetime] = field(default_factory=dict)
    keys: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    reminders: tuple[int, ...] = ()         # minutes before the start, the reminders still ahead
    due_at: dt.datetime | None = None
    place_released: bool | None = None     # False: its place is still to be given back
    no_show_recorded: bool | None = None   # False: its no-show is still to be counted
    cancel_reason: str | None = None       # why the centre cancelled it
    ticket_id: ObjectId | None = None      # the queue ticket it checked in with
    ticket_number: str | None = None
    waitlist_id: str | None = None         # the waitlist offer it was booked through


# == the waitlist =================================================================================
@dataclass(frozen=True, slots=True, kw_only=True)
class WaitlistJoin:
    """A resident joining the waitlist of a full slot (what the entry copies of the slot)."""
    slot_id: str
    user_id: str
    hall_id: str
    service_id: str
    start: dt.datetime
    end: dt.datetime
    date: str
    service_name: str
    hall_name: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitlistEntry(WaitlistJoin):
    """A waitlist entry as stored: ``waiting`` → ``offered`` (a place held for it until
    ``offer_until``) → ``accepted`` (``appointment_id``) | ``expired``; ``left``, or
    ``cancelled_by_centre`` (``cancel_reason``) on the way."""
    id: ObjectId
    status: WaitlistStatus
    offer_until: dt.datetime | None = None
    appointment_id: str | None = None
    cancel_reason: str | None = None

    @property
    def active(self) -> bool:
        """Still in line or offered a place."""
        return self.status in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


@dataclass(frozen=True, slots=True)
class Hold:
    """A freed place of a slot held for one waitlist entry until a time."""
    entry_id: str
    until: dt.datetime


# == the hall queue ==============================================================================
@dataclass(frozen=True, slots=True, kw_only=True)
class NewTicket:
    """A queue ticket being taken: its number (``prefix`` + ``seq``) and where it ranks
    (``order``, ms: when its holder counts as having come)."""
    hall_id: str
    date: str
    number: str
    prefix: str
    seq: int
    order: int
    service_id: str
    service_name: str
    kind: TicketKind
    created_at: dt.datetime
    appointment_id: str | None = None   # a check-in's
    user_id: str | None = None          # a check-in's (a walk-in names nobody)
    due: int | None = None              # a check-in's: its slot's start, ms (``lanes``)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket(NewTicket):
    """A queue ticket as stored: ``waiting`` → ``called`` (by a window, maybe recalled) →
    ``served`` | ``absent``."""
    id: ObjectId
    status: TicketStatus
    recalls: int = 0
    window_id: str | None = None
    window_number: str | None = None
    called_at: dt.datetime | None = None
    requeued: int = 0   # times sent to the back of the line after 过号 (once, then absent)


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """A window calling a ticket."""
    at: dt.datetime
    window_id: str
    window_number: str
    by: str          # the member of staff


@dataclass(frozen=True, slots=True, kw_only=True)
class Finish:
    """A called ticket is over: served, or absent (过号)."""
    to: TicketStatus
    at: dt.datetime
    by: str


# == intent-named changes the store writes =======================================================
@dataclass(frozen=True, slots=True)
class TicketRef:
    """The queue ticket a checked-in appointment keeps."""
    id: ObjectId
    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Move:
    """An appointment moving from the status it was read in to ``to``, at ``at``: the keys it
    keeps (none: all dropped), when the sweep must next look at it (None: never), the messages
    the move causes, and what the sweep still owes for it."""
    from_: AppointmentStatus
    to: AppointmentStatus
    at: dt.datetime
    keys: tuple[str, ...]
    due_at: dt.datetime | None
    notes: tuple[str, ...] = ()
    release_place: bool = False          # its place is to be given back by the sweep
    record_no_show: bool = False         # its no-show is to be counted by the sweep
    clear_reminders: bool = False        # no reminder is sent any more
    cancel_reason: str | None = None     # why the centre cancelled it
    ticket: TicketRef | None = None      # the queue ticket it checked in with


@dataclass(frozen=True, slots=True, kw_only=True)
class Settlement:
    """What the sweep (or the request) has done for an appointment: its noted messages are sent,
    perhaps its place given back or its no-show counted, the reminders still ahead, and when it
    is due next (None: nothing more to do)."""
    due_at: dt.datetime | None
    place_released: bool = False
    no_show_recorded: bool = False
    reminders: tuple[int, ...] | None = None   # None: unchanged


@dataclass(frozen=True, slots=True)
class Booked:
    """``pending`` → ``booked`` at ``at`` with its reminders ahead; its message is noted, so it
    is due at once."""
    at: dt.datetime
    reminders: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class KeysUpgrade:
    """An appointment written before person keys and due times gets them (once)."""
    keys: tuple[str, ...]
    due_at: dt.datetime | None


# == schedules, exceptions and slots ==============================================================
class ExceptionKind(StrEnum):
    CLOSED = "closed"   # no slots that day
    OPEN = "open"       # extra opening hours that day


@dataclass(frozen=True, slots=True)
class Period:
    """Weekly opening hours of a schedule: a weekday (1 = Monday) from ``start`` to ``end`` (HH:MM)."""
    weekday: int
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class DayPeriod:
    """Opening hours of one exceptional day (HH:MM)."""
    start: str
    end: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleSpec:
    """A service's weekly booking schedule in a hall, as staff set it."""
    hall_id: str
    service_id: str
    periods: tuple[Period, ...]
    slot_minutes: int
    windows: int
    per_window: int
    release_days: int
    release_time: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule(ScheduleSpec):
    """A schedule as stored: its status, version, and from what each day's slots were last
    written (``planned``: date → fingerprint)."""
    id: ObjectId
    status: ScheduleStatus
    version: int
    updated_at: dt.datetime | None
    planned: Mapping[str, str]

    @property
    def capacity(self) -> int:
        """Places per slot: every window serves ``per_window`` people a slot."""
        return self.windows * self.per_window


@dataclass(frozen=True, slots=True, kw_only=True)
class DayException:
    """A hall's (or one service's, ``service_id`` ``*``: all) closed or extra-open day. A closure
    of one window names it (``window_id``). ``id`` once stored."""
    hall_id: str
    date: str
    service_id: str
    kind: ExceptionKind
    periods: tuple[DayPeriod, ...]
    note: str | None
    at: dt.datetime | None
    by: str | None
    window_id: str | None = None
    id: ObjectId | None = None

    def applies_to(self, service_id: str) -> bool:
        return self.service_id in ("*", service_id)


def exception_for(exceptions: Iterable[DayException], service_id: str) -> DayException | None:
    """The exception of a day that rules a service: its own before the hall-wide one."""
    listed = list(exceptions)
    return next((e for e in listed if e.service_id == service_id), None) or \
        next((e for e in listed if e.service_id == "*"), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Slot:
    """A bookable time slot: its places (``capacity`` = ``booked`` + ``held`` + ``free``), the
    waitlist holds on it (read with one slot, not with lists of slots), open from ``release_at``."""
    id: ObjectId
    hall_id: str
    service_id: str
    date: str
    start: dt.datetime
    end: dt.datetime
    capacity: int
    booked: int
    held: int
    free: int
    status: SlotStatus
    release_at: dt.datetime
    holds: tuple[Hold, ...] = ()
    hold_due: dt.datetime | None = None   # when its holds are next looked at


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotCheck:
    """A slot due for a check of the places lately taken in it: its claims (appointment ids),
    and the waitlist holds those taken from a hold came from."""
    slot_id: ObjectId
    check_due: dt.datetime
    claims: tuple[ObjectId, ...]
    taken: Mapping[ObjectId, Hold]


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSlot:
    """A planned slot not written yet, with all its places free."""
    hall_id: str
    service_id: str
    schedule_id: str
    date: str
    start: dt.datetime
    end: dt.datetime
    capacity: int
    release_at: dt.datetime
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Replan:
    """A written slot whose planned fields change (open again); its free places follow its capacity."""
    slot_id: ObjectId
    capacity: int
    release_at: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """What makes slots match a plan: slots to insert, slots to re-plan, slots to retire."""
    new: tuple[NewSlot, ...] = ()
    changed: tuple[Replan, ...] = ()
    retired: tuple[ObjectId, ...] = ()
