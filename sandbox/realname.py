"""The identity-verification stand-in (实名核验, 二要素: name + ID number).

It speaks the signed protocol of ``backend.identity.providers.HttpRealnameVerifier``: requests
signed with HMAC-SHA256 over method, path, timestamp, nonce and body, checked here (bad
signature 401, stale timestamp 401, replayed nonce 409); answers signed the same way.

Its population: people registered through ``POST /sandbox/realname/people`` are matched by
name; any other valid number is taken as consistent (an open sandbox population).
"""
from __future__ import annotations

import hashlib
from typing import Any

from backend.core.api import ApiHandler, Response, operation, route
from backend.core.clock import Clock
from backend.core.domain import Route
from backend.core.schema import obj, string
from backend.identity.providers import HttpRealnameVerifier
from sandbox.signed import SignedJsonHandler, SignedJsonStandin
from sandbox.state import StandinStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS people (id_hash TEXT PRIMARY KEY, name TEXT);
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, at REAL);
CREATE TABLE IF NOT EXISTS checks (id INTEGER PRIMARY KEY AUTOINCREMENT, id_hash TEXT, result TEXT, at REAL);
"""
PATH = "/sandbox/realname" + HttpRealnameVerifier.PATH


def _hash(id_number: str) -> str:
    return hashlib.sha256(id_number.strip().upper().encode()).hexdigest()


class RealnameStandin(SignedJsonStandin):
    path = PATH

    def __init__(self, path: str, app_id: str, app_secret: str, *, clock: Clock):
        super().__init__(StandinStore(path, SCHEMA), app_id, app_secret, clock)

    def register(self, name: str, id_number: str) -> None:
        self.store.execute("INSERT INTO people VALUES (?, ?) ON CONFLICT (id_hash) DO UPDATE SET name = excluded.name",
                           (_hash(id_number), name.strip()))

    def answer(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            name, id_number = str(req["name"]), str(req["id_number"])
        except (KeyError, TypeError):
            return 400, {"code": "bad_request", "message": "name and id_number are required"}
        h = _hash(id_number)
        row = self.store.one("SELECT name FROM people WHERE id_hash = ?", (h,))
        result = "consistent" if row is None or row["name"] == name.strip() else "inconsistent"
        self.store.execute("INSERT INTO checks (id_hash, result, at) VALUES (?, ?, ?)", (h, result, self._now()))
        return 200, {"result": result, "request_id": req.get("request_id")}


class VerifyHandler(SignedJsonHandler):
    @operation("（替身）实名核验", tags=("沙箱：实名核验替身",),
               responses={200: Response(schema={"type": "object"}, description="签名的核验结果")})
    def post(self) -> None:
        super().post()


class PeopleHook(ApiHandler):
    def initialize(self, standin: RealnameStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin

    @operation("沙箱：在实名核验替身中登记一个人（用于核验不一致的场景）", tags=("沙箱",),
               body=obj({"name": string(minLength=1, maxLength=30), "id_number": string(minLength=18, maxLength=18)},
                        ["name", "id_number"]),
               responses={201: obj({"ok": {"type": "boolean"}}, ["ok"])}, errors=(400,))
    async def post(self) -> None:
        self.standin.register(self.body["name"], self.body["id_number"])
        self.reply({"ok": True}, 201)


def protocol_handlers(standin: RealnameStandin) -> list[Route]:
    return [route(PATH, VerifyHandler, standin=standin)]


def hook_handlers(standin: RealnameStandin) -> list[Route]:
    return [route("/sandbox/realname/people", PeopleHook, standin=standin)]
