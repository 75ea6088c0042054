"""Build appointments: schedules and slots, booking and waitlist, the hall queue."""
from __future__ import annotations

from backend.appointments import handlers, words
from backend.appointments.booking import BookingService
from backend.appointments.closures import Closures
from backend.appointments.common import HallAccess, Names, StaffAudit
from backend.appointments.handling import booking_handling
from backend.appointments.holidays import HolidayClosures
from backend.appointments.queue import QueueService
from backend.appointments.rules import BookingRules
from backend.appointments.schedules import ScheduleService
from backend.appointments.store import COLLECTIONS, AppointmentStore
from backend.appointments.waitlist import WaitlistService
from backend.config import Config
from backend.core.domain import Deps, Domain, GaugeSpec, JobSpec
from backend.db.mongo import in_transaction


def build(config: Config, deps: Deps) -> Domain:
    cfg = config.appointments
    clock = deps.clock
    store = AppointmentStore(deps.db)
    catalogue = deps.need("catalogue")
    halls = HallAccess(deps.need("staff"), catalogue)
    names = Names(catalogue)
    audit = StaffAudit(deps.need("audit"))
    outbox = deps.need("outbox")
    rules = BookingRules(store=store, config=cfg)

    async def transaction(fn):  # noqa: ANN001, ANN202 - see common.Transaction
        return await in_transaction(deps.client, fn)

    schedules = ScheduleService(store=store, catalogue=catalogue, halls=halls, names=names, audit=audit,
                                clock=clock, config=cfg)
    waitlist = WaitlistService(store=store, rules=rules, outbox=outbox, names=names, transaction=transaction,
                               clock=clock, config=cfg)
    booking = BookingService(store=store, rules=rules, waitlist=waitlist, outbox=outbox, names=names, audit=audit,
                             clock=clock, config=cfg)
    closures = Closures(store=store, catalogue=catalogue, halls=halls, schedules=schedules, booking=booking,
                        outbox=outbox, audit=audit, transaction=transaction, clock=clock, config=cfg)
    schedules.closures = closures
    booking.closed_day = closures.cancel_if_closed
    catalogue.closure_listeners.append(closures.hall_days_closed)
    deps.need("calendar_service").listen(HolidayClosures(closures=closures, catalogue=catalogue, clock=clock))
    queue = QueueService(store=store, catalogue=catalogue, halls=halls, names=names, audit=audit,
                         transaction=transaction, clock=clock, config=cfg, users=deps.need("user_directory"))

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_due_by_status(clock.now())]

    async def upkeep() -> None:
        if await store.drop_obsolete_indexes():  # a database of an earlier version: upgrade its bookings once
            await booking.upgrade_old_documents()

    deps.need("resident_handling").add(booking_handling(store))

    return Domain(
        "appointments", words=words.WORDS, service=booking,
        routes=handlers.routes(schedules=schedules, booking=booking, waitlist=waitlist, queue=queue,
                               closures=closures, clock=clock, limiter=deps.need("limiter")),
        jobs=[JobSpec("appointments.generate", schedules.generate, cfg.generate_interval_seconds),
              JobSpec("appointments.sweep", booking.sweep, cfg.sweep_interval_seconds),
              JobSpec("appointments.closures", closures.sweep, cfg.sweep_interval_seconds)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_appointments", "Appointments with work overdue for the sweep, by status.", by_status)],
        on_start=[upkeep],
        provides={"appointments": schedules, "closures": closures},
    )
