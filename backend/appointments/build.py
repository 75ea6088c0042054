"""Build appointments: schedules and slots, booking and waitlist, the hall queue."""
from __future__ import annotations

from backend.appointments import handlers
from backend.appointments.queue import QueueService
from backend.appointments.service import AppointmentService
from backend.appointments.store import COLLECTIONS, AppointmentStore
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, GaugeSpec, JobSpec


def build(config: Config, deps: Deps) -> Domain:
    store = AppointmentStore(deps.db)
    cfg = config.appointments
    appointments = AppointmentService(store=store, catalogue=deps.need("catalogue"), staff=deps.need("staff"),
                                      outbox=deps.need("outbox"), audit=deps.need("audit"), clock=deps.clock,
                                      config=cfg, client=deps.client)
    queue = QueueService(appointments)

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_by_status()]

    return Domain(
        "appointments", service=appointments,
        routes=bind(handlers.default_handlers, appointments=appointments, queue=queue, clock=deps.clock),
        jobs=[JobSpec("appointments.generate", appointments.generate, cfg.generate_interval_seconds),
              JobSpec("appointments.sweep", appointments.sweep, cfg.sweep_interval_seconds)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_appointments", "Appointments by status.", by_status)],
        provides={"appointments": appointments},
    )
