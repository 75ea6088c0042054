"""Build the sandbox: the stand-ins of every outside party on this server, the sandbox hooks of the
API contract, and the demo data seeded at start-up. Only ever built in sandbox mode."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, JobSpec
from sandbox import clock, hooks, licence_library, realname, wechat, words
from sandbox.store import COLLECTIONS, ClockStore


def build(config: Config, deps: Deps) -> Domain:
    from payments.build import sandbox_standins

    base = Path(config.data_dir) / "sandbox"
    # Every stand-in stamps its business times with the app's clock (the movable sandbox clock).
    wx = wechat.WeChatStandin(str(base / "wechat.sqlite"), config.wechat.appid, config.wechat.secret,
                              clock=deps.clock)
    rn = realname.RealnameStandin(str(base / "realname.sqlite"), config.realname.app_id, config.realname.app_secret,
                                  clock=deps.clock)
    lib = licence_library.LicenceLibraryStandin(str(base / "licence_library.sqlite"), config.licence_library.app_id,
                                                config.licence_library.app_secret, clock=deps.clock)
    standins = {"wechat": wx, "realname": rn, "licence_library": lib, **sandbox_standins(config, deps.clock)}
    modules = {"wechat": wechat, "realname": realname, "licence_library": licence_library}
    from sandbox import wechatpay
    modules["wechatpay"] = wechatpay
    if "alipay" in standins:
        from sandbox import alipay
        modules["alipay"] = alipay

    routes: list = []
    jobs: list[JobSpec] = []
    if config.sandbox.standins:
        for name, mod in modules.items():
            routes += mod.protocol_handlers(standins[name])
            run_due = getattr(standins[name], "run_due", None)
            if run_due is not None:  # the payment stand-ins send notices and their retries
                jobs.append(JobSpec(f"sandbox.{name}.notices", run_due, min(1.0, config.workers.tick_seconds)))
    time = clock.SandboxTime(deps.clock, ClockStore(deps.db))
    upkeep = [JobSpec("sandbox.clock", time.sync, 1.0)]  # every process follows time moved by any process
    if config.sandbox.hooks:
        routes += bind(hooks.default_handlers, demo_password=config.sandbox.demo_staff_password)
        routes += bind(clock.default_handlers, time=time)
        for name, mod in modules.items():
            routes += mod.hook_handlers(standins[name])

    on_start = [time.sync]
    if config.sandbox.seed_demo_data:
        async def seed() -> None:
            from sandbox.seed import seed_demo_data
            await seed_demo_data(SimpleNamespace(config=config, clock=deps.clock, catalogue=deps.need("catalogue"),
                                                 appointments=deps.need("appointments"), staff=deps.need("staff"),
                                                 bundles=deps.need("bundles")))
        on_start.append(seed)
    return Domain("sandbox", words=words.WORDS, service=standins, sandbox_routes=routes, jobs=jobs, upkeep=upkeep,
                  on_start=on_start,
                  collections=list(COLLECTIONS),
                  provides={"standins": standins})
