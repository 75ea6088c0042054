"""Running the system: the embedded database (unless a URI is configured), the HTTP server,
the workers and, in sandbox mode, the stand-ins (in a process of their own unless
``sandbox.standins_mode = "inline"``), all stopped cleanly on SIGINT/SIGTERM."""
from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import tornado.httpserver
import tornado.netutil

from backend.app import Runtime, make_app, make_standins_app
from backend.config import Config
from backend.core.children import SupervisedChild, stop_process
from backend.db.embedded import EmbeddedDatabase, _die_with_parent, free_port
from backend.system.metrics import MULTIPROC_ENV

log = logging.getLogger("zjb.server")
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # 127.0.0.1, never through a proxy


class StandinProcess(SupervisedChild):
    """The sandbox's stand-ins in a child process (``python -m backend standins``), supervised like
    the embedded database: started (and answering ``/healthz``) before the app, started again after
    1 s, 2, 4 … at most 8 s if it dies, and never outliving us (``PR_SET_PDEATHSIG``). Its port is
    kept in ``DATA_DIR/run/standins.json`` for the worker and admin commands of the same data folder."""

    label = "stand-in process"
    thread_name = "standins-supervisor"

    def __init__(self, config: Config, *, config_file: str | None = None):
        super().__init__()
        self.config = config.with_overrides(sandbox={"standins_port": config.sandbox.standins_port or free_port()})
        self.config_file = config_file

    @property
    def port(self) -> int:
        return self.config.sandbox.standins_port

    def _command(self) -> list[str]:
        cfg = self.config
        return [sys.executable, "-m", "backend", "standins", "--data-dir", cfg.data_dir,
                "--port", str(cfg.server.port), "--standins-port", str(self.port)]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["ZJB_DATABASE_URI"] = self.config.database.uri   # the sandbox clock's offset lives there
        env.pop(MULTIPROC_ENV, None)
        if self.config_file:
            env["ZJB_CONFIG"] = self.config_file
        return env

    def _start(self, timeout: float) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.proc = subprocess.Popen(self._command(), env=self._env(), stdin=subprocess.DEVNULL,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code, self.proc = self.proc.returncode, None
                raise RuntimeError(f"the stand-in process exited with code {code} at start-up "
                                   f"(is port {self.port} taken?)")
            if self.answers():
                run = self.run_file
                run.parent.mkdir(parents=True, exist_ok=True)
                run.write_text(json.dumps({"port": self.port, "pid": self.proc.pid, "owner_pid": os.getpid()}))
                log.info("stand-ins started", extra={"port": self.port, "pid": self.proc.pid})
                return
            time.sleep(0.1)
        self._stop(5.0)
        raise RuntimeError(f"the stand-in process did not answer within {timeout:.0f}s")

    def answers(self) -> bool:
        try:
            with _DIRECT.open(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as resp:
                return bool(resp.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    @property
    def run_file(self) -> Path:
        return Path(self.config.data_dir) / "run" / "standins.json"

    def _stop(self, timeout: float) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc, timeout, label=self.label)
        self.run_file.unlink(missing_ok=True)


def running_standins_port(data_dir: str) -> int | None:
    """The port of the stand-in process a running ``serve`` started for this data folder."""
    try:
        info = json.loads((Path(data_dir) / "run" / "standins.json").read_text())
        os.kill(int(info["pid"]), 0)
        return int(info["port"])
    except (OSError, ValueError, KeyError):
        return None


def with_running_standins(config: Config) -> Config:
    """A command run beside ``serve`` (a worker, an admin command) reaches the stand-ins where that
    ``serve`` runs them; with none running, where the inline stand-ins would be."""
    if not (config.is_sandbox and config.sandbox.standins_apart) or config.sandbox.standins_port:
        return config
    port = running_standins_port(config.data_dir)
    return config.with_overrides(sandbox={"standins_port": port} if port else {"standins_mode": "inline"})


class Runner:
    """One app process: optionally owns the embedded database and the stand-in process."""

    def __init__(self, config: Config):
        self.config = config
        self.embedded: EmbeddedDatabase | None = None
        self.standins: StandinProcess | None = None
        self.http: tornado.httpserver.HTTPServer | None = None
        self.runtime: Runtime | None = None

    def start_database(self) -> Config:
        if self.config.database.uri:
            return self.config
        self.embedded = EmbeddedDatabase(self.config.data_dir, cache_size=self.config.database.embedded_cache_size)
        uri = self.embedded.start()
        self.embedded.supervise()  # a database child that dies is started again; the app reconnects
        self.config = self.config.with_overrides(database={"uri": uri})
        return self.config

    def start_standins(self, *, config_file: str | None = None) -> Config:
        """In sandbox mode with the stand-ins apart: start their process (after the database, before
        the app) and hand its port on through the configuration."""
        if not (self.config.is_sandbox and self.config.sandbox.standins_apart):
            return self.config
        self.standins = StandinProcess(self.config, config_file=config_file)
        self.standins.start()
        self.standins.supervise()
        self.config = self.config.with_overrides(sandbox={"standins_port": self.standins.port})
        return self.config

    def stop_standins(self) -> None:
        if self.standins is not None:
            self.standins.stop()

    async def start_app(self, *, http: bool = True, reuse_port: bool = False) -> None:
        app = make_app(self.config)
        self.runtime = app.settings["runtime"]
        if http:
            self.http = tornado.httpserver.HTTPServer(app, max_body_size=self.config.server.max_body_bytes * 2,
                                                      idle_connection_timeout=60, body_timeout=30)
            # With reuse_port several app processes accept on one port; the kernel spreads connections.
            self.http.add_sockets(tornado.netutil.bind_sockets(self.config.server.port, self.config.server.host,
                                                               reuse_port=reuse_port))
        await self.runtime.start()

    async def stop_app(self) -> None:
        if self.http is not None:
            self.http.stop()
            await asyncio.wait_for(self.http.close_all_connections(), timeout=10)
        if self.runtime is not None:
            await self.runtime.stop()

    def stop_database(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()


# Objects a request makes and drops in passing: this many are allowed before the collector looks
# at the youngest generation (Python's default is 700).
GC_YOUNG_OBJECTS = 10_000


def settle_collector() -> None:
    """Once started, what the process built to run (modules, routes, schemas, words) lives as long
    as it does: frozen, the collector no longer scans it at every full collection. A larger young
    generation lets most of a request's objects die by reference count before any collection. At
    a peak of 500 logins with their home pages the collector took about 0.8 s of the event loop;
    after this, about 0.15 s (bench/login_peak.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_OBJECTS, 20, 20)


async def _serve(runner: Runner, *, http: bool = True, reuse_port: bool = False) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    # A stop asked for while the database cannot be reached ends the start after the attempt under
    # way (a database call is never cancelled from outside); then the process stops as usual.
    starting = asyncio.ensure_future(runner.start_app(http=http, reuse_port=reuse_port))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        log.info("stopping before the start finished")
        while not starting.done():
            if runner.runtime is not None:
                runner.runtime.abandon_start()
            await asyncio.wait({starting}, timeout=0.1)
        starting.result()
        await runner.stop_app()
        return
    stopping.cancel()
    starting.result()
    settle_collector()
    cfg = runner.config
    log.info("指尖办 ready" if http else "指尖办 worker ready",
             extra={"url": f"http://{cfg.server.host}:{cfg.server.port}", "mode": cfg.mode, "pid": os.getpid(),
                    "startup_ms": round((time.monotonic() - started) * 1000)})
    await stop.wait()
    log.info("stopping")
    await runner.stop_app()


def serve(config: Config, *, processes: int = 1, worker_processes: int | None = None,
          reuse_port: bool = False, config_file: str | None = None) -> int:
    """One process (app + workers) by default; with ``processes > 1`` a supervisor owning the
    embedded database runs N app processes on one port and separate worker processes, each loading
    ``config_file`` (the file this process was given) as this one did."""
    Path(config.data_dir).mkdir(parents=True, exist_ok=True)
    runner = Runner(config)
    try:
        runner.start_database()
        runner.start_standins(config_file=config_file)
        if processes <= 1 and not worker_processes:
            asyncio.run(_serve(runner, reuse_port=reuse_port))
        else:
            Supervisor(runner.config, processes, processes if worker_processes is None else worker_processes,
                       config_file=config_file).run()
    finally:
        runner.stop_standins()
        runner.stop_database()
    log.info("stopped")
    return 0


def work(config: Config) -> int:
    """A worker process: the background jobs (outbox delivery, payment queries, sweeps) with no
    HTTP server, on the configured database. Several may run at once: every job takes leases."""
    if not config.database.uri:
        from backend.db.embedded import running_database_uri
        uri = running_database_uri(config.data_dir)
        if uri is None:
            log.error("worker needs database.uri or a running `serve` on the same data folder")
            return 2
        config = config.with_overrides(database={"uri": uri})
    runner = Runner(with_running_standins(config).with_overrides(workers={"enabled": True}))
    asyncio.run(_serve(runner, http=False))
    log.info("stopped")
    return 0


def metrics_dir(data_dir: str) -> Path:
    """Where the app processes of one ``serve`` share their request metrics."""
    return Path(data_dir) / "run" / "metrics"


class Supervisor:
    """Starts and watches the child processes; a child that dies is started again (with a
    growing delay); SIGTERM/SIGINT stop them all, then the database.

    The children write their request metrics to files in ``metrics_dir`` (prometheus-client's
    multiprocess mode, named to them by ``PROMETHEUS_MULTIPROC_DIR``); the supervisor empties it
    before the first child starts, so the counts begin at zero with each ``serve``."""

    def __init__(self, config: Config, apps: int, workers: int, *, config_file: str | None = None):
        self.config = config
        self.config_file = config_file
        self.specs = [("app", i) for i in range(max(1, apps))] + [("worker", i) for i in range(workers)]
        self.children: dict[tuple[str, int], subprocess.Popen[bytes]] = {}
        self.restarts: dict[tuple[str, int], int] = {}
        self.stopping = False
        self.metrics_dir = metrics_dir(config.data_dir)

    def _reset_metrics(self) -> None:
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
        self.metrics_dir.mkdir(parents=True)

    def _reaped(self, proc: subprocess.Popen[bytes]) -> None:
        """A child has exited: its counts stay in the shared files; its live gauges go."""
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(proc.pid, str(self.metrics_dir))  # type: ignore[no-untyped-call]  # unannotated in prometheus-client

    def _command(self, kind: str) -> list[str]:
        cfg = self.config
        if kind == "app":
            return [sys.executable, "-m", "backend", "serve", "--port", str(cfg.server.port), "--host",
                    cfg.server.host, "--data-dir", cfg.data_dir, "--reuse-port"]
        return [sys.executable, "-m", "backend", "worker", "--data-dir", cfg.data_dir, "--port", str(cfg.server.port)]

    def _env(self, kind: str) -> dict[str, str]:
        env = dict(os.environ)
        env["ZJB_DATABASE_URI"] = self.config.database.uri
        env["ZJB_WORKERS_ENABLED"] = "false" if kind == "app" else "true"
        env[MULTIPROC_ENV] = str(self.metrics_dir)
        if self.config.sandbox.standins_port:   # the stand-in process this supervisor's serve started
            env["ZJB_SANDBOX_STANDINS_PORT"] = str(self.config.sandbox.standins_port)
        if self.config_file:  # given as --config: the children read the same file
            env["ZJB_CONFIG"] = self.config_file
        # Seed once, from the first app process; the others find it done (seeding is idempotent anyway).
        return env

    def _spawn(self, spec: tuple[str, int]) -> None:
        from backend.db.embedded import _die_with_parent
        self.children[spec] = subprocess.Popen(self._command(spec[0]), env=self._env(spec[0]),
                                               preexec_fn=_die_with_parent)
        log.info("child started", extra={"kind": spec[0], "index": spec[1], "pid": self.children[spec].pid})

    def run(self) -> None:
        def stop(*_: object) -> None:
            self.stopping = True
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self._reset_metrics()
        for spec in self.specs:
            self._spawn(spec)
        log.info("指尖办 supervisor ready", extra={"apps": sum(k == "app" for k, _ in self.specs),
                                                "workers": sum(k == "worker" for k, _ in self.specs)})
        while not self.stopping:
            for spec, proc in list(self.children.items()):
                if proc.poll() is not None and not self.stopping:
                    self._reaped(proc)
                    n = self.restarts[spec] = self.restarts.get(spec, 0) + 1
                    log.warning("child exited; restarting", extra={"kind": spec[0], "index": spec[1],
                                                                   "code": proc.returncode, "restarts": n})
                    time.sleep(min(0.5 * n, 5.0))
                    self._spawn(spec)
            time.sleep(0.2)
        for proc in self.children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.children.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self._reaped(proc)


def serve_standins(config: Config) -> int:
    """The stand-in process (``StandinProcess`` starts it): the outside parties' protocol endpoints
    on 127.0.0.1:``sandbox.standins_port`` and the payment stand-ins' notices, until SIGTERM."""
    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        app = make_standins_app(config)
        runtime = app.settings["runtime"]
        await runtime.start()
        http = tornado.httpserver.HTTPServer(app, max_body_size=config.server.max_body_bytes * 2,
                                             idle_connection_timeout=60)
        http.add_sockets(tornado.netutil.bind_sockets(config.sandbox.standins_port, "127.0.0.1"))
        settle_collector()
        log.info("stand-ins ready", extra={"port": config.sandbox.standins_port, "pid": os.getpid()})
        await stop.wait()
        http.stop()
        await asyncio.wait_for(http.close_all_connections(), timeout=10)
        await runtime.stop()
    asyncio.run(run())
    return 0
