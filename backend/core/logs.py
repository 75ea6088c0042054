"""Structured JSON logs, one object per line, with the request id on every line.

The request id lives in a context variable set by the API base handler, so every log call made
while serving a request (services, providers, the database layer) carries it without passing it.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id_var.get()
        if rid:
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "request_id" and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", stream: Any = None) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_zjb", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._zjb = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Tornado's own access log is replaced by ours (see ApiHandler.log_request).
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    for noisy in ("pymongo", "urllib3", "wechatpy", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


