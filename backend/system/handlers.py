"""Health, readiness, the server's time and the OpenAPI document."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from backend.core.api import ApiHandler, Response, bind, operation, route
from backend.core.clock import iso
from backend.core.domain import Route
from backend.core.ops import ops_authorised, require_ops
from backend.core.schema import obj, string
from backend.db.mongo import ping

if TYPE_CHECKING:  # pragma: no cover - the composition root builds these handlers and imports this module
    from backend.app import Runtime

TAGS = ("系统",)
HEALTH = obj({"status": string()}, ["status"], additional=True)
TIME = obj({"now": string(format="date-time", description="服务器当前时间（北京时间，ISO 8601）"),
            "today": string(format="date", description="服务器的今天（北京时间）"),
            "timezone": string(enum=["Asia/Shanghai"])}, ["now", "today", "timezone"])


class HealthzHandler(ApiHandler):
    @operation("存活检查：服务器能接收请求即为 200", tags=TAGS, responses={200: HEALTH})
    async def get(self) -> None:
        self.reply({"status": "ok"})


class _SystemHandler(ApiHandler):
    runtime: Runtime   # bound by ``routes``


class TimeHandler(_SystemHandler):
    @operation("服务器时间：客户端的“今天”与当前时间以此为准（沙箱模式下为可拨动的沙箱时钟）", tags=TAGS,
               responses={200: TIME})
    async def get(self) -> None:
        now = self.runtime.clock.local_now()
        self.reply({"now": iso(now), "today": now.date().isoformat(), "timezone": "Asia/Shanghai"})


class _OpsHandler(_SystemHandler):
    def _ops_authorised(self) -> bool:
        return ops_authorised(self.runtime.config, self.request.headers.get("Authorization"), self.client_ip())


class ReadyzHandler(_OpsHandler):
    @operation("就绪检查：数据库与后台任务（沙箱模式下还有替身进程）均正常才为 200", tags=TAGS,
               responses={200: HEALTH, 503: HEALTH})
    async def get(self) -> None:
        db_ok = await ping(self.runtime.client)
        workers_ok = self.runtime.workers.healthy() or not self.runtime.config.workers.enabled
        # The processes the domains rely on (in sandbox mode, the stand-in process).
        others = {name: await answers() for name, answers in self.runtime.probes.items()}
        ready = db_ok and workers_ok and self.runtime.started and all(others.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not_ready"}
        if self._ops_authorised():  # details only for operators (always in sandbox mode)
            body.update(database="up" if db_ok else "down", workers=self.runtime.workers.status(),
                        warnings=self.runtime.warnings(), **{k: "up" if ok else "down" for k, ok in others.items()})
        self.reply(body, 200 if ready else 503)

    def log_level(self) -> int:
        """"Not ready" is the answer asked for, not a failed request: expected while the server starts
        (info); once started it means the database or a job is down (warning; their own supervision
        logs the cause)."""
        if self.get_status() == 503:
            return logging.WARNING if self.runtime.started else logging.INFO
        return super().log_level()


class MetricsHandler(_OpsHandler):
    @operation("Prometheus 指标（请求量与延迟、预约、支付、消息队列）", tags=TAGS,
               responses={200: Response(content_type="text/plain; version=0.0.4")}, errors=(403,))
    async def get(self) -> None:
        require_ops(self.runtime.config, self.request.headers.get("Authorization"), self.client_ip())
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish(await self.settings["metrics"].render())


class OpenApiHandler(_SystemHandler):
    @operation("本文档（OpenAPI 3.1）", tags=TAGS, responses={200: {"type": "object"}})
    async def get(self) -> None:
        self.reply(self.runtime.openapi())


def routes(runtime: Runtime) -> list[Route]:
    """Health, readiness, metrics and the API document, over the composed system."""
    return bind([
        route("/healthz", HealthzHandler),
        route("/api/v1/time", TimeHandler),
        route("/readyz", ReadyzHandler),
        route("/openapi.json", OpenApiHandler),
        route("/metrics", MetricsHandler),
    ], runtime=runtime)
