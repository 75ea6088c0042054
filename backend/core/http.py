"""The HTTP edge every handler shares: who the client is, which origins may call, how a bearer
token becomes a principal, and the limits on a request body.

Built once by ``make_app`` and handed to every handler through the application settings
(``settings["edge"]``); domains register how their tokens are checked (``Authenticator``). It
counts the requests in flight (``foreground``), which the process's background jobs give way to.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import tornado.httputil
import tornado.web

from backend.core import errors
from backend.core.foreground import Foreground

TokenCheck = Callable[[str], Awaitable[Any]]


class KeptJson:
    """The JSON text of values a ``Recent`` cache keeps (the reference lists of every home page),
    encoded once per kept value instead of once per request. A kept value is known by its
    identity, and its entry holds it so that the identity cannot pass to another object; kept
    values are never changed in place (every request shares them already). A new value, after a
    write or when the old one expires, is a new entry."""

    def __init__(self, limit: int = 64):
        self._limit = limit
        self._texts: dict[int, tuple[object, str]] = {}

    def text(self, kept: object, encode: Callable[[], str]) -> str:
        found = self._texts.get(id(kept))
        if found is not None and found[0] is kept:
            return found[1]
        text = encode()
        if len(self._texts) >= self._limit:
            self._texts.clear()
        self._texts[id(kept)] = (kept, text)
        return text


class Authenticator:
    """Turns ``Authorization: Bearer …`` into a principal for one audience ("resident", "staff")."""

    def __init__(self) -> None:
        self._checks: dict[str, TokenCheck] = {}

    def register(self, audience: str, check: TokenCheck) -> None:
        if audience in self._checks:
            raise ValueError(f"audience {audience!r} registered twice")
        self._checks[audience] = check

    async def authenticate(self, header: str | None, audience: str) -> Any:
        if not header or not header.startswith("Bearer ") or len(header) > 4096:
            raise errors.Unauthenticated(details={"reason": "missing_token"})
        check = self._checks.get(audience)
        if check is None:  # pragma: no cover - a route declared an audience nobody serves
            raise errors.Unauthenticated()
        return await check(header[7:].strip())


@dataclass
class Edge:
    authenticator: Authenticator
    trusted_proxies: list[str] = field(default_factory=list)
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1 << 20
    validate_responses: bool = False
    # The requests in flight, which this process's background jobs give way to.
    foreground: Foreground = field(default_factory=lambda: Foreground(busy_at=0, max_wait=0.0))
    kept_json: KeptJson = field(default_factory=KeptJson)

    def __post_init__(self) -> None:
        self._proxies = [ipaddress.ip_network(c, strict=False) for c in self.trusted_proxies]

    def client_ip(self, request: tornado.httputil.HTTPServerRequest) -> str:
        """The client's address; X-Forwarded-For counts only through a trusted proxy."""
        peer = request.remote_ip or ""
        if not self._proxies:
            return peer
        chain = [peer] + [p.strip() for p in reversed(request.headers.get("X-Forwarded-For", "").split(","))
                          if p.strip()]
        for addr in chain:
            try:
                ip = ipaddress.ip_address(addr)
            except ValueError:
                return addr
            if not any(ip in net for net in self._proxies):
                return addr
        return chain[-1]

    def cors(self, handler: tornado.web.RequestHandler, preflight: bool = False) -> None:
        origin = handler.request.headers.get("Origin")
        if origin and origin in self.cors_origins:
            handler.set_header("Access-Control-Allow-Origin", origin)
            handler.set_header("Vary", "Origin")
            if preflight:
                handler.set_header("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
                handler.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
                handler.set_header("Access-Control-Max-Age", "600")
