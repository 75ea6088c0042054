"""The references every hot path is measured against, in the same run and at the same concurrency
(these machines are shared and noisy: only ratios within one run mean anything).

- **The brief update**: ``{_id, free >= 1}`` → ``$inc free -1`` on a scratch collection, sent
  straight to the database by ``concurrency`` clients at the same instant, burst after burst.
  It is the least a booking could cost the database: one conditional single-document update.
- **``/healthz``**: the same bursts over HTTP to the app: what the framework and this client
  can do with no work behind them (the ceiling).

Both are timed as bursts of ``concurrency`` requests fired together, like a storm: the rate is
``concurrency`` ÷ the median burst's wall time, latencies are every request's.

``Http`` is a small keep-alive HTTP/1.1 client on asyncio: the storm's residents, the login peak's
and ``/healthz`` are all sent through it, so the client's own cost is the same in every figure
and small (a thread per request costs more CPU than the request does on this machine).
"""
from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bson import ObjectId
from pymongo import AsyncMongoClient


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    """One keep-alive connection to the app (reopened if the server closed it)."""

    def __init__(self, base: str, *, forwarded_for: str | None = None):
        u = urlsplit(base)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.forwarded_for = forwarded_for   # the client's address, as a trusted proxy would pass it on
        self._r: asyncio.StreamReader | None = None
        self._w: asyncio.StreamWriter | None = None

    async def open(self) -> Http:
        self._r, self._w = await asyncio.open_connection(self.host, self.port)
        return self

    async def close(self) -> None:
        if self._w is not None:
            self._w.close()
            try:
                await self._w.wait_closed()
            except (ConnectionError, OSError):
                pass
            self._w = None

    async def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Reply:
        if self._w is None or self._w.is_closing():
            await self.open()
        assert self._r is not None and self._w is not None
        data = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(data)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        if token:
            head.append(f"Authorization: Bearer {token}")
        if self.forwarded_for:
            head.append(f"X-Forwarded-For: {self.forwarded_for}")
        self._w.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        status = int((await self._r.readline()).split()[1])
        length, chunked, close = 0, False, False
        while (line := await self._r.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = value == "close"
        if chunked:
            parts = []
            while (size := int((await self._r.readline()).strip(), 16)) > 0:
                parts.append(await self._r.readexactly(size))
                await self._r.readline()
            await self._r.readline()
            payload = b"".join(parts)
        else:
            payload = await self._r.readexactly(length) if length else b""
        if close:
            await self.close()
        return Reply(status, payload)


async def connections(base: str, n: int, addresses: list[str] | None = None) -> list[Http]:
    """``n`` open connections, each warmed with one request (the storm does not pay for connecting);
    the i-th from ``addresses[i]`` when given (``X-Forwarded-For``, for an app trusting 127.0.0.1)."""
    conns = [await Http(base, forwarded_for=addresses[i] if addresses else None).open() for i in range(n)]
    await asyncio.gather(*[c.request("GET", "/healthz") for c in conns])
    return conns


@dataclass(frozen=True)
class Bursts:
    rate: float              # operations per second: concurrency ÷ the median burst's wall time
    latencies: list[float]   # seconds, every operation's
    db_cpu: float = 0.0      # database CPU seconds per operation (when its pid is known)

    @property
    def p99_ms(self) -> float:
        return pct(self.latencies, 99)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile of ``values`` (seconds), in milliseconds."""
    v = sorted(values)
    return v[min(len(v) - 1, round(p / 100 * (len(v) - 1)))] * 1000 if v else 0.0


async def bursts(op: Callable[[int], Awaitable[None]], concurrency: int, rounds: int) -> Bursts:
    """``rounds`` bursts of ``concurrency`` calls of ``op(i)`` fired together (after one untimed
    burst that opens connections)."""
    lat: list[float] = []

    async def timed(i: int) -> None:
        t = time.perf_counter()
        await op(i)
        lat.append(time.perf_counter() - t)
    await asyncio.gather(*[op(i) for i in range(concurrency)])
    walls = []
    for _ in range(rounds):
        t = time.perf_counter()
        await asyncio.gather(*[timed(i) for i in range(concurrency)])
        walls.append(time.perf_counter() - t)
    return Bursts(concurrency / statistics.median(walls), lat)


async def brief_update(db_uri: str, concurrency: int, rounds: int = 10,
                       db_cpu: Callable[[], float] | None = None) -> Bursts:
    """The brief conditional update, ``concurrency`` at once, ``rounds`` times."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(db_uri, maxPoolSize=max(100, concurrency),
                                                                 serverSelectionTimeoutMS=10000)
    col = client["bench_reference"]["slots"]
    await col.drop()
    ids = [ObjectId() for _ in range(8)]
    await col.insert_many([{"_id": i, "free": (rounds + 1) * concurrency} for i in ids])

    async def one(i: int) -> None:
        await col.update_one({"_id": ids[i % len(ids)], "free": {"$gte": 1}}, {"$inc": {"free": -1}})
    cpu0 = db_cpu() if db_cpu else 0.0
    b = await bursts(one, concurrency, rounds)
    cpu = (db_cpu() - cpu0) / ((rounds + 1) * concurrency) if db_cpu else 0.0
    await client.drop_database("bench_reference")
    await client.close()
    return Bursts(b.rate, b.latencies, cpu)


async def healthz(base: str, concurrency: int, rounds: int = 10) -> Bursts:
    """``/healthz`` over HTTP, ``concurrency`` connections at once, ``rounds`` times."""
    conns = await connections(base, concurrency)

    async def one(i: int) -> None:
        r = await conns[i].request("GET", "/healthz")
        assert r.status == 200, r.status
    try:
        return await bursts(one, concurrency, rounds)
    finally:
        await asyncio.gather(*[c.close() for c in conns])


def both(before: Bursts, after: Bursts) -> Bursts:
    """A reference measured just before and just after the work: the mean rate, every latency."""
    return Bursts((before.rate + after.rate) / 2, before.latencies + after.latencies,
                  (before.db_cpu + after.db_cpu) / 2)


def against(name: str, rate: float, p99_ms: float, ref: Bursts, ref_name: str) -> str:
    """One line: ``name``'s rate and p99 as ratios to a reference's."""
    return (f"{name} ÷ {ref_name}: {rate / ref.rate:.2f}× the rate ({rate:.0f} vs {ref.rate:.0f}/s), "
            f"p99 {p99_ms / ref.p99_ms:.2f}× ({p99_ms:.0f} vs {ref.p99_ms:.0f} ms)")
