"""Build the sandbox: the stand-ins of every outside party on this server, the sandbox hooks of the
API contract, and the demo data seeded at start-up. Only ever built in sandbox mode, by the
composition root, after every domain: the sandbox depends on the domains, never the reverse."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Protocol

from backend.appointments.schedules import ScheduleService
from backend.bundles.service import BundleService
from backend.catalogue.service import CatalogueService
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, JobSpec, OnStart, Route
from backend.core.infra import Infra
from backend.staff.service import StaffService
from sandbox import clock, hooks, licence_library, realname, wechat, words
from sandbox.paystandins import sandbox_standins
from sandbox.store import COLLECTIONS, ClockStore


class PayeeUnits(Protocol):
    """Where the demo departments' payee units are added (the payments store)."""

    async def add_payee_unit(self, doc: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Needs:
    """What the demo data is seeded through."""
    catalogue: CatalogueService
    schedules: ScheduleService
    staff: StaffService
    bundles: BundleService
    payee_units: PayeeUnits


@dataclass(frozen=True)
class SandboxProvides:
    standins: dict[str, Any]   # the stand-ins by name (tests drive their notices directly)


def build(config: Config, infra: Infra, needs: Needs) -> Built[SandboxProvides]:
    base = Path(config.data_dir) / "sandbox"
    # Every stand-in stamps its business times with the app's clock (the movable sandbox clock).
    wx = wechat.WeChatStandin(str(base / "wechat.sqlite"), config.wechat.appid, config.wechat.secret,
                              clock=infra.clock)
    rn = realname.RealnameStandin(str(base / "realname.sqlite"), config.realname.app_id, config.realname.app_secret,
                                  clock=infra.clock)
    lib = licence_library.LicenceLibraryStandin(str(base / "licence_library.sqlite"), config.licence_library.app_id,
                                                config.licence_library.app_secret, clock=infra.clock)
    standins: dict[str, Any] = {"wechat": wx, "realname": rn, "licence_library": lib,
                                **sandbox_standins(config, infra.clock)}
    modules: dict[str, ModuleType] = {"wechat": wechat, "realname": realname, "licence_library": licence_library}
    from sandbox import wechatpay
    modules["wechatpay"] = wechatpay
    if "alipay" in standins:
        from sandbox import alipay
        modules["alipay"] = alipay

    routes: list[Route] = []
    jobs: list[JobSpec] = []
    if config.sandbox.standins:
        for name, mod in modules.items():
            routes += mod.protocol_handlers(standins[name])
            run_due = getattr(standins[name], "run_due", None)
            if run_due is not None:  # the payment stand-ins send notices and their retries
                jobs.append(JobSpec(f"sandbox.{name}.notices", run_due, min(1.0, config.workers.tick_seconds)))
    time = clock.SandboxTime(infra.clock, ClockStore(infra.db))
    upkeep = [JobSpec("sandbox.clock", time.sync, 1.0)]  # every process follows time moved by any process
    if config.sandbox.hooks:
        routes += bind(hooks.default_handlers, demo_password=config.sandbox.demo_staff_password)
        routes += bind(clock.default_handlers, time=time)
        for name, mod in modules.items():
            routes += mod.hook_handlers(standins[name])

    on_start: list[OnStart] = [time.sync]
    if config.sandbox.seed_demo_data:
        async def seed() -> None:
            from sandbox.seed import seed_demo_data
            from sandbox.seed_payees import PAYEE_UNITS
            for unit in PAYEE_UNITS:
                await needs.payee_units.add_payee_unit(unit)
            await seed_demo_data(SimpleNamespace(config=config, clock=infra.clock, catalogue=needs.catalogue,
                                                 appointments=needs.schedules, staff=needs.staff,
                                                 bundles=needs.bundles))
        on_start.append(seed)
    return Built(Domain("sandbox", words=words.WORDS, service=standins, sandbox_routes=routes, jobs=jobs, upkeep=upkeep,
                        on_start=on_start, collections=list(COLLECTIONS)),
                 SandboxProvides(standins=standins))
