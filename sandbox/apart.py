"""The stand-in process's own endpoint, and the app's check that the process answers.

``GET /healthz`` on the stand-in process answers 200 once its stand-ins are built and its clock has
followed the shared offset; the app's ``/readyz`` asks it (``probe``) and reports ``standins``."""
from __future__ import annotations

import os

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from backend.core.api import ApiHandler, operation, route
from backend.core.domain import Probe
from backend.core.schema import integer, obj, string

PROBE_TIMEOUT = 1.0   # seconds: a stand-in process that cannot answer this fast is not ready


class HealthHandler(ApiHandler):
    @operation("（替身进程）存活检查", tags=("沙箱",),
               responses={200: obj({"status": string(), "pid": integer()}, ["status", "pid"])})
    async def get(self) -> None:
        self.reply({"status": "ok", "pid": os.getpid()})


default_handlers = [route("/healthz", HealthHandler)]


def probe(port: int) -> Probe:
    """Whether the stand-in process on ``port`` answers its health check."""
    url = f"http://127.0.0.1:{port}/healthz"

    async def answers() -> bool:
        try:
            resp = await AsyncHTTPClient().fetch(HTTPRequest(url, connect_timeout=PROBE_TIMEOUT,
                                                             request_timeout=PROBE_TIMEOUT), raise_error=False)
        except (OSError, HTTPClientError):   # refused, reset or timed out
            return False
        return resp.code == 200
    return answers
