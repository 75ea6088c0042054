"""Build the sandbox: the stand-ins of every outside party, the sandbox hooks of the API contract,
and the demo data seeded at start-up. Only ever built in sandbox mode, by the composition root,
after every domain: the sandbox depends on the domains, never the reverse.

The stand-ins' protocol side (what our providers call, and the payment notices they send) is
mounted on the app server (``sandbox.standins_mode = "inline"``) or served by a process of its own
(``"process"``, ``build_apart``); the hooks are always on the app server. Both sides work on the
same state (SQLite files and keys under ``DATA_DIR/sandbox/``, the clock offset in the database)."""
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
from backend.core.clock import Clock, SharedShiftedClock
from backend.core.domain import Built, Domain, JobSpec, OnStart, Probe, Route
from backend.core.infra import Infra
from backend.db.mongo import Database
from backend.staff.service import StaffService
from sandbox import apart, clock, hooks, licence_library, realname, wechat, words
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


def standins_port(config: Config) -> int:
    """Where the stand-ins' protocol endpoints are served: their own process's port, or the app's."""
    return config.sandbox.standins_port if config.sandbox.standins_apart else config.server.port


def make_standins(config: Config, clock: Clock) -> tuple[dict[str, Any], dict[str, ModuleType]]:
    """The stand-ins by name, over their state under ``DATA_DIR/sandbox/`` (the same files whichever
    process serves them), and the module that holds each one's handlers. Every stand-in stamps its
    business times with ``clock`` (the movable sandbox clock)."""
    base = Path(config.data_dir) / "sandbox"
    wx = wechat.WeChatStandin(str(base / "wechat.sqlite"), config.wechat.appid, config.wechat.secret, clock=clock)
    rn = realname.RealnameStandin(str(base / "realname.sqlite"), config.realname.app_id, config.realname.app_secret,
                                  clock=clock)
    lib = licence_library.LicenceLibraryStandin(str(base / "licence_library.sqlite"), config.licence_library.app_id,
                                                config.licence_library.app_secret, clock=clock)
    standins: dict[str, Any] = {"wechat": wx, "realname": rn, "licence_library": lib,
                                **sandbox_standins(config, clock, port=standins_port(config))}
    modules: dict[str, ModuleType] = {"wechat": wechat, "realname": realname, "licence_library": licence_library}
    from sandbox import wechatpay
    modules["wechatpay"] = wechatpay
    if "alipay" in standins:
        from sandbox import alipay
        modules["alipay"] = alipay
    return standins, modules


def protocol_side(config: Config, standins: dict[str, Any],
                  modules: dict[str, ModuleType]) -> tuple[list[Route], list[JobSpec]]:
    """What acts as the outside parties: their protocol endpoints, and the payment stand-ins' senders
    of notices and their retries."""
    routes: list[Route] = []
    jobs: list[JobSpec] = []
    for name, mod in modules.items():
        routes += mod.protocol_handlers(standins[name])
        run_due = getattr(standins[name], "run_due", None)
        if run_due is not None:
            jobs.append(JobSpec(f"sandbox.{name}.notices", run_due, min(1.0, config.workers.tick_seconds)))
    return routes, jobs


def build(config: Config, infra: Infra, needs: Needs) -> Built[SandboxProvides]:
    standins, modules = make_standins(config, infra.clock)
    routes: list[Route] = []
    jobs: list[JobSpec] = []
    probes: dict[str, Probe] = {}
    if config.sandbox.standins_apart:   # served by their own process; the app only checks it answers
        probes["standins"] = apart.probe(config.sandbox.standins_port)
    elif config.sandbox.standins:
        routes, jobs = protocol_side(config, standins, modules)
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
                        on_start=on_start, collections=list(COLLECTIONS), probes=probes),
                 SandboxProvides(standins=standins))


def build_apart(config: Config, shared_clock: SharedShiftedClock, db: Database) -> Domain:
    """The stand-in process: the outside parties' protocol endpoints and notice senders, on the
    sandbox clock every app process follows (its offset read from the database each second)."""
    standins, modules = make_standins(config, shared_clock)
    routes, jobs = protocol_side(config, standins, modules)
    time = clock.SandboxTime(shared_clock, ClockStore(db))
    return Domain("sandbox.standins", service=standins, routes=routes + apart.default_handlers, jobs=jobs,
                  upkeep=[JobSpec("sandbox.clock", time.sync, 1.0)], on_start=[time.sync])
