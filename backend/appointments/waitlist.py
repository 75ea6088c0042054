"""Waitlists of full slots (候补). When a place frees, the same atomic update that removes the
claim puts a *hold* for the first in line into the slot (``held + 1``, not ``free + 1``), so
nobody else can take it; the entry becomes ``offered`` and hears about it. An expired or
declined hold passes straight to the next in line, or back to everyone."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from bson import ObjectId

from backend.appointments.access import AppointmentAccess
from backend.appointments.common import Names, Transaction
from backend.appointments.errors import AlreadyBooked, AlreadyWaitlisted, SlotAvailable, TooManyWaitlists
from backend.appointments.rules import BookingRules
from backend.appointments.store import AppointmentStore
from backend.appointments.store_documents import KeyTaken
from backend.appointments.values import Hold, Slot, WaitlistEntry, WaitlistJoin, WaitlistStatus
from backend.config import AppointmentsConfig
from backend.core import errors
from backend.core.access import Resident, access_realname
from backend.core.clock import Clock, iso
from notify.outbox import Outbox


class WaitlistService:
    def __init__(self, *, store: AppointmentStore, rules: BookingRules, outbox: Outbox, names: Names,
                 transaction: Transaction[Any], clock: Clock, config: AppointmentsConfig):
        self.store = store
        self.rules = rules
        self.outbox = outbox
        self.names = names
        self.tx = transaction
        self.clock = clock
        self.cfg = config
        self.access = AppointmentAccess(store, None)

    # == places coming back ========================================================================
    async def give_back_place(self, slot_id: ObjectId, appt_id: ObjectId, now: dt.datetime) -> None:
        """A booking's place comes back: first to the waitlist (held for a while), else to everyone.
        Happens once: the update is conditional on the claim being there."""
        slot = await self.store.slot(slot_id)
        hold: Hold | None = None
        head = None
        if slot is not None and self.rules.holdable(slot, now):
            head = await self.store.first_waiting(str(slot_id))
            if head is not None:
                hold = Hold(str(head.id), self.rules.offer_until(slot, now))
        if await self.store.release_claim(slot_id, appt_id, hold_for=hold, now=now) and head is not None \
                and hold is not None:
            await self.offer(head, hold.until)

    async def offer(self, entry: WaitlistEntry, until: dt.datetime) -> None:
        """The entry is offered the place it holds, and told so (once)."""
        now = self.clock.now()

        async def tx(session: Any) -> None:
            if await self.store.mark_offered(entry.id, until, now, session=session):
                await self.outbox.emit("appointment.waitlist_offer", user_id=entry.user_id, payload={
                    "waitlist_id": str(entry.id), "slot_id": entry.slot_id,
                    "service_name": entry.service_name, "hall_name": entry.hall_name,
                    "start": iso(entry.start), "offer_until": iso(until)},
                    session=session, dedupe_key=f"wl:{entry.id}:offer")
        await self.tx(tx)

    async def pass_hold(self, slot: Slot, w: str, now: dt.datetime, *, expired_only: bool) -> None:
        """A held place that is not taken goes to the next in line, or back to everyone."""
        await self.store.expire_offer(w, now)
        hold: Hold | None = None
        head = None
        if self.rules.holdable(slot, now):
            head = await self.store.first_waiting(str(slot.id), besides=w)
            if head is not None:
                hold = Hold(str(head.id), self.rules.offer_until(slot, now))
        if await self.store.release_hold(slot.id, w, hold_for=hold, now=now,
                                         only_expired_at=now if expired_only else None) and head is not None \
                and hold is not None:
            await self.offer(head, hold.until)

    async def sweep_holds(self, now: dt.datetime) -> int:
        """Slots whose holds are due (an offer that may not have been sent, or a hold expiring):
        expired holds move on, unsent offers are sent. Found through ``hold_due``."""
        n = 0
        for slot in await self.store.slots_with_holds_due(now):
            for h in slot.holds:
                entry = await self.store.waitlist_entry(h.entry_id)
                if h.until <= now or entry is None or not entry.active:
                    await self.pass_hold(slot, h.entry_id, now, expired_only=False)
                    n += 1
                elif entry.status == WaitlistStatus.WAITING:
                    await self.offer(entry, h.until)
                    n += 1
            after = await self.store.slot(slot.id)
            if slot.hold_due is not None:  # always so: it was found by it
                await self.store.set_hold_due(slot.id, slot.hold_due,
                                              min((h.until for h in after.holds), default=None) if after else None)
        return n

    # == the resident's waitlist ===================================================================
    async def join(self, resident: Resident, slot_id: str) -> dict[str, Any]:
        if self.cfg.require_realname:
            access_realname(resident)
        now = self.clock.now()
        slot = await self.store.slot(slot_id)
        if slot is None:
            raise errors.NotFound("未找到该时段")
        self.rules.check_time(slot, now)
        await self.rules.check_not_blocked(resident.id, now)
        if slot.free > 0:
            raise SlotAvailable("该时段还有名额，请直接预约")
        slot_id = str(slot.id)  # the canonical id: other spellings of it are the same slot
        if await self.store.holds_slot(resident.id, slot_id):
            raise AlreadyBooked("您已预约该时段")
        if await self.store.count_active_waitlists(resident.id) >= self.cfg.max_waitlists:
            raise TooManyWaitlists(f"您已在 {self.cfg.max_waitlists} 个时段的候补名单中，请先处理已有的候补")
        join = WaitlistJoin(slot_id=slot_id, user_id=resident.id, hall_id=slot.hall_id,
                            service_id=slot.service_id, start=slot.start, end=slot.end, date=slot.date,
                            service_name=await self.names.service(slot.service_id),
                            hall_name=await self.names.hall(slot.hall_id), created_at=now)
        try:
            entry = await self.store.insert_waitlist(join)
        except KeyTaken:
            raise AlreadyWaitlisted("您已在该时段的候补名单中") from None
        return await self.view(entry)

    async def view(self, w: WaitlistEntry) -> dict[str, Any]:
        """A waitlist entry as the API shows it (how many are ahead while it waits)."""
        ahead = await self.store.count_ahead(w.slot_id, w.created_at) if w.status == WaitlistStatus.WAITING else None
        return {"id": str(w.id), "slot_id": w.slot_id, "hall_id": w.hall_id, "service_id": w.service_id,
                "service_name": w.service_name, "hall_name": w.hall_name,
                "start": w.start, "end": w.end, "status": w.status.value, "ahead": ahead,
                "offer_until": w.offer_until, "appointment_id": w.appointment_id,
                "cancel_reason": w.cancel_reason,
                "created_at": w.created_at}

    async def mine(self, resident: Resident) -> list[dict[str, Any]]:
        return [await self.view(w) for w in await self.store.user_waitlist(resident.id)]

    async def remove_all_of(self, user_id: str) -> int:
        """The account is being cancelled (注销): every entry of the resident ends (a place held for
        them passes on) and is deleted; how many."""
        now = self.clock.now()
        for w in await self.store.user_waitlist(user_id, limit=1000):
            if w.active and await self.store.mark_left(w.id, w.status) and w.status == WaitlistStatus.OFFERED:
                slot = await self.store.slot(w.slot_id)
                if slot is not None:
                    await self.pass_hold(slot, str(w.id), now, expired_only=False)
        return await self.store.delete_waitlist_of(user_id)

    async def leave(self, resident: Resident, entry_id: str) -> dict[str, Any]:
        w = await self.access.access_waitlist_entry(resident, entry_id, "leave")
        if not w.active:
            raise errors.InvalidState("该候补已结束", details={"status": w.status.value})
        if not await self.store.mark_left(w.id, w.status):
            return await self.leave(resident, entry_id)  # it changed meanwhile: decide again
        if w.status == WaitlistStatus.OFFERED:
            slot = await self.store.slot(w.slot_id)
            if slot is not None:
                await self.pass_hold(slot, str(w.id), self.clock.now(), expired_only=False)
        return await self.view(replace(w, status=WaitlistStatus.LEFT))
