"""Background jobs give way to a burst of requests, for a bounded time, and the requests in flight
are counted exactly however they end."""
from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import requests

from backend.core.foreground import AfterBurst, Foreground
from backend.workers import Workers
from tests.support import Api, AppServer, run_apart
from tests.support_appointments import make_bookable


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def _run_with_workers(foreground: Foreground, body: Callable[[list[float]], Any]) -> None:
    async def main() -> None:
        runs: list[float] = []

        async def job() -> None:
            runs.append(time.monotonic())

        workers = Workers(foreground)
        workers.register("job", job, 0.01)
        workers.start()
        try:
            await body(runs)
        finally:
            await workers.stop()
    run_apart(main())


def test_a_job_waits_while_a_burst_is_answered_and_runs_once_it_drains() -> None:
    foreground = Foreground(busy_at=3, max_wait=60)

    async def body(runs: list[float]) -> None:
        await _until(lambda: len(runs) >= 2)         # runs on its tick while nothing is in flight
        for _ in range(3):
            foreground.enter()
        seen = len(runs)
        await asyncio.sleep(0.3)                     # 30 ticks' worth: the burst holds the job back
        assert len(runs) <= seen + 1                 # at most the run already under way when it began
        foreground.leave()                           # below busy_at: the burst has drained
        drained_at = time.monotonic()
        await _until(lambda: len(runs) > seen + 1)
        assert runs[-1] >= drained_at
        foreground.leave()
        foreground.leave()
        foreground.leave()                           # more leaves than enters never go below zero
        assert foreground.in_flight == 0

    _run_with_workers(foreground, body)


def test_a_burst_that_does_not_end_delays_a_job_by_at_most_the_longest_wait() -> None:
    foreground = Foreground(busy_at=1, max_wait=0.2)

    async def body(runs: list[float]) -> None:
        await _until(lambda: len(runs) >= 1)
        foreground.enter()                           # never leaves
        began = time.monotonic()
        await _until(lambda: len(runs) >= 4)
        gaps = [b - a for a, b in zip(runs[-3:-1], runs[-2:], strict=True)]
        assert all(0.15 <= g < 2.0 for g in gaps), gaps   # each run waited its 0.2 s, then ran
        assert time.monotonic() - began < 5

    _run_with_workers(foreground, body)


def test_with_no_threshold_jobs_never_wait() -> None:
    foreground = Foreground(busy_at=0, max_wait=60)

    async def body(runs: list[float]) -> None:
        for _ in range(100):
            foreground.enter()
        seen = len(runs)
        await _until(lambda: len(runs) >= seen + 5, timeout=5)

    _run_with_workers(foreground, body)


def test_requests_in_flight_come_back_to_zero_however_they_end(server: AppServer) -> None:
    assert server.ctx is not None
    foreground = server.ctx.foreground
    assert foreground.busy_at > 0                 # serve's jobs give way to bursts by default
    s = requests.Session()
    for method, path, kwargs in [
        ("GET", "/api/v1/services", {}),                                     # 200
        ("GET", "/api/v1/me", {}),                                           # 401
        ("GET", "/api/v1/no-such-thing", {}),                                # 404
        ("POST", "/api/v1/auth/wechat-login", {"data": b"{", "headers": {"Content-Type": "application/json"}}),
        ("GET", "/console/", {}),                                            # a console page
    ]:
        r = s.request(method, server.base + path, timeout=10, **kwargs)
        assert r.status_code < 500, (path, r.status_code)
    # A client that goes away before its answer.
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(b"GET /api/v1/services HTTP/1.1\r\nHost: x\r\n\r\n")
    run_apart(_until(lambda: foreground.in_flight == 0))


def test_a_hall_screens_open_stream_is_not_a_burst(server: AppServer, api: Api) -> None:
    b = make_bookable(api, capacity=1, services=1)
    assert server.ctx is not None
    with requests.get(f"{server.base}/api/v1/halls/{b.hall_id}/display/events", stream=True, timeout=10) as r:
        assert r.status_code == 200
        next(r.iter_lines())                      # the stream is open and has sent the board
        assert server.ctx.foreground.in_flight == 0


def _collected() -> tuple[list[list[int]], Callable[[list[int]], Any]]:
    """A write that keeps what it was given, call by call."""
    writes: list[list[int]] = []

    async def write(items: list[int]) -> None:
        writes.append(items)
    return writes, write


def test_what_a_burst_leaves_behind_is_written_once_after_its_last_answer_in_one_write() -> None:
    foreground = Foreground(busy_at=3, max_wait=60)
    writes, write = _collected()

    async def main() -> None:
        later = AfterBurst(foreground, write)
        for _ in range(5):
            foreground.enter()
        later.add([1, 2])
        await asyncio.sleep(0.05)
        for _ in range(4):
            foreground.leave()                       # below busy_at, yet one answer is still to go
        later.add([3])
        await asyncio.sleep(0.05)
        assert writes == [], "nothing while a request is in flight"
        foreground.leave()
        await later.drain()
        assert writes == [[1, 2, 3]]
        later.add([4])                               # nothing in flight: written at once
        await later.drain()
        assert writes == [[1, 2, 3], [4]]
    run_apart(main())


def test_a_burst_that_never_ends_delays_what_it_leaves_behind_by_at_most_the_longest_wait() -> None:
    foreground = Foreground(busy_at=3, max_wait=0.2)
    written: list[float] = []

    async def write(items: list[int]) -> None:
        written.append(time.monotonic())

    async def main() -> None:
        later = AfterBurst(foreground, write)
        foreground.enter()
        added = time.monotonic()
        later.add([1])
        await later.drain()
        assert 0.15 <= written[0] - added < 2.0
    run_apart(main())


def test_stopping_writes_what_was_left_behind() -> None:
    foreground = Foreground(busy_at=3, max_wait=60)
    writes, write = _collected()

    async def main() -> None:
        later = AfterBurst(foreground, write)
        foreground.enter()
        later.add([7])
        foreground.leave()
        await foreground.drain()
        assert writes == [[7]]
    run_apart(main())
