"""``make_app(config)``: build every domain once, in dependency order, and compose them.

Nothing is created at import time. A test builds an app with its own config (and clock); the CLI
builds one per process. Each domain's builder (``<domain>/build.py``) returns its routes, jobs,
collections and gauges (``backend.core.domain.Domain``); ``Runtime.start()`` prepares the database
and runs what the domains asked for at start-up, then starts the workers.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

import pymongo.errors
import tornado.web
from pymongo import AsyncMongoClient

from backend import __version__
from backend.appointments import build as appointments
from backend.audit import build as audit
from backend.authorizations import build as authorizations
from backend.bundles import build as bundles
from backend.calendar import build as calendar
from backend.cases import build as cases
from backend.catalogue import build as catalogue
from backend.complaints import build as complaints
from backend.config import SANDBOX_GATEWAY, Config
from backend.console import console_routes
from backend.core.api import NotFoundHandler, log_request
from backend.core.clock import Clock, SharedShiftedClock
from backend.core.domain import Deps, Domain
from backend.core.http import Authenticator, Edge
from backend.core.openapi import build_openapi
from backend.core.words import Lexicon
from backend.db.mongo import connect, ensure_schema
from backend.files import build as files
from backend.identity import build as identity
from backend.lexicon import CORE
from backend.licences import build as licences
from backend.signing import build as signing
from backend.staff import build as staff
from backend.system import handlers as system
from backend.system.metrics import Metrics
from backend.workers import Workers
from notify import build as notify
from payments import build as payments

log = logging.getLogger("zjb.app")

# In dependency order: each builder may use what the ones before it provide.
BUILDERS = [audit.build, identity.build, staff.build, calendar.build, catalogue.build, notify.build,
            appointments.build, files.build, signing.build, licences.build, authorizations.build, cases.build,
            payments.build, bundles.build, complaints.build]


class Runtime:
    """The composed system of one process: its database client, domains and workers."""

    def __init__(self, config: Config, clock: Clock, client: AsyncMongoClient, domains: list[Domain],
                 lexicon: Lexicon):
        self.config = config
        self.clock = clock
        self.client = client
        self.db = client[config.database.name]
        self.domains = {d.name: d for d in domains}
        self.lexicon = lexicon
        self.workers = Workers()
        self.upkeep = Workers()
        for d in domains:
            for job in d.jobs:
                self.workers.register(job.name, job.fn, job.interval)
            for job in d.upkeep:
                self.upkeep.register(job.name, job.fn, job.interval)
        self.routes: list[tuple] = []
        self.started = False
        self._openapi: dict[str, Any] | None = None

    def service(self, domain: str) -> Any:
        return self.domains[domain].service

    def provided(self, name: str) -> Any:
        for d in self.domains.values():
            if name in d.provides:
                return d.provides[name]
        raise LookupError(name)

    async def start(self, *, run_workers: bool | None = None) -> None:
        """Prepare the database and start the workers. While the database cannot be reached this
        keeps trying (the HTTP server already answers: /healthz 200, /readyz 503)."""
        delay = 0.5
        specs = [spec for d in self.domains.values() for spec in d.collections]
        while True:
            try:
                await ensure_schema(self.db, specs)
                break
            except pymongo.errors.ConnectionFailure:
                log.warning("database not reachable at start-up; retrying", extra={"retry_in_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        for d in self.domains.values():
            for hook in d.on_start:
                await hook()
        self.upkeep.start()
        if self.config.workers.enabled if run_workers is None else run_workers:
            self.workers.start()
        self.started = True
        for warning in self.warnings():
            log.warning(warning)

    def warnings(self) -> list[str]:
        """What an operator must act on soon (shown by /readyz and logged at start-up)."""
        calendar = self.provided("calendar")
        warning = calendar.coverage_warning(self.clock.local_now().date())
        return [warning] if warning else []

    async def stop(self) -> None:
        self.started = False
        await self.workers.stop()
        await self.upkeep.stop()
        await self.client.close()

    def openapi(self) -> dict[str, Any]:
        if self._openapi is None:
            self._openapi = build_openapi(self.routes, self.lexicon.error_catalogue(), title="指尖办 API",
                                          version=__version__, server_url=self.config.public_url)
        return self._openapi


def make_app(config: Config, *, clock: Clock | None = None,
             client_factory: Callable[[str], AsyncMongoClient] | None = None) -> tornado.web.Application:
    # The sandbox's clock can be moved forward for demos and checks (``/sandbox/clock``).
    clock = clock or (SharedShiftedClock() if config.is_sandbox else Clock())
    if not config.database.uri:
        raise ValueError("database.uri must be set (serve starts the embedded database and sets it)")
    db_cfg = config.database
    client = (client_factory or (lambda uri: connect(uri,
                                                     server_selection_timeout_ms=db_cfg.server_selection_timeout_ms,
                                                    journal=db_cfg.journal)))(db_cfg.uri)

    def gateway(value: str, path: str) -> str:
        """``sandbox`` means the stand-in mounted on this very server."""
        return f"http://127.0.0.1:{config.server.port}/sandbox/{path}" if value == SANDBOX_GATEWAY else value

    deps = Deps(clock=clock, client=client, db=client[db_cfg.name], gateway=gateway)
    # Every domain's words, registered as each is built; notify reads events from it when it delivers.
    lexicon = Lexicon([CORE])
    deps.provided["lexicon"] = lexicon
    builders = list(BUILDERS)
    if config.is_sandbox:
        from sandbox import build as sandbox
        builders.append(sandbox.build)
    domains: list[Domain] = []
    for build in builders:
        domain = build(config, deps)
        deps.provided.update(domain.provides)
        domains.append(domain)
        if domain.words is not None:
            lexicon.register(domain.words)

    runtime = Runtime(config, clock, client, domains, lexicon)
    routes = system.routes(runtime)
    for d in domains:
        routes += d.routes + (d.sandbox_routes if config.is_sandbox else [])
    runtime.routes = routes
    metrics = Metrics()
    metrics.register_gauges(g for d in domains for g in d.gauges)
    authenticator = Authenticator()
    authenticator.register("resident", deps.need("resident_auth"))
    authenticator.register("staff", deps.need("staff_auth"))
    edge = Edge(authenticator, trusted_proxies=list(config.server.trusted_proxies),
                cors_origins=tuple(config.server.cors_origins), max_body_bytes=config.server.max_body_bytes,
                validate_responses=config.validate_responses)

    return tornado.web.Application(
        [tornado.web.url(r[0], r[1], r[2]) for r in routes] + [tornado.web.url(*r) for r in console_routes()],
        runtime=runtime,
        edge=edge,
        metrics=metrics,
        route_templates={r[1]: r[3] for r in routes},
        default_handler_class=NotFoundHandler,
        log_function=log_request,
        compress_response=True,
        xsrf_cookies=False,
        serve_traceback=False,
        debug=False,
    )
