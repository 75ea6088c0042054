"""The e-licence library stand-in (电子证照库): licences other authorities issued, by holder.

It speaks the signed protocol of ``backend.licences.library.HttpLicenceLibrary``: requests signed
with HMAC-SHA256 over method, path, timestamp, nonce and body, checked here (unknown app 401, bad
signature 401, stale timestamp 401, replayed nonce 409, no stated purpose 400); answers signed the
same way. Every query is logged with its purpose and requester, as the real library does.

Its population: licences given to a person with the sandbox hook ``POST /sandbox/licences``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import uuid
from pathlib import Path
from typing import Any, TypedDict

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from backend.core.api import ApiHandler, Response, operation, route
from backend.core.clock import TZ, Clock
from backend.core.domain import Route
from backend.core.schema import DATETIME, array, integer, nullable, obj, string
from backend.licences.library import HttpLicenceLibrary
from backend.licences.types import CODES, TYPES
from sandbox.signed import SignedJsonHandler, SignedJsonStandin
from sandbox.state import StandinStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS licences (id TEXT PRIMARY KEY, id_hash TEXT, id_number TEXT, type TEXT, name TEXT,
  number TEXT UNIQUE, issuer TEXT, issued_at TEXT, expires_at TEXT, status TEXT);
CREATE INDEX IF NOT EXISTS licences_by_holder ON licences (id_hash);
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, at REAL);
CREATE TABLE IF NOT EXISTS queries (id INTEGER PRIMARY KEY AUTOINCREMENT, id_hash TEXT, purpose TEXT,
  requester TEXT, at REAL);
"""
PATH = "/sandbox/licence-library" + HttpLicenceLibrary.PATH


class LibraryLicence(TypedDict):
    """A licence the library holds for someone, as the give hook answers it."""
    id: str
    type: str
    name: str
    number: str
    issuer: str
    issued_at: str
    expires_at: str | None
    status: str


class LicenceQuery(TypedDict):
    """One query the library answered about a person: why, and for whom."""
    purpose: str
    requester: str
    at: str


def _hash(id_number: str) -> str:
    return hashlib.sha256(id_number.strip().upper().encode()).hexdigest()


def sandbox_signing_key(data_dir: str | os.PathLike[str]) -> str:
    """Our e-licence signing key in sandbox mode: generated at first start, kept in the data folder."""
    path = Path(data_dir) / "sandbox" / "keys" / "licences_ed25519.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pem)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # never replaces a key another process wrote first
        except FileExistsError:
            pass
        tmp.unlink()
    return path.read_text()


class LicenceLibraryStandin(SignedJsonStandin):
    path = PATH

    def __init__(self, path: str, app_id: str, app_secret: str, *, clock: Clock):
        super().__init__(StandinStore(path, SCHEMA), app_id, app_secret, clock)

    def give(self, id_number: str, type_: str, *, name: str | None = None, issued_at: dt.datetime | None = None,
             expires_at: dt.datetime | None = None, status: str = "valid") -> LibraryLicence:
        kind = TYPES[type_]
        lic: LibraryLicence = {"id": uuid.uuid4().hex, "type": type_, "name": name or kind.name,
               "number": f"DZ{kind.prefix}{secrets.randbelow(10 ** 12):012d}", "issuer": kind.issuer,
               "issued_at": (issued_at or self.clock.now().astimezone(TZ) - dt.timedelta(days=365))
               .isoformat(timespec="seconds"),
               "expires_at": expires_at.isoformat(timespec="seconds") if expires_at else None, "status": status}
        self.store.execute("INSERT INTO licences VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (lic["id"], _hash(id_number), id_number.strip().upper(), lic["type"], lic["name"],
                            lic["number"], lic["issuer"], lic["issued_at"], lic["expires_at"], lic["status"]))
        return lic

    def queries(self, id_number: str) -> list[LicenceQuery]:
        return [{"purpose": r["purpose"], "requester": r["requester"],
                 "at": dt.datetime.fromtimestamp(r["at"], TZ).isoformat(timespec="seconds")}
                for r in self.store.all("SELECT purpose, requester, at FROM queries WHERE id_hash = ? ORDER BY id",
                                        (_hash(id_number),))]

    def answer(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            id_number, purpose, requester = str(req["id_number"]), str(req["purpose"]), str(req["requester"])
        except (KeyError, TypeError):
            return 400, {"code": "bad_request", "message": "id_number, purpose and requester are required"}
        if not purpose.strip() or not requester.strip():
            return 400, {"code": "purpose_required", "message": "every query must state its purpose and requester"}
        h = _hash(id_number)
        self.store.execute("INSERT INTO queries (id_hash, purpose, requester, at) VALUES (?, ?, ?, ?)",
                           (h, purpose, requester, self._now()))
        rows = self.store.all("SELECT * FROM licences WHERE id_hash = ? ORDER BY issued_at", (h,))
        return 200, {"request_id": req.get("request_id"), "licences": [
            {"id": r["id"], "type": r["type"], "name": r["name"], "number": r["number"],
             "holder_id_number": r["id_number"], "issuer": r["issuer"], "issued_at": r["issued_at"],
             "expires_at": r["expires_at"], "status": r["status"]} for r in rows]}


class QueryHandler(SignedJsonHandler):
    @operation("（替身）电子证照库：按身份证号查询证照", tags=("沙箱：电子证照库替身",),
               responses={200: Response(schema={"type": "object"}, description="签名的查询结果")})
    def post(self) -> None:
        super().post()


LIBRARY_LICENCE = obj({"id": string(), "type": string(), "name": string(), "number": string(), "issuer": string(),
                       "issued_at": string(), "expires_at": nullable(string()), "status": string()},
                      ["id", "type", "number", "status"])


class GiveHook(ApiHandler):
    def initialize(self, standin: LicenceLibraryStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin

    @operation("沙箱：让电子证照库替身为某人持有一本证照", tags=("沙箱",),
               body=obj({"id_number": string(minLength=18, maxLength=18), "type": string(enum=CODES),
                         "name": string(minLength=1, maxLength=60), "expires_at": DATETIME,
                         "status": string(enum=["valid", "revoked"])}, ["id_number", "type"]),
               responses={201: LIBRARY_LICENCE}, errors=(400,))
    async def post(self) -> None:
        b = self.body
        expires = dt.datetime.fromisoformat(b["expires_at"]) if b.get("expires_at") else None
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=TZ)
        self.reply(self.standin.give(b["id_number"], b["type"], name=b.get("name"), expires_at=expires,
                                     status=b.get("status", "valid")), 201)


class QueriesHook(ApiHandler):
    def initialize(self, standin: LicenceLibraryStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin

    @operation("沙箱：电子证照库替身收到的某人证照查询（用途、调用方）", tags=("沙箱",),
               query=obj({"id_number": string(minLength=18, maxLength=18)}, ["id_number"]),
               responses={200: obj({"items": array(obj({"purpose": string(), "requester": string(), "at": string()})),
                                    "count": integer()}, ["items", "count"])}, errors=(400,))
    async def get(self) -> None:
        items = self.standin.queries(self.query["id_number"])
        self.reply({"items": items, "count": len(items)})


def protocol_handlers(standin: LicenceLibraryStandin) -> list[Route]:
    return [route(PATH, QueryHandler, standin=standin)]


def hook_handlers(standin: LicenceLibraryStandin) -> list[Route]:
    return [route("/sandbox/licences", GiveHook, standin=standin),
            route("/sandbox/licences/queries", QueriesHook, standin=standin)]
