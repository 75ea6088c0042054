"""Booking: the rules, cancel, the resident's bookings, and the sweep that finishes what is due
(messages, reminders, no-shows, places to give back, places a crash left without a booking).

A booking is three writes, none a transaction (docs/appointments.md counts and justifies them):
1. take a place in the slot with one conditional single-document update (``free >= n`` →
   ``$inc``, ``$push`` the new appointment ids into ``claims``): never more than capacity. The
   same update sets the slot's ``check_due`` (``$min``) to when its new places are checked;
2. insert the appointment, already ``booked`` and settled (its reminders, ``due_at`` = the first
   of them), carrying the person's keys (those the limits need: ``BookingKeys.needed``): one
   unique index over the keys makes the insert itself the check of every per-person rule (one
   writer wins, always). A booking refused by a rule
   passes its place to the next request in line, or gives it back;
3. the ``appointment.booked`` message into the outbox, with a dedupe key: after the answer, and
   once the burst of requests under way has passed (one write for all its bookings).
A crash between 1 and 2 leaves places with no booking, a crash between 2 and 3 a booking with
no message: at ``check_due`` the sweep gives such places back (their id says when they were
taken) and writes the missing messages (the dedupe key: never twice). A request that stalled
for half the check time after step 1 gives its places back and answers 503 rather than insert a
booking the sweep might have taken the place of.

Group commit: requests that arrive while a wave of bookings is being written wait for it and
then go together as the next wave; in a wave, each slot's requests are one group with one claim,
and the whole wave's reads, claims, inserts and messages reach the database as one command each,
so a burst costs a handful of operations per wave, not per booking; each request still gets its
own answer.

A booking through a waitlist offer goes the same way (``_commit``, a group of one): step 1
takes the place the offer holds instead of a free one, and a place whose booking is not
written goes back to the offer's hold. ``pending`` bookings (the way earlier versions wrote
offers' bookings) are still finished or abandoned by the sweep.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from bson import ObjectId

from backend.appointments import lifecycle
from backend.appointments.access import AppointmentAccess
from backend.appointments.common import Names, StaffAudit, appointment_view, event_payload, qr_png_base64
from backend.appointments.errors import CancelTooLate, OfferExpired, SlotFull
from backend.appointments.queue import ticket_view
from backend.appointments.rules import BookingRules
from backend.appointments.store import AppointmentStore
from backend.appointments.store_documents import KeyTaken
from backend.appointments.values import (
    BOOKING_KEYS,
    FIRST_KEYS,
    Appointment,
    AppointmentStatus,
    Booked,
    Hold,
    KeysUpgrade,
    PersonRule,
    Settlement,
    Slot,
    Unique,
    WaitlistStatus,
)
from backend.appointments.waitlist import WaitlistService
from backend.config import AppointmentsConfig
from backend.core import errors
from backend.core.access import Resident, access_realname
from backend.core.clock import Clock, iso
from backend.core.foreground import AfterBurst, Foreground
from backend.core.ids import object_id as oid
from backend.core.ids import object_id_at
from notify.outbox import Outbox

log = logging.getLogger("zjb.appointments")
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
# The statuses in which an appointment's place goes back to the slot.
_GIVES_BACK = (AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED_BY_CENTRE, AppointmentStatus.ABANDONED)


def new_code() -> str:
    """Eight characters of the 32-letter alphabet: 40 random bits, read in one call."""
    bits = int.from_bytes(secrets.token_bytes(5))
    return "".join(CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(8))


@dataclass
class _Request:
    resident: Resident
    answer: asyncio.Future[Appointment]
    appt: Appointment | None = None   # the booking it would write

    @property
    def booking(self) -> Appointment:
        assert self.appt is not None, "a live request has its booking"
        return self.appt

    def reply(self, result: Appointment | None = None, error: BaseException | None = None) -> None:
        """Answer the waiting request (unless it went away meanwhile)."""
        if not self.answer.done():
            if error is not None:
                self.answer.set_exception(error)
            elif result is not None:
                self.answer.set_result(result)


class _Meeting:
    """The groups of one wave meet before they take their places, so that their claims leave in
    the same turn of the event loop (one command). Each group has a seat: it arrives before its
    claim, or is done without arriving (refused, or failed, before any claim)."""

    def __init__(self, seats: int):
        self._seats = seats
        self._arrived = 0
        self._gone = 0      # done without arriving
        self._together: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def seat(self) -> _Seat:
        return _Seat(self)

    async def arrive(self) -> None:
        self._arrived += 1
        self._check()
        await self._together

    def leave(self, *, arrived: bool) -> None:
        if not arrived:
            self._gone += 1
            self._check()

    def _check(self) -> None:
        if self._arrived + self._gone >= self._seats and not self._together.done():
            self._together.set_result(None)


class _Seat:
    """One group's place in a ``_Meeting``."""

    def __init__(self, meeting: _Meeting):
        self._meeting = meeting
        self._arrived = False
        self._done = False

    async def arrive(self) -> None:
        """Wait until every group of the wave is about to claim (or will not)."""
        self._arrived = True
        await self._meeting.arrive()

    def done(self) -> None:
        """Past its claim, or none to make (once; later calls change nothing)."""
        if not self._done:
            self._done = True
            self._meeting.leave(arrived=self._arrived)


class GroupCommit:
    """Requests are committed in waves: each slot's requests in a wave form its group, and the
    groups are committed together, so their reads and writes reach the database as one command
    each (the store batches what is asked in one loop turn; the groups meet before their claims)
    and never contend with each other there. Whatever arrives while a wave is being written forms
    the next wave, one wave at a time per process: a place a wave's refusals give back is free
    again before the next wave claims, so nobody is told a slot is full while a place of it is
    only passing between one person's duplicate requests. No request waits for a timer."""

    def __init__(self, commit: Callable[[str, list[_Request], _Seat], Awaitable[None]]):
        self._commit = commit
        self._queued: dict[str, list[_Request]] = {}
        self._running: asyncio.Task[None] | None = None

    async def submit(self, key: str, resident: Resident) -> Appointment:
        loop = asyncio.get_running_loop()
        req = _Request(resident, loop.create_future())
        self._queued.setdefault(key, []).append(req)
        if self._running is None:
            self._running = loop.create_task(self._drain())
        return await req.answer

    async def _drain(self) -> None:
        try:
            while self._queued:
                wave, self._queued = self._queued, {}
                meeting = _Meeting(len(wave))
                await asyncio.gather(*[self._group(key, group, meeting.seat()) for key, group in wave.items()])
        finally:
            self._running = None

    async def _group(self, key: str, group: list[_Request], seat: _Seat) -> None:
        try:
            await self._commit(key, group, seat)
        except BaseException as e:  # noqa: BLE001 - every waiting request gets the failure
            for r in group:
                r.reply(error=e)
            if not isinstance(e, Exception):
                raise
        finally:
            seat.done()


class BookingService:
    def __init__(self, *, store: AppointmentStore, rules: BookingRules, waitlist: WaitlistService, outbox: Outbox,
                 names: Names, audit: StaffAudit, clock: Clock, config: AppointmentsConfig, foreground: Foreground):
        self.store = store
        self.rules = rules
        self.waitlist = waitlist
        self.outbox = outbox
        self.names = names
        self.audit = audit
        self.clock = clock
        self.cfg = config
        self.access = AppointmentAccess(store, None)
        self._key_rules = BOOKING_KEYS.needed(config)   # the person rules a new booking takes keys for
        self._groups = GroupCommit(self._commit_group)
        # The booked messages of a burst, written together once it has passed (step 3).
        self._booked_messages: AfterBurst[dict[str, Any]] = AfterBurst(foreground, self.outbox.emit_many)
        self._qr: dict[str, str] = {}
        # Closures.cancel_if_closed: asked before a booking is counted a no-show (set by the builder).
        self.closed_day: Callable[[Appointment], Awaitable[bool]] | None = None
        # Tests only: called between the steps of a booking to simulate a crash there.
        self.fault_hook: Callable[[str], Awaitable[None]] | None = None

    def view(self, a: Appointment, **kw: Any) -> dict[str, Any]:
        return appointment_view(a, self.cfg, **kw)

    def qr(self, code: str) -> str:
        """The booking code's QR image, rendered once per process (the code never changes)."""
        png = self._qr.get(code)
        if png is None:
            if len(self._qr) >= 2048:
                self._qr.clear()
            png = self._qr[code] = qr_png_base64(code)
        return png

    async def _fault(self, step: str) -> None:
        if self.fault_hook is not None:
            await self.fault_hook(step)

    async def _move(self, a: Appointment, to: AppointmentStatus, **kw: Any) -> Appointment | None:
        return await lifecycle.move(self.store, a, to, self.clock.now(), self.cfg, **kw)

    # == booking ===================================================================================
    async def book(self, resident: Resident, slot_id: str, *, offer: Hold | None = None) -> dict[str, Any]:
        """Book a place of the slot: a free one, or the place held for the resident's waitlist
        ``offer``. Both go through ``_commit``."""
        if self.cfg.require_realname:
            access_realname(resident)
        if oid(slot_id) is None:
            raise errors.NotFound("未找到该时段")
        key = str(oid(slot_id))
        if offer is None:
            return self.view(await self._groups.submit(key, resident))
        req = _Request(resident, asyncio.get_running_loop().create_future())
        await self._commit(key, [req], offer)
        return self.view(await req.answer)

    @staticmethod
    def _full(slot: Slot) -> errors.AppError:
        return SlotFull("该时段已约满，可加入候补", details={"slot_id": str(slot.id)})

    async def _new_booking(self, resident: Resident, slot: Slot, now: dt.datetime,
                           offer: Hold | None) -> Appointment:
        """A new appointment, ``booked`` and settled (its place is taken first): its reminders
        ahead, due at the first of them. Its id carries ``now``."""
        a = Appointment(
            id=object_id_at(now), code=new_code(), user_id=resident.id, slot_id=str(slot.id), hall_id=slot.hall_id,
            service_id=slot.service_id, date=slot.date, start=slot.start, end=slot.end,
            status=AppointmentStatus.BOOKED, created_at=now, service_name=await self.names.service(slot.service_id),
            hall_name=await self.names.hall(slot.hall_id), updated_at=now, v=0, at={"booked": now},
            reminders=tuple(lifecycle.reminders_ahead(self.cfg, slot.start, now)),
            waitlist_id=None if offer is None else offer.entry_id)
        return replace(a, due_at=lifecycle.next_due(a, now, self.cfg),
                       keys=lifecycle.person_keys(a, FIRST_KEYS, self._key_rules))

    async def _commit_group(self, slot_id: str, group: list[_Request], seat: _Seat) -> None:
        await self._commit(slot_id, group, None, seat)

    async def _take(self, slot: Slot, appt_ids: list[ObjectId], offer: Hold | None, now: dt.datetime,
                    check_at: dt.datetime) -> int:
        """Step 1: places for the first of ``appt_ids``, free ones or the one the offer holds."""
        if offer is None:
            return await self.store.take_places(slot.id, appt_ids, now, check_at)
        return int(await self.store.take_held_place(slot.id, offer, appt_ids[0], now, check_at))

    async def _give_back(self, slot: Slot, appt_id: ObjectId, offer: Hold | None) -> None:
        """A place taken for a booking that is not written: an offer's goes back to its hold (the
        offer stands as it was), a free one to the waitlist or everyone."""
        now = self.clock.now()
        if offer is None:
            await self.waitlist.give_back_place(slot.id, appt_id, now)
        else:
            await self.store.release_claim(slot.id, appt_id, hold_for=offer, now=now)

    async def _commit(self, slot_id: str, group: list[_Request], offer: Hold | None,
                      seat: _Seat | None = None) -> None:
        """The one booking path. One group of requests for one slot (a waitlist offer: a group of
        one): one read of the slot and one of the people's records for all, then steps 1–3 for
        all; each request is answered with its own outcome."""
        now = self.clock.now()
        # The slot and the people's records are read together: one round trip of the wave.
        slot, people = await asyncio.gather(self.store.slot(slot_id),
                                            self.store.people([r.resident.id for r in group]))
        if slot is None:
            raise errors.NotFound("未找到该时段")
        self.rules.check_time(slot, now, released=offer is None)
        if offer is None and slot.free <= 0:  # fast refusal; the real guard is step 1
            raise self._full(slot)
        live: list[_Request] = []
        for r in group:
            refusal = self.rules.blocked(people.get(r.resident.id), now)
            if refusal is not None:
                r.reply(error=refusal)
            else:
                r.appt = await self._new_booking(r.resident, slot, now, offer)
                live.append(r)
        if not live:
            return
        # 1. places, for as many as are free (first come, first served), or the offer's
        check_at = now + dt.timedelta(seconds=self.cfg.pending_timeout_seconds)
        if seat is not None:
            await seat.arrive()   # the wave's claims leave together
        n = await self._take(slot, [r.booking.id for r in live], offer, now, check_at)
        if offer is not None and n == 0:
            raise OfferExpired("候补名额已过期")
        todo, waiting = live[:n], live[n:]
        await self._fault("after_claim")
        # 2. the bookings; a place whose booking a person rule refuses passes to the next in line.
        # Refusals are answered once their places are given back, so what they read next agrees.
        inserted: list[_Request] = []
        refused: list[tuple[_Request, errors.AppError]] = []
        spare: list[ObjectId] = []
        while todo:
            if self._stalled(now):
                spare += [r.booking.id for r in todo]
                refused += [(r, errors.ServiceUnavailable("预约未完成，请重试")) for r in todo]
                break
            taken = await self.store.insert_appointments([r.booking for r in todo])
            for i, r in enumerate(todo):
                if i in taken:
                    try:
                        r.appt = await self._insert_one_by_one(r.booking, taken[i])
                    except errors.AppError as e:
                        refused.append((r, e))
                        spare.append(r.booking.id)
                        continue
                inserted.append(r)
            todo = []
            while spare and waiting:
                r = waiting.pop(0)
                r.appt = replace(r.booking, id=spare.pop(0))
                todo.append(r)
        for appt_id in spare:
            await self._give_back(slot, appt_id, offer)
        refused += [(r, self._full(slot)) for r in waiting]
        for r, err in refused:
            r.reply(error=err)
        await self._fault("after_insert")
        if not inserted:
            return
        # Booked: each person is answered now. 3. the messages, written after the answers, once the
        # burst of requests has passed (in one write for all its bookings, at most
        # ``workers.yield_max_seconds`` later): should this write fail, or the process die before
        # it, the slot's check writes them (step 1 set it due).
        for r in inserted:
            r.reply(r.booking)
        await self._fault("after_answer")
        self._booked_messages.add([self._event("booked", r.booking) for r in inserted])

    def _stalled(self, claimed_at: dt.datetime) -> bool:
        """Whether places taken at ``claimed_at`` are too old to write bookings for: the sweep
        gives back a place with no booking once the check time has passed, so a request that
        stalled for half of it gives its places back itself instead."""
        limit = dt.timedelta(seconds=self.cfg.pending_timeout_seconds / 2)
        return self.clock.now() >= claimed_at + limit

    async def _insert_one_by_one(self, a: Appointment, taken: KeyTaken | None) -> Appointment:
        """Insert one booking, taking the next free key of a rule whose limit is above one (or
        drawing its code again); returns it as inserted."""
        nth = dict(FIRST_KEYS)
        for _ in range(sum(BOOKING_KEYS.limit(rule, self.cfg) for rule in PersonRule) + 5):
            if taken is not None:
                rule = taken.rule
                if rule == Unique.CODE:
                    a = replace(a, code=new_code())
                elif isinstance(rule, PersonRule):
                    nth[rule] += 1
                    if nth[rule] >= BOOKING_KEYS.limit(rule, self.cfg):
                        raise await self._refusal(rule, a)
                    a = replace(a, keys=lifecycle.person_keys(a, nth, self._key_rules))
                else:
                    raise errors.ServiceUnavailable()
            refused = await self.store.insert_appointments([a])
            if not refused:
                return a
            taken = refused[0]
        raise errors.ServiceUnavailable()  # pragma: no cover - bounded loop

    async def _refusal(self, rule: PersonRule, a: Appointment) -> errors.AppError:
        """The answer to a booking ``rule`` refuses (a full day says so when that service fills it).
        A key that stands for rules it implies (``BookingKeys.needed``) is told apart by reading
        the person's bookings: the same slot is answered as the slot's rule."""
        if rule != PersonRule.SLOT and PersonRule.SLOT not in self._key_rules \
                and await self.store.holds_slot(a.user_id, a.slot_id):
            rule = PersonRule.SLOT
        same_service = 0
        if rule == PersonRule.DAY:
            same_service = await self.store.count_same_service_day(a.user_id, a.service_id, a.date)
        return BOOKING_KEYS.refusal(rule, self.cfg, date=a.date, service_id=a.service_id,
                                    same_service=same_service)

    async def ensure_person_keys(self) -> int:
        """At start-up: the limits may now need keys for rules the bookings made before did not take
        (a limit raised above one). Each booking holding such a key's statuses is given it (the
        first of each: while the rule was implied, a person had at most one), before this process
        books; how many were. Every process of a deployment must run the same limits."""
        made_for = await self.store.person_rules_in_use()
        missing = self._key_rules - (made_for if made_for is not None else frozenset(PersonRule))
        n = await self.store.add_person_keys(missing) if missing else 0
        if made_for != self._key_rules:
            await self.store.set_person_rules_in_use(self._key_rules)
        return n

    async def _finish_pending(self, a: Appointment, now: dt.datetime) -> Appointment | None:
        """``pending`` → ``booked`` for a booking holding a place (written so by an earlier
        version), its message noted for the sweep; None when the reconciler abandoned it
        meanwhile, whose place is then given back."""
        reminders = tuple(lifecycle.reminders_ahead(self.cfg, a.start, now))
        # The noted message makes it due now (lifecycle.next_due): the sweep sends it.
        n = await self.store.mark_booked([a.id], Booked(now, reminders))
        fresh = None if n == 1 else await self.store.appointment(a.id)
        if n == 1 or (fresh is not None and fresh.status == AppointmentStatus.BOOKED):
            return replace(a, status=AppointmentStatus.BOOKED, updated_at=now, at={**a.at, "booked": now},
                           due_at=now, notes=("booked",), reminders=reminders, v=a.v + 1)
        if fresh is not None and fresh.status == AppointmentStatus.ABANDONED:
            again = await self._move(fresh, AppointmentStatus.ABANDONED, release_place=True)
            await self._settle(again or fresh, now)
        return None

    async def _emit(self, kind: str, a: Appointment, **payload: Any) -> None:
        await self.outbox.emit(**self._event(kind, a, **payload))

    @staticmethod
    def _event(kind: str, a: Appointment, **payload: Any) -> dict[str, Any]:
        return {"kind": f"appointment.{kind}", "user_id": a.user_id, "payload": event_payload(a, **payload),
                "dedupe_key": f"appt:{a.id}:{kind}"}

    async def accept_offer(self, resident: Resident, entry_id: str) -> dict[str, Any]:
        w = await self.access.access_waitlist_entry(resident, entry_id, "accept")
        now = self.clock.now()
        if w.status != WaitlistStatus.OFFERED or w.offer_until is None or w.offer_until <= now:
            raise OfferExpired("没有可接受的候补名额（未轮到或已过期）",
                                  details={"status": w.status.value})
        booked = await self.book(resident, w.slot_id, offer=Hold(str(w.id), w.offer_until))
        await self.store.mark_accepted(w.id, str(booked["id"]))
        return booked

    # == the resident's bookings ===================================================================
    async def mine(self, resident: Resident) -> list[dict[str, Any]]:
        return [self.view(a) for a in await self.store.user_appointments(resident.id)]

    async def get_mine(self, resident: Resident, appt_id: str) -> dict[str, Any]:
        a = await self.access.access_appointment(resident, appt_id, "read")
        if a.status == AppointmentStatus.ABANDONED:
            raise errors.NotFound()
        ticket = await self.store.appointment_ticket(a)
        return {**self.view(a, ticket=await ticket_view(self.store, ticket, self.clock.now()) if ticket else None),
                "qr_png_base64": self.qr(a.code)}

    async def cancel(self, resident: Resident, appt_id: str) -> dict[str, Any]:
        a = await self.access.access_appointment(resident, appt_id, "cancel")
        if a.status == AppointmentStatus.CANCELLED:
            return self.view(a)
        if a.status != AppointmentStatus.BOOKED:
            raise errors.InvalidState("该预约当前状态不能取消", details={"status": a.status.value})
        now = self.clock.now()
        deadline = a.start - dt.timedelta(minutes=self.cfg.cancel_before_minutes)
        if now > deadline:
            raise CancelTooLate(f"距开始不足 {self.cfg.cancel_before_minutes // 60} 小时，不能取消；"
                                  "如不能前往，未签到将记为爽约",
                                  details={"cancel_deadline": iso(deadline)})
        doc = await self._move(a, AppointmentStatus.CANCELLED, notes=("cancelled",),
                               release_place=True, clear_reminders=True)
        if doc is None:
            return await self.cancel(resident, appt_id)  # it changed meanwhile: answer for its new state
        await self._fault("after_cancel")
        await self._settle(doc, now)  # the place back at once, and the message
        return self.view(doc)

    async def cancel_for_closed_account(self, user_id: str) -> int:
        """The account is being cancelled (注销): each booking still to come is cancelled whatever
        the cancellation deadline, its place freed at once; how many."""
        now = self.clock.now()
        count = 0
        for a in await self.store.user_appointments(user_id, limit=1000):
            if a.status != AppointmentStatus.BOOKED or a.start <= now:
                continue
            doc = await self._move(a, AppointmentStatus.CANCELLED, notes=(),
                                   release_place=True, clear_reminders=True)
            if doc is not None:
                await self._settle(doc, now)
                count += 1
        return count

    async def booking_status(self, resident: Resident) -> dict[str, Any]:
        now = self.clock.now()
        p = await self.rules.person(resident.id)
        since = now - dt.timedelta(days=self.cfg.no_show_window_days)
        recent = [n for n in p.get("no_shows", []) if n["at"] >= since]
        until = p.get("blocked_until")
        blocked = bool(until and until > now)
        return {"blocked": blocked, "blocked_until": until if blocked else None,
                "reason": p.get("blocked_reason") if blocked else None, "recent_no_shows": len(recent),
                "open_bookings": await self.store.count_open(resident.id),
                "realname_verified": resident.realname_verified,
                "limits": {"max_open": self.cfg.max_open, "max_per_day": self.cfg.max_per_day,
                           "max_per_service_per_day": self.cfg.max_per_service_per_day,
                           "cancel_before_minutes": self.cfg.cancel_before_minutes,
                           "no_show_limit": self.cfg.no_show_limit, "no_show_window_days": self.cfg.no_show_window_days,
                           "block_days": self.cfg.block_days}}

    async def upgrade_old_documents(self) -> int:
        """Drop the indexes earlier versions kept, and give their appointments person keys and a due
        time (a migration: safe to run again)."""
        await self.store.drop_obsolete_indexes()
        now = self.clock.now()
        n = 0
        for a in await self.store.old_format_appointments():  # their keys read from the old fields
            new = replace(a, v=0, notes=(), reminders=())
            await self.store.upgrade(a.id, KeysUpgrade(a.keys, lifecycle.next_due(new, now, self.cfg)))
            n += 1
        return n

    async def settle(self, a: Appointment) -> str:
        """Do now what is due for one appointment just moved (its place back, its message)."""
        return await self._settle(a, self.clock.now())

    # == the sweep ===================================================================================
    async def sweep(self) -> dict[str, int]:
        """Everything due by now, found through the ``due_at`` index (and the slots' ``hold_due``):
        its cost follows what is due, not how many appointments there have ever been."""
        now = self.clock.now()
        stats: Counter[str] = Counter()
        for a in await self.store.due(now):
            try:
                stats[await self._settle(a, now)] += 1
            except Exception:  # one bad document must not stop the others; it stays due
                log.exception("appointment sweep failed", extra={"appointment_id": str(a.id)})
        stats["holds"] += await self.waitlist.sweep_holds(now)
        stats["places_checked"] += await self._check_places(now)
        return dict(stats)

    async def _check_places(self, now: dt.datetime) -> int:
        """Slots with places taken lately (``check_due``): a place whose booking was never written
        (the request died after taking it) goes back once it is older than the check time; a
        booking whose message was never written gets it (the dedupe key: never twice). The
        places are those taken since the check was due, known by the time in their ids."""
        timeout = dt.timedelta(seconds=self.cfg.pending_timeout_seconds)
        released = 0
        for check in await self.store.slots_with_checks_due(now):
            since = check.check_due - timeout - dt.timedelta(seconds=1)  # ids keep whole seconds
            recent = [c for c in check.claims if c.generation_time >= since]
            found = await self.store.appointments(recent)
            gone: list[ObjectId] = []
            later: list[dt.datetime] = []
            for c in recent:
                if c in found:
                    continue
                if c.generation_time + timeout <= now:
                    # a place taken from an offer goes back to its hold (the hold sweep passes
                    # it on should it have run out meanwhile)
                    if c in check.taken:
                        await self.store.release_claim(check.slot_id, c, hold_for=check.taken[c], now=now)
                    else:
                        await self.waitlist.give_back_place(check.slot_id, c, now)
                    gone.append(c)
                else:
                    later.append(c.generation_time + timeout + dt.timedelta(seconds=1))
            booked = [found[c] for c in recent if c in found and found[c].status == AppointmentStatus.BOOKED]
            if booked:
                await self.outbox.emit_many([self._event("booked", a) for a in booked])
            claims = [c for c in check.claims if c not in gone]
            await self.store.set_check_due(check.slot_id, check.check_due, claims, min(later, default=None))
            released += len(gone)
        return released

    async def _settle(self, a: Appointment, now: dt.datetime) -> str:
        """Do what is due for one appointment, then record it (unless it changed meanwhile, in
        which case it is due again and the next sweep looks at it)."""
        outcome = "settled"
        if a.status == AppointmentStatus.PENDING:
            if a.created_at + dt.timedelta(seconds=self.cfg.pending_timeout_seconds) > now:
                return "not_due"
            if await self.store.has_claim(ObjectId(a.slot_id), a.id):  # crashed after its place: finish
                moved = await self._finish_pending(a, now)
                outcome = "finished"
            else:  # crashed before its place: undo (the keys go, a late claim is given back)
                moved = await self._move(a, AppointmentStatus.ABANDONED, release_place=True)
                outcome = "abandoned"
            if moved is None:
                return "changed"
            a = moved
        if a.status == AppointmentStatus.BOOKED and a.end <= now and self.closed_day and await self.closed_day(a):
            return "cancelled_by_centre"  # its day was closed: cancelled by the centre, never a no-show
        if a.status == AppointmentStatus.BOOKED and a.end <= now:
            no_show = await self._move(a, AppointmentStatus.NO_SHOW, notes=("no_show",),
                                       record_no_show=True, clear_reminders=True)
            if no_show is None:
                return "changed"
            a = no_show
            outcome = "no_show"
        done = replace(a, notes=())   # as it is once settled
        released = recorded = False
        if a.status in _GIVES_BACK and a.place_released is False:
            await self.waitlist.give_back_place(ObjectId(a.slot_id), a.id, now)
            done, released = replace(done, place_released=True), True
        if a.status == AppointmentStatus.NO_SHOW and a.no_show_recorded is False:
            await self._record_no_show(a, now)
            done, recorded = replace(done, no_show_recorded=True), True
        for kind in a.notes:
            await self._emit(kind, a)
        reminders: tuple[int, ...] | None = None
        if a.status == AppointmentStatus.BOOKED and a.reminders:
            reminders = tuple(await self._remind(a, now))
            done = replace(done, reminders=reminders)
        due = lifecycle.next_due(done, now, self.cfg)
        await self.store.settle(a.id, a.v, Settlement(due_at=due, place_released=released,
                                                      no_show_recorded=recorded, reminders=reminders))
        return outcome

    async def _remind(self, a: Appointment, now: dt.datetime) -> list[int]:
        """Send the reminder now due (the day before, the hour before); returns those still ahead.
        When several are due at once (the sweep was not running), only the latest is sent."""
        due = [m for m in a.reminders if a.start - dt.timedelta(minutes=m) <= now]
        if due and now < a.start:
            m = min(due)
            await self.outbox.emit("appointment.reminder", user_id=a.user_id,
                                   payload=event_payload(a, minutes_before=m),
                                   deliver_after=a.start - dt.timedelta(minutes=m),
                                   dedupe_key=f"appt:{a.id}:reminder:{m}")
        return [m for m in a.reminders if m not in due]

    async def _record_no_show(self, a: Appointment, now: dt.datetime) -> None:
        """Count the no-show against the person (once) and block booking after too many. It is
        judged as of when it happened (the end of its slot), however late the sweep comes to it
        (the processes were down, the clock jumped): the window counts back from then and the
        block runs from then, so a late sweep neither lengthens a block nor misses one."""
        uid = a.user_id
        at = a.end
        new, p = await self.store.add_no_show(uid, {"appointment_id": str(a.id), "at": at})
        since = at - dt.timedelta(days=self.cfg.no_show_window_days)
        recent = [n for n in p.get("no_shows", []) if since <= n["at"] <= at]
        until = at + dt.timedelta(days=self.cfg.block_days)
        if len(recent) >= self.cfg.no_show_limit and until > now \
                and not (p.get("blocked_until") and p["blocked_until"] > now):
            reason = f"{self.cfg.no_show_window_days} 天内爽约 {len(recent)} 次"
            await self.store.block_person(uid, until, reason, now, str(a.id))
            p = await self.rules.person(uid)
        if p.get("blocked_by") == str(a.id):
            await self._emit("booking_blocked", a, blocked_until=iso(p["blocked_until"]), reason=p["blocked_reason"])
        if new:
            await self.audit.system("appointments.sweep", "appointments.no_show", "appointment", str(a.id),
                                    {"user_id": uid})
