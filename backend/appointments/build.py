"""Build appointments: schedules and slots, booking and waitlist, the hall queue."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from backend.appointments import handlers, words
from backend.appointments.booking import BookingService
from backend.appointments.closures import Closures
from backend.appointments.common import HallAccess, Names, StaffAudit
from backend.appointments.display import HallBoards
from backend.appointments.handling import booking_handling
from backend.appointments.holidays import HolidayClosures
from backend.appointments.personal import AppointmentData
from backend.appointments.ports import QueueResidents
from backend.appointments.queue import QueueService
from backend.appointments.rules import BookingRules
from backend.appointments.schedules import ScheduleService
from backend.appointments.store import COLLECTIONS, AppointmentStore
from backend.appointments.waitlist import WaitlistService
from backend.audit.service import AuditLog
from backend.catalogue.service import CatalogueService
from backend.config import Config
from backend.core.domain import Built, Domain, GaugeSpec, JobSpec
from backend.core.infra import Infra
from backend.core.migrations import Migration
from backend.core.ports import DayListeners, HandlingChecks
from backend.db.mongo import in_transaction
from notify.outbox import Outbox

T = TypeVar("T")


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    catalogue: CatalogueService
    outbox: Outbox
    calendar_days: DayListeners
    users: QueueResidents
    handling: HandlingChecks


@dataclass(frozen=True)
class AppointmentsProvides:
    schedules: ScheduleService   # sandbox seeding: schedules and slots
    booking: BookingService      # the sweep, for the CLI and tests
    closures: Closures           # closing days, for tests
    personal: AppointmentData    # a resident's bookings and waitlist, in their data and at cancellation


def build(config: Config, infra: Infra, needs: Needs) -> Built[AppointmentsProvides]:
    cfg = config.appointments
    clock = infra.clock
    store = AppointmentStore(infra.db)
    catalogue = needs.catalogue
    halls = HallAccess(catalogue)
    names = Names(catalogue)
    audit = StaffAudit(needs.audit)
    outbox = needs.outbox
    rules = BookingRules(store=store, config=cfg)

    async def transaction(fn: Callable[[AsyncClientSession], Awaitable[T]]) -> T:  # see common.Transaction
        return await in_transaction(infra.client, fn)

    schedules = ScheduleService(store=store, catalogue=catalogue, halls=halls, names=names, audit=audit,
                                clock=clock, config=cfg)
    waitlist = WaitlistService(store=store, rules=rules, outbox=outbox, names=names, transaction=transaction,
                               clock=clock, config=cfg)
    booking = BookingService(store=store, rules=rules, waitlist=waitlist, outbox=outbox, names=names, audit=audit,
                             clock=clock, config=cfg, foreground=infra.foreground)
    closures = Closures(store=store, catalogue=catalogue, halls=halls, schedules=schedules, booking=booking,
                        outbox=outbox, audit=audit, transaction=transaction, clock=clock, config=cfg)
    schedules.closures = closures
    booking.closed_day = closures.cancel_if_closed
    catalogue.closure_listeners.append(closures.hall_days_closed)
    needs.calendar_days.listen(HolidayClosures(closures=closures, catalogue=catalogue, clock=clock))
    boards = HallBoards(store=store, catalogue=catalogue, clock=clock)
    queue = QueueService(store=store, catalogue=catalogue, halls=halls, names=names, audit=audit,
                         transaction=transaction, clock=clock, config=cfg, users=needs.users, outbox=outbox,
                         boards=boards)

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_due_by_status(clock.now())]

    needs.handling.add(booking_handling(store, needs.audit, halls, clock))

    return Built(Domain(
        "appointments", words=words.WORDS, service=booking,
        names={"appointment": store.appointment_names, "ticket": store.ticket_names},
        routes=handlers.routes(schedules=schedules, booking=booking, waitlist=waitlist, queue=queue,
                               closures=closures, boards=boards, clock=clock, limiter=infra.limiter),
        jobs=[JobSpec("appointments.generate", schedules.generate, cfg.generate_interval_seconds),
              JobSpec("appointments.sweep", booking.sweep, cfg.sweep_interval_seconds),
              JobSpec("appointments.closures", closures.sweep, cfg.sweep_interval_seconds)],
        collections=list(COLLECTIONS),
        on_start=[booking.ensure_person_keys],
        on_stop=[boards.close],
        gauges=[GaugeSpec("zjb_appointments", "Appointments with work overdue for the sweep, by status.", by_status)],
        migrations=[Migration("2026.11-01-appointment-keys", "预约改用人员键与到期时间：删去旧索引，补齐旧预约",
                              booking.upgrade_old_documents)],
    ), AppointmentsProvides(schedules=schedules, booking=booking, closures=closures,
                                             personal=AppointmentData(booking=booking, waitlist=waitlist)))
