"""``make_app(config)``: build every dependency once and hand it to the handlers.

Nothing is created at import time. A test builds an app with its own config (and clock); the
CLI builds one per process. ``AppContext.start()`` prepares the database (collections,
validators, indexes), seeds sandbox demo data and starts the workers; ``stop()`` undoes it.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pymongo.errors
import tornado.httputil
import tornado.web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from backend import __version__
from backend.appointments import handlers as appointments_handlers  # issue 3
from backend.appointments.queue import QueueService  # issue 3
from backend.appointments.service import AppointmentService  # issue 3
from backend.appointments.store import COLLECTIONS as APPOINTMENT_COLLECTIONS  # issue 3
from backend.appointments.store import AppointmentStore  # issue 3
from backend.audit.service import AuditLog
from backend.audit.service import COLLECTIONS as AUDIT_COLLECTIONS
from backend.config import SANDBOX_GATEWAY, Config
from backend.catalogue import handlers as catalogue_handlers
from backend.catalogue.calendar import WorkingCalendar
from backend.catalogue.service import CatalogueService
from backend.catalogue.store import COLLECTIONS as CATALOGUE_COLLECTIONS
from backend.catalogue.store import CatalogueStore
from backend.core import errors
from backend.core.api import NotFoundHandler, log_request
from backend.core.clock import Clock
from backend.core.openapi import build_openapi
from backend.core.ratelimit import COLLECTIONS as RATE_COLLECTIONS
from backend.core.ratelimit import RateLimiter
from backend.db.mongo import CollectionSpec, connect, ensure_schema
from backend.identity import handlers as identity_handlers
from backend.identity.crypto import PersonalDataCipher
from backend.identity.providers import HttpRealnameVerifier, WeChatPyLogin
from backend.identity.service import IdentityService
from backend.identity.store import COLLECTIONS as USER_COLLECTIONS
from backend.identity.store import UserStore
from backend.identity.tokens import COLLECTIONS as TOKEN_COLLECTIONS
from backend.identity.tokens import TokenService
from backend.staff import handlers as staff_handlers
from backend.staff.service import COLLECTIONS as STAFF_COLLECTIONS
from backend.staff.service import StaffService
from backend.system import handlers as system_handlers
from backend.system.metrics import Metrics
from backend.workers import Workers
from backend.cases import handlers as case_handlers
from backend.cases.service import CaseService
from backend.cases.store import COLLECTIONS as CASE_COLLECTIONS
from notify import handlers as notify_handlers
from notify.channels import WeChatSubscribe
from notify.outbox import COLLECTIONS as OUTBOX_COLLECTIONS
from notify.service import NotifyService
from notify.store import COLLECTIONS as NOTIFY_COLLECTIONS
from notify.worker import Deliverer
from notify.outbox import Outbox
# --- payments (issue 4) ---
from payments import handlers as payment_handlers
from payments.service import PaymentService
from payments.setup import build_payments, register_jobs as register_payment_jobs
from payments.store import COLLECTIONS as PAYMENT_COLLECTIONS
# --- end payments ---

log = logging.getLogger("zjb.app")

ALL_COLLECTIONS: list[CollectionSpec] = [
    *USER_COLLECTIONS, *TOKEN_COLLECTIONS, *STAFF_COLLECTIONS, *AUDIT_COLLECTIONS, *RATE_COLLECTIONS,
    *OUTBOX_COLLECTIONS, *CATALOGUE_COLLECTIONS,
    *APPOINTMENT_COLLECTIONS,  # issue 3
    *PAYMENT_COLLECTIONS,  # payments (issue 4)
    *CASE_COLLECTIONS, *NOTIFY_COLLECTIONS,  # cases and notifications (issue 5)
]


@dataclass
class AppContext:
    config: Config
    clock: Clock
    client: AsyncMongoClient
    db: AsyncDatabase
    audit: AuditLog
    limiter: RateLimiter
    outbox: Outbox
    tokens: TokenService
    identity: IdentityService
    staff: StaffService
    catalogue: CatalogueService
    workers: Workers
    metrics: Metrics = field(default_factory=Metrics)
    appointments: AppointmentService | None = None  # issue 3
    queue: QueueService | None = None  # issue 3
    cases: CaseService | None = None  # issue 5
    notify: NotifyService | None = None  # issue 5
    deliverer: Deliverer | None = None  # issue 5
    payments: PaymentService | None = None  # payments (issue 4)
    routes: list[tuple] = field(default_factory=list)
    route_templates: dict[type, str] = field(default_factory=dict)
    standins: dict[str, Any] = field(default_factory=dict)
    started: bool = False
    _openapi: dict[str, Any] | None = None
    _proxies: list[Any] = field(default_factory=list)

    async def start(self, *, run_workers: bool | None = None) -> None:
        """Prepare the database and start the workers. While the database cannot be reached this
        keeps trying (the HTTP server already answers: /healthz 200, /readyz 503)."""
        delay = 0.5
        while True:
            try:
                await ensure_schema(self.db, ALL_COLLECTIONS)
                break
            except pymongo.errors.ConnectionFailure:
                log.warning("database not reachable at start-up; retrying", extra={"retry_in_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        if self.config.is_sandbox and self.config.sandbox.seed_demo_data:
            from sandbox.seed import seed_demo_data
            await seed_demo_data(self)
        if self.config.workers.enabled if run_workers is None else run_workers:
            self.workers.start()
        self.started = True

    async def stop(self) -> None:
        self.started = False
        await self.workers.stop()
        await self.client.close()

    async def authenticate(self, header: str | None, audience: str) -> Any:
        if not header or not header.startswith("Bearer ") or len(header) > 4096:
            raise errors.Unauthenticated(details={"reason": "missing_token"})
        token = header[7:].strip()
        if audience == "resident":
            return await self.identity.authenticate(token)
        if audience == "staff":
            return await self.staff.authenticate(token)
        raise errors.Unauthenticated()  # pragma: no cover

    def client_ip(self, request: tornado.httputil.HTTPServerRequest) -> str:
        """The client's address; X-Forwarded-For counts only through a trusted proxy."""
        peer = request.remote_ip or ""
        if not self._proxies:
            return peer
        chain = [peer] + [p.strip() for p in reversed(request.headers.get("X-Forwarded-For", "").split(",")) if p.strip()]
        for addr in chain:
            try:
                ip = ipaddress.ip_address(addr)
            except ValueError:
                return addr
            if not any(ip in net for net in self._proxies):
                return addr
        return chain[-1]

    def cors(self, handler: tornado.web.RequestHandler, preflight: bool = False) -> None:
        origin = handler.request.headers.get("Origin")
        if origin and origin in self.config.server.cors_origins:
            handler.set_header("Access-Control-Allow-Origin", origin)
            handler.set_header("Vary", "Origin")
            if preflight:
                handler.set_header("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
                handler.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
                handler.set_header("Access-Control-Max-Age", "600")

    def openapi(self) -> dict[str, Any]:
        if self._openapi is None:
            self._openapi = build_openapi(self.routes, title="指尖办 API", version=__version__,
                                          server_url=self.config.public_url)
        return self._openapi


def _gateway(config: Config, value: str, path: str) -> str:
    """``sandbox`` means the stand-in mounted on this very server."""
    if value == SANDBOX_GATEWAY:
        return f"http://127.0.0.1:{config.server.port}/sandbox/{path}"
    return value


def make_app(config: Config, *, clock: Clock | None = None,
             client_factory: Callable[[str], AsyncMongoClient] | None = None) -> tornado.web.Application:
    clock = clock or Clock()
    if not config.database.uri:
        raise ValueError("database.uri must be set (serve starts the embedded database and sets it)")
    client = (client_factory or (lambda uri: connect(uri, server_selection_timeout_ms=config.database.server_selection_timeout_ms,
                                                    journal=config.database.journal)))(config.database.uri)
    db = client[config.database.name]

    audit = AuditLog(db, clock)
    outbox = Outbox(db, clock)
    limiter = RateLimiter(db, clock)
    sec = config.security
    tokens = TokenService(db, secret=sec.jwt_secret, issuer=sec.jwt_issuer, clock=clock, ttl={
        "resident": (sec.access_token_ttl_seconds, sec.refresh_token_ttl_seconds),
        "staff": (sec.staff_access_token_ttl_seconds, sec.staff_refresh_token_ttl_seconds),
    })
    cipher = PersonalDataCipher(sec.id_encryption_keys, sec.id_active_key, sec.id_hash_key)
    wechat = WeChatPyLogin(config.wechat.appid, config.wechat.secret, _gateway(config, config.wechat.gateway, "wechat"),
                           config.wechat.timeout_seconds)
    verifier = HttpRealnameVerifier(_gateway(config, config.realname.gateway, "realname"), config.realname.app_id,
                                    config.realname.app_secret, config.realname.timeout_seconds)
    identity = IdentityService(users=UserStore(db), tokens=tokens, wechat=wechat, verifier=verifier, cipher=cipher,
                               limiter=limiter, limits=config.ratelimit, audit=audit, clock=clock)
    staff = StaffService(db=db, tokens=tokens, audit=audit, limiter=limiter, clock=clock, config=config.staff,
                         login_per_ip_per_minute=config.ratelimit.staff_login_per_ip_per_minute)
    calendar = WorkingCalendar(config.calendar.holidays, config.calendar.workdays)
    catalogue = CatalogueService(store=CatalogueStore(db), audit=audit, clock=clock, calendar=calendar)
    workers = Workers()

    ctx = AppContext(config=config, clock=clock, client=client, db=db, audit=audit, limiter=limiter, outbox=outbox,
                     tokens=tokens, identity=identity, staff=staff, catalogue=catalogue, workers=workers)
    ctx._proxies = [ipaddress.ip_network(c, strict=False) for c in config.server.trusted_proxies]
    # --- appointments (issue 3) ---
    ctx.appointments = AppointmentService(store=AppointmentStore(db), catalogue=catalogue, staff=staff, outbox=outbox,
                                          audit=audit, clock=clock, config=config.appointments, client=client)
    ctx.queue = QueueService(ctx.appointments)
    workers.register("appointments.generate", ctx.appointments.generate, config.appointments.generate_interval_seconds)
    workers.register("appointments.sweep", ctx.appointments.sweep, config.appointments.sweep_interval_seconds)
    # --- end appointments ---
    # --- payments (issue 4) ---
    ctx.payments = build_payments(config, client=client, db=db, clock=clock, audit=audit, outbox=outbox,
                                  gateway=lambda value, path: _gateway(config, value, path))
    register_payment_jobs(workers, ctx.payments, config.payments.job_interval_seconds)
    # --- end payments ---
    # --- cases and notifications (issue 5) ---
    ctx.cases = CaseService(db=db, client=client, catalogue=catalogue, outbox=outbox, audit=audit, clock=clock,
                            config=config.cases)
    ctx.notify = NotifyService(db, clock, config.notify)
    push = (WeChatSubscribe(config.wechat.appid, config.wechat.secret, _gateway(config, config.wechat.gateway, "wechat"),
                            config.wechat.timeout_seconds) if config.notify.wechat else None)
    ctx.deliverer = Deliverer(db, clock, config.notify, push)
    workers.register("notify.deliver", ctx.deliverer.run_once, config.notify.tick_seconds)
    workers.register("cases.supervise", ctx.cases.supervise, config.cases.supervision_interval_seconds)
    # --- end cases ---

    routes: list[tuple] = [
        *system_handlers.default_handlers,
        *identity_handlers.default_handlers,
        *staff_handlers.default_handlers,
        *catalogue_handlers.default_handlers,
        *appointments_handlers.default_handlers,  # issue 3
        *payment_handlers.default_handlers,  # payments (issue 4)
        *case_handlers.default_handlers, *notify_handlers.default_handlers,  # issue 5
    ]
    if config.is_sandbox:
        routes += _sandbox_routes(config, ctx)
    ctx.routes = routes
    ctx.route_templates = {r[1]: r[3] for r in routes}
    _register_metrics(ctx)

    # --- staff console (issue 7): static files at /console/, a client of the API above ---------
    from backend.console import console_routes
    static_routes = console_routes()
    # --- end staff console -------------------------------------------------------------------------

    return tornado.web.Application(
        [tornado.web.url(r[0], r[1], r[2]) for r in routes] + [tornado.web.url(*r) for r in static_routes],
        ctx=ctx,
        default_handler_class=NotFoundHandler,
        log_function=log_request,
        compress_response=True,
        xsrf_cookies=False,
        serve_traceback=False,
        debug=False,
    )


def _register_metrics(ctx: AppContext) -> None:
    """Gauges read from the database at scrape time. Domains add theirs here."""
    outbox = ctx.db["outbox"]

    async def outbox_depth() -> list[tuple[dict[str, str], float]]:
        rows = await (await outbox.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])).to_list(None)
        return [({"status": r["_id"]}, r["n"]) for r in rows]

    async def outbox_age() -> list[tuple[dict[str, str], float]]:
        oldest = await outbox.find_one({"status": {"$in": ["pending", "sending"]}}, sort=[("created_at", 1)])
        age = (ctx.clock.now() - oldest["created_at"]).total_seconds() if oldest else 0.0
        return [({}, max(0.0, age))]

    def by_status(collection: str):  # noqa: ANN202
        async def count() -> list[tuple[dict[str, str], float]]:
            rows = await (await ctx.db[collection].aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])).to_list(None)
            return [({"status": str(r["_id"])}, r["n"]) for r in rows]
        return count

    async def failed_deliveries() -> list[tuple[dict[str, str], float]]:
        rows = await (await outbox.aggregate([{"$match": {"status": "failed"}},
                                              {"$group": {"_id": "$kind", "n": {"$sum": 1}}}])).to_list(None)
        return [({"kind": r["_id"]}, r["n"]) for r in rows]

    ctx.metrics.gauge("zjb_appointments", "Appointments by status.", by_status("appointments"))
    ctx.metrics.gauge("zjb_payments", "Payment orders by status.", by_status("payments"))
    ctx.metrics.gauge("zjb_applications", "Cases (办件) by status.", by_status("applications"))
    ctx.metrics.gauge("zjb_outbox_failed", "Messages that failed after their last attempt, by kind.", failed_deliveries)
    ctx.metrics.gauge("zjb_outbox_messages", "Outbox messages by delivery status.", outbox_depth)
    ctx.metrics.gauge("zjb_outbox_oldest_undelivered_seconds", "Age of the oldest pending message.", outbox_age)


def _sandbox_routes(config: Config, ctx: AppContext) -> list[tuple]:
    from sandbox import hooks, realname, wechat

    base = Path(config.data_dir) / "sandbox"
    routes: list[tuple] = []
    wx = wechat.WeChatStandin(str(base / "wechat.sqlite"), config.wechat.appid, config.wechat.secret)
    rn = realname.RealnameStandin(str(base / "realname.sqlite"), config.realname.app_id, config.realname.app_secret)
    ctx.standins.update(wechat=wx, realname=rn)
    if config.sandbox.standins:
        routes += wechat.protocol_handlers(wx) + realname.protocol_handlers(rn)
    if config.sandbox.hooks:
        routes += hooks.default_handlers + wechat.hook_handlers(wx) + realname.hook_handlers(rn)
    routes += _payment_standin_routes(config, ctx)  # payments (issue 4)
    return routes


# --- payments (issue 4) ---
def _payment_standin_routes(config: Config, ctx: AppContext) -> list[tuple]:
    from payments.setup import sandbox_standins
    from sandbox import wechatpay

    standins = sandbox_standins(config)
    ctx.standins.update(standins)
    routes: list[tuple] = []
    modules = {"wechatpay": wechatpay}
    if "alipay" in standins:
        from sandbox import alipay
        modules["alipay"] = alipay
    for name, mod in modules.items():
        if config.sandbox.standins:
            routes += mod.protocol_handlers(standins[name])
            # The stand-in's notifier (sends notices and their retries) runs as a worker job.
            ctx.workers.register(f"sandbox.{name}.notices", standins[name].run_due, min(1.0, config.workers.tick_seconds))
        if config.sandbox.hooks:
            routes += mod.hook_handlers(standins[name])
    return routes
# --- end payments ---
