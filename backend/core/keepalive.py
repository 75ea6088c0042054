"""An asynchronous HTTP/1.1 client that keeps its connections open between calls.

Tornado's ``SimpleAsyncHTTPClient`` opens and closes a connection for every request. At a peak
that is most of a small call's cost on both sides: measured on this machine, 0.5 ms of our CPU
and 0.3 ms of the provider's per call, against 0.13 and 0.16 ms over a kept connection. This
client speaks the same protocol with Tornado's own ``HTTP1Connection`` and keeps each
connection that the provider leaves open for the next call to the same host.

A kept connection may have been closed by the provider while it sat idle. It is checked before
use (a closed socket reads as ready) and dropped if it is closed or idle longer than
``idle_seconds``. When a kept connection still fails before any of the answer arrives, the call
is sent once more on a new connection, but only if the caller says the request is idempotent.
"""
from __future__ import annotations

import asyncio
import io
import select
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tornado import httputil
from tornado.http1connection import HTTP1Connection, HTTP1ConnectionParameters
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse
from tornado.iostream import IOStream, StreamClosedError
from tornado.simple_httpclient import HTTPStreamClosedError
from tornado.tcpclient import TCPClient

MAX_ANSWER_BYTES = 10 * 1024 * 1024


class _Answer(httputil.HTTPMessageDelegate):
    """The status line, headers and body of one response."""

    def __init__(self) -> None:
        self.start: httputil.ResponseStartLine | None = None
        self.headers = httputil.HTTPHeaders()
        self.chunks: list[bytes] = []

    def headers_received(self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
                         headers: httputil.HTTPHeaders) -> None:
        assert isinstance(start_line, httputil.ResponseStartLine)
        self.start, self.headers = start_line, headers

    def data_received(self, chunk: bytes) -> None:
        self.chunks.append(chunk)


@dataclass
class _Kept:
    stream: IOStream
    since: float = field(default_factory=time.monotonic)


class KeepAliveClient:
    def __init__(self, *, idle_seconds: float = 30.0) -> None:
        self._idle_seconds = idle_seconds
        self._kept: dict[tuple[str, str, int], list[_Kept]] = {}
        self._tcp = TCPClient()
        self._params = HTTP1ConnectionParameters(no_keep_alive=False, decompress=False,
                                                 max_body_size=MAX_ANSWER_BYTES)
        self._tls: ssl.SSLContext | None = None

    async def fetch(self, request: HTTPRequest, *, idempotent: bool = False) -> HTTPResponse:
        """The answer to ``request`` within its ``request_timeout`` (connecting included). As
        Tornado's own client: a status outside 2xx raises ``HTTPClientError`` with it, a timeout or
        a connection closed before the answer ``HTTPClientError(599)``."""
        timeout = request.request_timeout or 20.0
        try:
            return await asyncio.wait_for(self._exchange(request, idempotent), timeout)
        except asyncio.TimeoutError:
            raise HTTPClientError(599, "Timeout") from None

    def close(self) -> None:
        for kept in self._kept.values():
            for k in kept:
                k.stream.close()
        self._kept.clear()

    async def _exchange(self, request: HTTPRequest, idempotent: bool) -> HTTPResponse:
        url = urlsplit(request.url)
        key = (url.scheme, url.hostname or "", url.port or (443 if url.scheme == "https" else 80))
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        started = time.monotonic()
        stream = self._take(key)
        reused = stream is not None
        try:
            try:
                if stream is None:
                    stream = await self._connect(key)
                answer = await self._send(stream, request, key[1:], target)
            except StreamClosedError:
                if not (reused and idempotent) or stream is None:
                    raise
                stream.close()  # the kept connection had been closed: once more, on a new one
                stream = await self._connect(key)
                answer = await self._send(stream, request, key[1:], target)
        except BaseException as e:
            if stream is not None:
                stream.close()  # cancelled or failed half-way: the connection's state is unknown
            if isinstance(e, StreamClosedError):  # as Tornado's own client says it: 599
                raise HTTPStreamClosedError("Stream closed") from e
            raise
        assert answer.start is not None
        if stream.closed() or answer.headers.get("Connection", "").lower() == "close":
            stream.close()
        else:
            self._kept.setdefault(key, []).append(_Kept(stream))
        response = HTTPResponse(request, answer.start.code, reason=answer.start.reason, headers=answer.headers,
                                buffer=io.BytesIO(b"".join(answer.chunks)), effective_url=request.url,
                                request_time=time.monotonic() - started)
        response.rethrow()
        return response

    async def _send(self, stream: IOStream, request: HTTPRequest, host: tuple[str, int], target: str) -> _Answer:
        body = request.body or b""
        headers = httputil.HTTPHeaders(request.headers)
        headers["Host"] = host[0] if host[1] in (80, 443) else f"{host[0]}:{host[1]}"
        if body or request.method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        conn = HTTP1Connection(stream, True, self._params)
        await conn.write_headers(httputil.RequestStartLine(request.method, target, "HTTP/1.1"), headers, body or None)
        conn.finish()
        answer = _Answer()
        if not await conn.read_response(answer):
            raise StreamClosedError()
        return answer

    def _take(self, key: tuple[str, str, int]) -> IOStream | None:
        """A kept connection to ``key`` that is still open and not idle too long, newest first."""
        kept = self._kept.get(key)
        now = time.monotonic()
        while kept:
            k = kept.pop()
            if now - k.since <= self._idle_seconds and not k.stream.closed() and not _readable(k.stream):
                return k.stream
            k.stream.close()
        return None

    async def _connect(self, key: tuple[str, str, int]) -> IOStream:
        scheme, host, port = key
        if scheme == "https" and self._tls is None:
            self._tls = ssl.create_default_context()
        # With TLS options Tornado verifies the certificate against ``host``.
        return await self._tcp.connect(host, port, ssl_options=self._tls if scheme == "https" else None)


def _readable(stream: IOStream) -> bool:
    """An idle connection has nothing to read: if it reads as ready the other side closed it (or
    sent something unasked), and it cannot carry another request. ``poll``, not ``select``: a busy
    process numbers its sockets past 1024, where ``select`` cannot look."""
    poller = select.poll()
    poller.register(stream.socket, select.POLLIN)
    return bool(poller.poll(0))
