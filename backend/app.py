"""The composition root. ``make_app(config)``: build the shared infrastructure and every domain
once, in dependency order, and compose them.

Nothing is created at import time. A test builds an app with its own config (and clock); the CLI
builds one per process. ``wire`` calls each domain's builder (``<domain>/build.py``) explicitly with
the ``Infra`` and the typed ``Needs`` it declares, taken from what earlier builders provide, so a
missing or mistyped dependency is a type error here. Each returns its runtime description
(``backend.core.domain.Domain``: routes, jobs, collections, gauges); ``Runtime.start()`` prepares the
database and runs what the domains asked for at start-up, then starts the workers.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from backend.config import SANDBOX_GATEWAY, SANDBOX_KEY, Config
from backend.console import console_routes
from backend.core.api import NotFoundHandler, log_request
from backend.core.clock import Clock, SharedShiftedClock
from backend.core.domain import Domain, JobSpec, Route
from backend.core.http import Authenticator, Edge
from backend.core.infra import Infra, build_infra
from backend.core.migrations import Migrations
from backend.core.openapi import build_openapi
from backend.core.store import MigrationLedger
from backend.core.words import Lexicon
from backend.db.expiry import Expiry, expiry_rules
from backend.db.mongo import connect, ensure_schema
from backend.files import build as files
from backend.identity import build as identity
from backend.lexicon import CORE
from backend.licences import build as licences
from backend.mydata import build as mydata
from backend.signing import build as signing
from backend.staff import build as staff
from backend.system import handlers as system
from backend.system.metrics import Metrics, database_gauge
from backend.workers import Workers
from notify import build as notify
from payments import build as payments

log = logging.getLogger("zjb.app")

Client = AsyncMongoClient[dict[str, Any]]


@dataclass(frozen=True)
class Wired:
    """What each domain provides, typed: the app's own needs (the calendar's coverage warning,
    the authenticators) and the CLI's and tests' access to a domain's objects."""
    audit: audit.AuditProvides
    identity: identity.IdentityProvides
    staff: staff.StaffProvides
    calendar: calendar.CalendarProvides
    catalogue: catalogue.CatalogueProvides
    notify: notify.NotifyProvides
    appointments: appointments.AppointmentsProvides
    files: files.FilesProvides
    signing: signing.SigningProvides
    licences: licences.LicencesProvides
    authorizations: authorizations.AuthorizationsProvides
    cases: cases.CasesProvides
    payments: payments.PaymentsProvides
    bundles: bundles.BundlesProvides
    complaints: complaints.ComplaintsProvides
    mydata: mydata.MyDataProvides
    sandbox: Any = None   # sandbox.build.SandboxProvides in sandbox mode (the product never imports it)


class Runtime:
    """The composed system of one process: its database client, domains and workers."""

    def __init__(self, config: Config, infra: Infra, domains: list[Domain], wired: Wired, lexicon: Lexicon):
        self.config = config
        self.clock = infra.clock
        self.client = infra.client
        self.db = infra.db
        self.wired = wired
        self.domains = {d.name: d for d in domains}
        self.lexicon = lexicon
        # Requests in flight: the jobs give way to a burst of them; upkeep (the clock, the calendar) does not.
        self.foreground = infra.foreground
        self.workers = Workers(self.foreground)
        self.upkeep = Workers()
        for d in domains:
            for job in d.jobs:
                self.workers.register(job.name, job.fn, job.interval)
            for job in d.upkeep:
                self.upkeep.register(job.name, job.fn, job.interval)
        self.probes = {name: probe for d in domains for name, probe in d.probes.items()}
        self.routes: list[Route] = []
        self.started = False
        self._abandoned = asyncio.Event()
        self._openapi: dict[str, Any] | None = None

    def service(self, domain: str) -> Any:
        """A domain's main object by the domain's name (tests drive sweeps and fault hooks through it)."""
        return self.domains[domain].service

    async def start(self, *, run_workers: bool | None = None) -> None:
        """Prepare the database and start the workers. While the database cannot be reached this
        keeps trying (the HTTP server already answers: /healthz 200, /readyz 503), until
        ``abandon_start``: then it returns after the attempt under way, with nothing started.
        It is never cancelled from outside: a database call cancelled while it waits for a server
        can leave the driver's topology lock held, and the client's close then hangs."""
        delay = 0.5
        specs = [spec for d in self.domains.values() for spec in d.collections]
        steps = [step for d in self.domains.values() for step in d.migrations]
        migrations = Migrations(MigrationLedger(self.db), self.clock)
        while True:
            if self._abandoned.is_set():
                return
            try:
                await migrations.run(steps, before_schema=True)
                await ensure_schema(self.db, specs)
                await migrations.run(steps, before_schema=False)
                break
            except pymongo.errors.ConnectionFailure:
                if self._abandoned.is_set():
                    return
                log.warning("database not reachable at start-up; retrying", extra={"retry_in_s": delay})
                try:
                    await asyncio.wait_for(self._abandoned.wait(), timeout=delay)
                except asyncio.TimeoutError:
                    pass
                delay = min(delay * 2, 5.0)
        if self._abandoned.is_set():
            return
        for d in self.domains.values():
            for hook in d.on_start:
                await hook()
        self.upkeep.start()
        if self.config.workers.enabled if run_workers is None else run_workers:
            self.workers.start()
        self.started = True
        for warning in self.warnings():
            log.warning(warning)

    def abandon_start(self) -> None:
        """Stop trying to start (the process is stopping before the database could be reached)."""
        self._abandoned.set()

    def warnings(self) -> list[str]:
        """What an operator must act on soon (shown by /readyz and logged at start-up)."""
        warning = self.wired.calendar.calendar.coverage_warning(self.clock.local_now().date())
        return [warning] if warning else []

    async def stop(self) -> None:
        self.started = False
        await self.workers.stop()
        await self.upkeep.stop()
        await self.foreground.drain()   # what the last requests left to write after them
        for d in self.domains.values():
            for hook in d.on_stop:
                hook()
        await self.client.close()

    def openapi(self) -> dict[str, Any]:
        if self._openapi is None:
            self._openapi = build_openapi(self.routes, self.lexicon.error_catalogue(), title="指尖办 API",
                                          version=__version__, server_url=self.config.public_url)
        return self._openapi


def read_key(config: Config, name: str) -> str:
    """The PEM text of the key file configured as ``name`` (``receipts.signing_key_file``). A key
    configured as "sandbox" is the sandbox's own, generated in the data folder: only the
    composition root knows the sandbox, so keys reach the domains through ``Infra.read_key``."""
    section, key = name.split(".")
    path = getattr(getattr(config, section), key)
    if path == SANDBOX_KEY:
        from sandbox.keys import sandbox_key
        return sandbox_key(config.data_dir, name)
    return Path(path).read_text()


def make_app(config: Config, *, clock: Clock | None = None,
             client_factory: Callable[[str], Client] | None = None) -> tornado.web.Application:
    # The sandbox's clock can be moved forward for demos and checks (``/sandbox/clock``).
    clock = clock or (SharedShiftedClock() if config.is_sandbox else Clock())
    if not config.database.uri:
        raise ValueError("database.uri must be set (serve starts the embedded database and sets it)")
    db_cfg = config.database
    client = (client_factory or (lambda uri: connect(
        uri, server_selection_timeout_ms=db_cfg.server_selection_timeout_ms, journal=db_cfg.journal,
        connect_timeout_ms=db_cfg.connect_timeout_ms, min_pool_size=db_cfg.min_pool_size,
        max_connecting=db_cfg.max_connecting)))(db_cfg.uri)

    if config.is_sandbox and config.sandbox.standins_apart and not config.sandbox.standins_port:
        raise ValueError("sandbox.standins_port must be set when the stand-ins run apart "
                         "(serve starts their process and sets it)")
    standins_at = config.sandbox.standins_port if config.sandbox.standins_apart else config.server.port

    def gateway(value: str, path: str) -> str:
        """``sandbox`` means the stand-in: in its own process, or mounted on this very server."""
        return f"http://127.0.0.1:{standins_at}/sandbox/{path}" if value == SANDBOX_GATEWAY else value

    infra = build_infra(config, clock=clock, client=client, gateway=gateway,
                        read_key=lambda name: read_key(config, name))
    domains, wired, lexicon = wire(config, infra)

    runtime = Runtime(config, infra, domains, wired, lexicon)
    routes = system.routes(runtime)
    for d in domains:
        routes += d.routes + (d.sandbox_routes if config.is_sandbox else [])
    runtime.routes = routes
    metrics = Metrics()
    metrics.register_gauges([database_gauge(client), *(g for d in domains for g in d.gauges)])
    wired.audit.recorder.register_names({kind: namer for d in domains for kind, namer in d.names.items()})
    authenticator = Authenticator()
    authenticator.register("resident", wired.identity.service.authenticate)
    authenticator.register("staff", wired.staff.service.authenticate)
    edge = Edge(authenticator, trusted_proxies=list(config.server.trusted_proxies),
                cors_origins=tuple(config.server.cors_origins), max_body_bytes=config.server.max_body_bytes,
                validate_responses=config.validate_responses, foreground=runtime.foreground)

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


def wire(config: Config, infra: Infra) -> tuple[list[Domain], Wired, Lexicon]:
    """Build every domain once, in dependency order, each given exactly the ports it declares, and
    register every domain's words (notify reads events from the lexicon when it delivers)."""
    lexicon = Lexicon([CORE])
    core = Domain("core", collections=infra.collections)
    a = audit.build(config, infra)
    recorder = a.provides.recorder
    i = identity.build(config, infra, identity.Needs(audit=recorder))
    users = i.provides.users
    cal = calendar.build(config, infra, calendar.Needs(audit=recorder))
    days, listeners = cal.provides.calendar, cal.provides.schedules
    cat = catalogue.build(config, infra, catalogue.Needs(audit=recorder, calendar=days))
    services = cat.provides.catalogue
    st = staff.build(config, infra, staff.Needs(audit=recorder, tokens=i.provides.tokens,
                                                residents=i.provides.service, places=services))
    n = notify.build(config, infra, notify.Needs(users=users, events=lexicon))
    outbox = n.provides.outbox
    desk = identity.build_desk(config, infra, i.provides, identity.DeskNeeds(audit=recorder, outbox=outbox))
    ap = appointments.build(config, infra, appointments.Needs(
        audit=recorder, catalogue=services, outbox=outbox, calendar_days=listeners,
        users=users, handling=i.provides.handling))
    f = files.build(config, infra, files.Needs(audit=recorder))
    sg = signing.build(config)
    lic = licences.build(config, infra, licences.Needs(
        audit=recorder, key_rings=sg.provides.keys, identities=i.provides.verified, catalogue=services,
        outbox=outbox, face=i.provides.assurance))
    directory = cases.directory(infra)   # read-only: authorizations, payments and bundles read cases by it
    au = authorizations.build(config, infra, authorizations.Needs(
        audit=recorder, residents=users, staff=st.provides.service, catalogue=services, outbox=outbox,
        cases=directory, licences=lic.provides.wallet))
    cs = cases.build(config, infra, cases.Needs(
        audit=recorder, catalogue=services, calendar=days, calendar_days=listeners, users=users, outbox=outbox,
        files=f.provides.links, licences=lic.provides.wallet, agency=au.provides.agency,
        handling=i.provides.handling, face=i.provides.assurance))
    p = payments.build(config, infra, payments.Needs(
        audit=recorder, outbox=outbox, catalogue=services, cases=directory, users=users,
        key_rings=sg.provides.keys, handling=i.provides.handling))
    b = bundles.build(config, infra, bundles.Needs(
        audit=recorder, catalogue=services, intake=cs.provides.intake, cases=directory,
        payments=p.provides.payments, outbox=outbox, users=users))
    co = complaints.build(config, infra, complaints.Needs(
        audit=recorder, catalogue=services, calendar=days, calendar_days=listeners, outbox=outbox,
        files=f.provides.links, users=users))
    md = mydata.build(config, infra, mydata.Needs(
        audit=recorder, account=i.provides.account, appointments=ap.provides.personal, cases=cs.provides.personal,
        bundles=b.provides.personal, payments=p.provides.personal, complaints=co.provides.personal,
        authorizations=au.provides.personal, licences=lic.provides.personal, files=f.provides.personal,
        messages=n.provides.personal))
    domains = [core, a.domain, i.domain, st.domain, cal.domain, cat.domain, n.domain, desk.domain, ap.domain, f.domain,
               sg.domain, lic.domain, au.domain, cs.domain, p.domain, b.domain, co.domain, md.domain]
    wired = Wired(audit=a.provides, identity=i.provides, staff=st.provides, calendar=cal.provides,
                  catalogue=cat.provides, notify=n.provides, appointments=ap.provides, files=f.provides,
                  signing=sg.provides, licences=lic.provides, authorizations=au.provides, cases=cs.provides,
                  payments=p.provides, bundles=b.provides, complaints=co.provides, mydata=md.provides)
    if config.is_sandbox:
        # The composition root adds the sandbox in sandbox mode; nothing else in the product imports it.
        from sandbox import build as sandbox
        sb = sandbox.build(config, infra, sandbox.Needs(
            catalogue=services, schedules=ap.provides.schedules, staff=st.provides.service,
            bundles=b.provides.bundles, payee_units=p.provides.payee_units))
        domains.append(sb.domain)
        wired = dataclasses.replace(wired, sandbox=sb.provides)
    if config.database.expiry_seconds > 0:
        # Expiry by the TTL indexes every domain declares, once past on the app's clock and the wall's.
        expiry = Expiry(infra.db, expiry_rules(spec for d in domains for spec in d.collections), infra.clock)
        core.jobs.append(JobSpec("expire-documents", expiry.run, config.database.expiry_seconds))
    for d in domains:
        if d.words is not None:
            lexicon.register(d.words)
    return domains, wired, lexicon


class StandinsRuntime:
    """The stand-in process (``sandbox.standins_mode = "process"``): the outside parties' protocol
    endpoints and the payment stand-ins' notice senders, on the sandbox clock of every app process."""

    def __init__(self, config: Config, client: Client, domain: Domain):
        self.config = config
        self.client = client
        self.domain = domain
        self.jobs = Workers()
        for job in domain.jobs + domain.upkeep:
            self.jobs.register(job.name, job.fn, job.interval)

    async def start(self) -> None:
        for hook in self.domain.on_start:
            try:
                await hook()
            except pymongo.errors.ConnectionFailure:   # the clock follows once the database answers
                log.warning("database not reachable at stand-in start-up; the clock follows it later")
        self.jobs.start()

    async def stop(self) -> None:
        await self.jobs.stop()
        await self.client.close()


def make_standins_app(config: Config) -> tornado.web.Application:
    """The stand-in process's application. It reads the sandbox clock's offset from the database
    (``database.uri``) so its times are the app's; its state is the same files the hooks write."""
    if not (config.is_sandbox and config.sandbox.standins):
        raise ValueError("the stand-in process runs only in sandbox mode with sandbox.standins on")
    from sandbox.build import build_apart
    db_cfg = config.database
    client = connect(db_cfg.uri, server_selection_timeout_ms=db_cfg.server_selection_timeout_ms)
    domain = build_apart(config, SharedShiftedClock(), client[db_cfg.name])
    runtime = StandinsRuntime(config, client, domain)
    edge = Edge(Authenticator(), trusted_proxies=[], cors_origins=(), max_body_bytes=config.server.max_body_bytes,
                validate_responses=config.validate_responses)
    return tornado.web.Application(
        [tornado.web.url(r[0], r[1], r[2]) for r in domain.routes], runtime=runtime, edge=edge,
        default_handler_class=NotFoundHandler, log_function=log_request, xsrf_cookies=False,
        serve_traceback=False, debug=False)
