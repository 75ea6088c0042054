"""The server side of the signed-JSON protocol (``backend.core.providers.SignedJsonProvider``),
shared by the stand-ins that speak it (identity verification, the e-licence library): requests
signed with HMAC-SHA256 over method, path, timestamp, nonce and body are checked (unknown app 401,
stale timestamp 401, bad signature 401, replayed nonce 409); answers are signed the same way.

A stand-in keeps a ``nonces (nonce PRIMARY KEY, at)`` table in its store and implements
``answer(req) -> (status, payload)`` for a verified request's JSON. Timestamps and nonce windows
are on the wall clock (the caller signs with its real time); what a stand-in records it stamps
with ``self.clock``, the server's clock.
"""
from __future__ import annotations

import hmac
import json
import secrets
import sqlite3
from typing import Any

from backend.core.api import BaseHandler, Response, operation
from backend.core.clock import Clock, wall_now
from backend.core.providers import SignedJsonProvider
from backend.core.signing import request_signature
from sandbox.state import StandinStore

MAX_SKEW = SignedJsonProvider.MAX_SKEW
NONCE_SWEEP_SECONDS = 30  # how often the nonces past the window are deleted (each delete reads them all)


class SignedJsonStandin:
    path = "/"  # the protocol endpoint's path on this server (part of every signature)

    def __init__(self, store: StandinStore, app_id: str, app_secret: str, clock: Clock):
        self.store = store
        self.app_id = app_id
        self.secret = app_secret
        self.clock = clock
        self._swept_at = 0.0

    def _now(self) -> float:
        """The server's time as a timestamp, for what the stand-in records."""
        return self.clock.now().timestamp()

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        ts, nonce, sig = headers.get("X-Timestamp", ""), headers.get("X-Nonce", ""), headers.get("X-Signature", "")
        if headers.get("X-App-Id") != self.app_id:
            return 401, {"code": "invalid_app", "message": "unknown app id"}
        wall = wall_now().timestamp()
        if not (ts.isdigit() and abs(int(ts) - wall) <= MAX_SKEW):
            return 401, {"code": "stale_request", "message": "timestamp outside the allowed window"}
        if not hmac.compare_digest(request_signature(self.secret, "POST", self.path, ts, nonce, body), sig):
            return 401, {"code": "bad_signature", "message": "signature does not verify"}
        try:
            self.store.execute("INSERT INTO nonces VALUES (?, ?)", (nonce, wall))
        except sqlite3.IntegrityError:  # the nonce was seen: a replay
            return 409, {"code": "replayed", "message": "nonce already used"}
        if wall - self._swept_at >= NONCE_SWEEP_SECONDS:  # a nonce older than the window can never come back
            self.store.execute("DELETE FROM nonces WHERE at < ?", (wall - 2 * MAX_SKEW,))
            self._swept_at = wall
        try:
            req = json.loads(body)
        except ValueError:
            return 400, {"code": "bad_request", "message": "the body is not JSON"}
        return self.answer(req if isinstance(req, dict) else {})

    def answer(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # pragma: no cover - each stand-in's own
        raise NotImplementedError

    def sign(self, body: bytes) -> dict[str, str]:
        ts, nonce = str(int(wall_now().timestamp())), secrets.token_hex(16)  # checked by the caller's real time
        return {"X-Timestamp": ts, "X-Nonce": nonce,
                "X-Signature": request_signature(self.secret, "RESPONSE", self.path, ts, nonce, body)}


class SignedJsonHandler(BaseHandler):
    """The protocol endpoint: the stand-in's answer, signed."""

    def initialize(self, standin: SignedJsonStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin

    @operation("（替身）签名协议接口", tags=("沙箱",),
               responses={200: Response(schema={"type": "object"}, description="签名的应答")})
    def post(self) -> None:
        status, payload = self.standin.handle(dict(self.request.headers), self.request.body)
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        for k, v in self.standin.sign(body).items():
            self.set_header(k, v)
        self.finish(body)
