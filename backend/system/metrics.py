"""Prometheus metrics: request counts and latencies per route (in this process), and gauges
read from the database at scrape time (bookings, payments by state, outbox depth and age …),
which domains register with ``ctx.metrics.gauge(...)``. ``GET /metrics`` serves the text format.

Request metrics are per process (scrape each process, as Prometheus does); database gauges are
the same in every process.
"""
from __future__ import annotations

import asyncio
import bisect
import logging
import threading
from dataclasses import dataclass, field
from typing import Awaitable, Callable

log = logging.getLogger("zjb.metrics")

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GaugeFn = Callable[[], Awaitable[list[tuple[dict[str, str], float]]]]


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0
    n: int = 0


@dataclass
class _Gauge:
    name: str
    help: str
    kind: str
    fn: GaugeFn


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    esc = (str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for v in labels.values())
    return "{" + ",".join(f'{k}="{v}"' for k, v in zip(labels, esc)) + "}"


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = {}
        self._latency: dict[tuple[str, str], _Histogram] = {}
        self._gauges: list[_Gauge] = []

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            key = (method, route, str(status))
            self._requests[key] = self._requests.get(key, 0) + 1
            h = self._latency.setdefault((method, route), _Histogram())
            h.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
            h.total += seconds
            h.n += 1

    def gauge(self, name: str, help: str, fn: GaugeFn, *, kind: str = "gauge") -> None:  # noqa: A002
        """Register a value read at scrape time; ``fn`` returns ``[(labels, value), ...]``."""
        self._gauges.append(_Gauge(name, help, kind, fn))

    async def render(self) -> str:
        out: list[str] = []
        with self._lock:
            requests = dict(self._requests)
            latency = {k: _Histogram(list(v.counts), v.total, v.n) for k, v in self._latency.items()}
        out += ["# HELP zjb_http_requests_total HTTP requests by method, route and status.",
                "# TYPE zjb_http_requests_total counter"]
        for (method, route, status), n in sorted(requests.items()):
            out.append(f"zjb_http_requests_total{_labels({'method': method, 'route': route, 'status': status})} {n}")
        out += ["# HELP zjb_http_request_duration_seconds Request latency by method and route.",
                "# TYPE zjb_http_request_duration_seconds histogram"]
        for (method, route), h in sorted(latency.items()):
            cumulative = 0
            for bound, c in zip(BUCKETS, h.counts):
                cumulative += c
                out.append(f"zjb_http_request_duration_seconds_bucket"
                           f"{_labels({'method': method, 'route': route, 'le': str(bound)})} {cumulative}")
            out.append(f"zjb_http_request_duration_seconds_bucket"
                       f"{_labels({'method': method, 'route': route, 'le': '+Inf'})} {h.n}")
            out.append(f"zjb_http_request_duration_seconds_sum{_labels({'method': method, 'route': route})} {h.total:.6f}")
            out.append(f"zjb_http_request_duration_seconds_count{_labels({'method': method, 'route': route})} {h.n}")
        results = await asyncio.gather(*(g.fn() for g in self._gauges), return_exceptions=True)
        for g, res in zip(self._gauges, results):
            out += [f"# HELP {g.name} {g.help}", f"# TYPE {g.name} {g.kind}"]
            if isinstance(res, BaseException):
                log.warning("metric failed", extra={"metric": g.name, "error": type(res).__name__})
                continue
            for labels, value in res:
                out.append(f"{g.name}{_labels(labels)} {value:g}")
        return "\n".join(out) + "\n"
