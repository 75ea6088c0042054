"""Running the system: the embedded database (unless a URI is configured), the HTTP server,
the workers and, in sandbox mode, the stand-ins, all stopped cleanly on SIGINT/SIGTERM."""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path

import tornado.httpserver

from backend.app import AppContext, make_app
from backend.config import Config
from backend.db.embedded import EmbeddedDatabase

log = logging.getLogger("zjb.server")


class Runner:
    """One app process: optionally owns the embedded database."""

    def __init__(self, config: Config):
        self.config = config
        self.embedded: EmbeddedDatabase | None = None
        self.http: tornado.httpserver.HTTPServer | None = None
        self.ctx: AppContext | None = None

    def start_database(self) -> Config:
        if self.config.database.uri:
            return self.config
        self.embedded = EmbeddedDatabase(self.config.data_dir, cache_size=self.config.database.embedded_cache_size)
        uri = self.embedded.start()
        self.config = self.config.with_overrides(database={"uri": uri})
        return self.config

    async def start_app(self) -> None:
        app = make_app(self.config)
        self.ctx = app.settings["ctx"]
        self.http = tornado.httpserver.HTTPServer(app, max_body_size=self.config.server.max_body_bytes * 2,
                                                  idle_connection_timeout=60, body_timeout=30)
        self.http.listen(self.config.server.port, self.config.server.host)
        await self.ctx.start()

    async def stop_app(self) -> None:
        if self.http is not None:
            self.http.stop()
            await asyncio.wait_for(self.http.close_all_connections(), timeout=10)
        if self.ctx is not None:
            await self.ctx.stop()

    def stop_database(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()


async def _serve(runner: Runner) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    await runner.start_app()
    cfg = runner.config
    log.info("指尖办 ready", extra={"url": f"http://{cfg.server.host}:{cfg.server.port}", "mode": cfg.mode,
                                  "startup_ms": round((time.monotonic() - started) * 1000)})
    await stop.wait()
    log.info("stopping")
    await runner.stop_app()


def serve(config: Config) -> int:
    Path(config.data_dir).mkdir(parents=True, exist_ok=True)
    runner = Runner(config)
    try:
        runner.start_database()
        asyncio.run(_serve(runner))
    finally:
        runner.stop_database()
    log.info("stopped")
    return 0
