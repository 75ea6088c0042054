"""The providers' HTTP client keeps its connections: calls after the first go over the same
connection, a connection the provider closed is never used again, and a failure leaves nothing
half-used in the pool."""
from __future__ import annotations

import asyncio
import os
import resource
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tornado import httpserver, netutil, web
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.iostream import IOStream

from backend.core.keepalive import KeepAliveClient
from tests.support import run_apart


class Counting(httpserver.HTTPServer):
    """An HTTP server that counts the connections it accepted and how many are still open."""

    def initialize(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(*args, **kwargs)
        self.streams: list[IOStream] = []

    @property
    def accepted(self) -> int:
        return len(self.streams)

    @property
    def open(self) -> int:
        return sum(not s.closed() for s in self.streams)

    def handle_stream(self, stream: IOStream, address: tuple[str, int]) -> None:
        self.streams.append(stream)
        super().handle_stream(stream, address)


class Echo(web.RequestHandler):
    def post(self) -> None:
        if self.get_query_argument("status", None):
            self.set_status(int(self.get_query_argument("status")))
        if self.get_query_argument("close", None):
            self.set_header("Connection", "close")
        self.write({"echo": self.request.body.decode()})


class Nth(web.RequestHandler):
    """Answers the first request of a connection and drops the connection at the second, as a
    provider does that closed a connection just as it was used again."""

    def post(self) -> None:
        seen: dict[int, int] = self.application.settings["seen"]
        conn = id(self.request.connection.stream)  # type: ignore[attr-defined]
        seen[conn] = seen.get(conn, 0) + 1
        if seen[conn] > 1:
            self.request.connection.stream.close()  # type: ignore[attr-defined]
            return
        self.write({"echo": self.request.body.decode()})


class Silent(web.RequestHandler):
    async def post(self) -> None:
        await asyncio.sleep(5)


def serve(body: Callable[[Counting, str, KeepAliveClient], Awaitable[Any]], **server: Any) -> Any:
    async def main() -> Any:
        app = web.Application([(r"/echo", Echo), (r"/nth", Nth), (r"/silent", Silent)], seen={})
        srv = Counting(app, **server)
        socks = netutil.bind_sockets(0, "127.0.0.1")
        srv.add_sockets(socks)
        client = KeepAliveClient()
        try:
            return await body(srv, f"http://127.0.0.1:{socks[0].getsockname()[1]}", client)
        finally:
            client.close()
            srv.stop()
    return run_apart(main())


def post(url: str, body: str = "x", timeout: float = 5.0) -> HTTPRequest:
    return HTTPRequest(url, method="POST", body=body.encode(), request_timeout=timeout,
                       headers={"Content-Type": "text/plain"})


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def test_calls_after_the_first_go_over_kept_connections() -> None:
    async def body(srv: Counting, base: str, client: KeepAliveClient) -> None:
        for i in range(5):
            r = await client.fetch(post(f"{base}/echo", f"call {i}"))
            assert r.code == 200 and r.body == f'{{"echo": "call {i}"}}'.encode()
        assert srv.accepted == 1
        answers = await asyncio.gather(*(client.fetch(post(f"{base}/echo", str(i))) for i in range(8)))
        assert [a.body for a in answers] == [f'{{"echo": "{i}"}}'.encode() for i in range(8)]
        opened = srv.accepted
        assert 1 < opened <= 8
        await asyncio.gather(*(client.fetch(post(f"{base}/echo", str(i))) for i in range(8)))
        assert srv.accepted == opened  # the second round used the connections of the first
    serve(body)


def test_a_connection_the_provider_closed_while_idle_is_not_used_again() -> None:
    async def body(srv: Counting, base: str, client: KeepAliveClient) -> None:
        await client.fetch(post(f"{base}/echo"))
        await until(lambda: srv.open == 0)  # the server's idle timeout closed it
        r = await client.fetch(post(f"{base}/echo", "again"))  # not idempotent: no second try needed
        assert r.body == b'{"echo": "again"}' and srv.accepted == 2
    serve(body, idle_connection_timeout=0.2)


def test_an_answer_that_closes_its_connection_is_not_kept() -> None:
    async def body(srv: Counting, base: str, client: KeepAliveClient) -> None:
        await client.fetch(post(f"{base}/echo?close=1"))
        await client.fetch(post(f"{base}/echo"))
        assert srv.accepted == 2
    serve(body)


def test_a_kept_connection_dropped_in_use_is_tried_again_only_for_an_idempotent_call() -> None:
    async def body(srv: Counting, base: str, client: KeepAliveClient) -> None:
        await client.fetch(post(f"{base}/nth", "first"))
        r = await client.fetch(post(f"{base}/nth", "second"), idempotent=True)
        assert r.body == b'{"echo": "second"}' and srv.accepted == 2
        with pytest.raises(HTTPClientError) as caught:
            await client.fetch(post(f"{base}/nth", "third"))
        assert caught.value.code == 599
        r = await client.fetch(post(f"{base}/nth", "fourth"))  # the dropped connection was not kept
        assert r.body == b'{"echo": "fourth"}' and srv.accepted == 3
    serve(body)


def test_a_status_outside_2xx_raises_with_its_code_and_the_connection_stays_usable() -> None:
    async def body(srv: Counting, base: str, client: KeepAliveClient) -> None:
        with pytest.raises(HTTPClientError) as caught:
            await client.fetch(post(f"{base}/echo?status=429", "busy"))
        assert caught.value.code == 429 and caught.value.response is not None
        assert caught.value.response.body == b'{"echo": "busy"}'
        await client.fetch(post(f"{base}/echo"))
        assert srv.accepted == 1
    serve(body)


def test_a_call_that_times_out_is_599_and_its_connection_is_dropped() -> None:
    async def body(srv: Counting, base: str, client: KeepAliveClient) -> None:
        started = asyncio.get_running_loop().time()
        with pytest.raises(HTTPClientError) as caught:
            await client.fetch(post(f"{base}/silent", timeout=0.3))
        assert caught.value.code == 599 and asyncio.get_running_loop().time() - started < 2
        await until(lambda: srv.open == 0)
        r = await client.fetch(post(f"{base}/echo", "after"))
        assert r.body == b'{"echo": "after"}' and srv.accepted == 2
    serve(body)


def test_kept_connections_numbered_past_1024_are_reused() -> None:
    """A busy process (a peak's hundreds of client connections) numbers new sockets past 1024,
    where ``select`` cannot look; a kept connection there is still checked and reused."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if max(soft, hard) < 1200:
        pytest.skip("this machine allows too few open files to number one past 1024")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    fillers = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        async def body(srv: Counting, base: str, client: KeepAliveClient) -> None:
            for i in range(3):
                r = await client.fetch(post(f"{base}/echo", f"call {i}"))
                assert r.body == f'{{"echo": "call {i}"}}'.encode()
            assert srv.accepted == 1 and srv.streams[0].socket.fileno() > 1024
        serve(body)
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
