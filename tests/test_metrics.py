"""``GET /metrics``: Prometheus text with per-route request counts and latencies and the gauges."""
from __future__ import annotations

from tests.support import Api


def _value(text: str, line_prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_prefix} not in metrics")


def test_domain_gauges_count_what_is_in_the_database(api: Api) -> None:
    from tests.support import new_resident
    from tests.support_cases import submit
    before = api.get("/metrics").text
    key = 'zjb_applications{status="submitted"}'
    start = _value(before, key) if key in before else 0.0
    submit(api, new_resident(api, verified=True))
    assert _value(api.get("/metrics").text, key) == start + 1


def test_metrics_count_requests_per_route_template(api: Api) -> None:
    before = api.get("/metrics").text
    key = 'zjb_http_requests_total{method="GET",route="/api/v1/services/{id}",status="404"}'
    start = _value(before, key) if key in before else 0.0
    slow = 'zjb_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/services/{id}"}'
    slow_start = _value(before, slow) if slow in before else 0.0
    for _ in range(3):
        assert api.get("/api/v1/services/000000000000000000000000").status_code == 404
    r = api.get("/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    # Counted by template, not by the raw path (ids would explode the label space).
    assert _value(text, key) == start + 3
    assert "000000000000000000000000" not in text
    assert _value(text, slow) == slow_start + 3
    assert "# TYPE zjb_outbox_messages gauge" in text
    assert "zjb_outbox_oldest_undelivered_seconds " in text
    assert _value(text, "zjb_database_up") == 1.0
    for name in ("zjb_appointments", "zjb_payments", "zjb_applications", "zjb_outbox_failed"):
        assert f"# TYPE {name} gauge" in text
    api.get("/no/such/path")
    assert 'route="unmatched",status="404"' in api.get("/metrics").text
