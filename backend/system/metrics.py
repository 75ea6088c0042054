"""Prometheus metrics through ``prometheus-client``: request counts and latencies per route, and
gauges read from the database at scrape time (bookings, payments by state, outbox depth and age …)
that domains hand over as ``GaugeSpec``. ``GET /metrics`` serves the text format.

With ``serve --processes N`` every app process writes its request metrics to files in one shared
directory (prometheus-client's multiprocess mode), and a scrape answered by any process sums them
all, including processes that have since exited. prometheus-client chooses that mode from the
``PROMETHEUS_MULTIPROC_DIR`` environment variable when it is first imported, so the supervisor
sets it before it starts the app processes. The database gauges are the same in every process:
they are read once per scrape, never through the shared files.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from backend.core.domain import GaugeSpec
from backend.db.mongo import Client, ping

log = logging.getLogger("zjb.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def database_gauge(client: Client) -> GaugeSpec:
    """``zjb_database_up``: 1 while the database answers a ping, 0 while it does not (the other
    gauges are then missing from the scrape)."""
    async def read() -> list[tuple[dict[str, str], float]]:
        return [({}, 1.0 if await ping(client) else 0.0)]
    return GaugeSpec("zjb_database_up", "1 while the database answers a ping, else 0.", read)


class _Snapshot:
    """Already-read metric families in the shape ``generate_latest`` reads."""

    def __init__(self, families: Iterable[Metric]):
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


class Metrics:
    def __init__(self, multiproc_dir: str | None = None):
        """``multiproc_dir``: the directory the app processes share (default: the
        ``PROMETHEUS_MULTIPROC_DIR`` this process was started with). Neither: this process only."""
        env_dir = os.environ.get(MULTIPROC_ENV) or None
        if multiproc_dir is not None and env_dir != multiproc_dir:
            raise ValueError(f"metrics directory {multiproc_dir!r} must be set as {MULTIPROC_ENV} before the "
                             f"process starts (prometheus-client reads it at import); it is {env_dir!r}")
        self.multiproc_dir = multiproc_dir or env_dir
        # The same series in one process as in many (the shared files keep no creation times).
        disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus-client leaves it unannotated
        own = None if self.multiproc_dir else CollectorRegistry()
        self._requests = Counter("zjb_http_requests", "HTTP requests by method, route and status.",
                                 ["method", "route", "status"], registry=own)
        self._latency = Histogram("zjb_http_request_duration_seconds", "Request latency by method and route.",
                                  ["method", "route"], buckets=BUCKETS, registry=own)
        if own is None:
            own = CollectorRegistry()
            MultiProcessCollector(own, path=self.multiproc_dir)  # type: ignore[no-untyped-call]  # as above
        self._registry = own
        self._gauges: list[GaugeSpec] = []
        # Each series' counter and histogram, looked up once (routes, methods and statuses are few).
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series[(method, route, status)] = (self._requests.labels(method, route, str(status)),
                                                              self._latency.labels(method, route))
        series[0].inc()
        series[1].observe(seconds)

    def register_gauges(self, gauges: Iterable[GaugeSpec]) -> None:
        """Gauges read from the database at each scrape; ``read`` returns ``[(labels, value), ...]``."""
        self._gauges.extend(gauges)

    async def render(self) -> bytes:
        """The text format: request metrics (of every app process) and then the gauges."""
        requests = generate_latest(self._registry)
        results = await asyncio.gather(*(g.read() for g in self._gauges), return_exceptions=True)
        families = []
        for g, res in zip(self._gauges, results, strict=True):
            family = Metric(g.name, g.help, "gauge")
            if isinstance(res, BaseException):
                log.warning("metric failed", extra={"metric": g.name, "error": type(res).__name__})
            else:
                for labels, value in res:
                    family.add_sample(g.name, {k: str(v) for k, v in labels.items()}, float(value))
            families.append(family)
        return requests + generate_latest(_Snapshot(families))
