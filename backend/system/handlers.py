"""Health, readiness and the OpenAPI document."""
from __future__ import annotations

from typing import Any

from backend.core.api import ApiHandler, Response, bind, operation, route
from backend.core.schema import obj, string
from backend.db.mongo import ping

TAGS = ("系统",)
HEALTH = obj({"status": string()}, ["status"], additional=True)


class HealthzHandler(ApiHandler):
    @operation("存活检查：服务器能接收请求即为 200", tags=TAGS, responses={200: HEALTH})
    async def get(self) -> None:
        self.reply({"status": "ok"})


class ReadyzHandler(ApiHandler):
    @operation("就绪检查：数据库与后台任务均正常才为 200", tags=TAGS, responses={200: HEALTH, 503: HEALTH})
    async def get(self) -> None:
        db_ok = await ping(self.runtime.client)
        workers_ok = self.runtime.workers.healthy() or not self.runtime.config.workers.enabled
        ready = db_ok and workers_ok and self.runtime.started
        self.reply({"status": "ready" if ready else "not_ready", "database": "up" if db_ok else "down",
                    "workers": self.runtime.workers.status(), "warnings": self.runtime.warnings()},
                   200 if ready else 503)


class MetricsHandler(ApiHandler):
    @operation("Prometheus 指标（请求量与延迟、预约、支付、消息队列）", tags=TAGS,
               responses={200: Response(content_type="text/plain; version=0.0.4")})
    async def get(self) -> None:
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish(await self.settings["metrics"].render())


class OpenApiHandler(ApiHandler):
    @operation("本文档（OpenAPI 3.1）", tags=TAGS, responses={200: {"type": "object"}})
    async def get(self) -> None:
        self.reply(self.runtime.openapi())


def routes(runtime: Any) -> list[tuple]:
    """Health, readiness, metrics and the API document, over the composed system."""
    return bind([
        route("/healthz", HealthzHandler),
        route("/readyz", ReadyzHandler),
        route("/openapi.json", OpenApiHandler),
        route("/metrics", MetricsHandler),
    ], runtime=runtime)
