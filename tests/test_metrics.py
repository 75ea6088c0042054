"""``GET /metrics``: Prometheus text with per-route request counts and latencies and the gauges."""
from __future__ import annotations

import re

from tests.support import Api


def _value(text: str, line_prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_prefix} not in metrics")


def test_metrics_count_requests_per_route_template(api: Api) -> None:
    before = api.get("/metrics").text
    key = 'zjb_http_requests_total{method="GET",route="/api/v1/services/{id}",status="404"}'
    start = _value(before, key) if key in before else 0.0
    for _ in range(3):
        assert api.get("/api/v1/services/000000000000000000000000").status_code == 404
    r = api.get("/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    # Counted by template, not by the raw path (ids would explode the label space).
    assert _value(text, key) == start + 3
    assert "000000000000000000000000" not in text
    assert re.search(r'zjb_http_request_duration_seconds_bucket\{method="GET",route="/api/v1/services/\{id\}",le="\+Inf"\} \d+', text)
    assert "# TYPE zjb_outbox_messages gauge" in text
    assert "zjb_outbox_oldest_undelivered_seconds " in text
    api.get("/no/such/path")
    assert 'route="unmatched",status="404"' in api.get("/metrics").text
