"""The e-licence library (电子证照库): licences other authorities issued (身份证, 户口簿, 结婚证 …),
an outside party behind one small interface.

``LicenceLibrary.licences_of(id_number, purpose=..., requester=...)`` answers the licences the
library holds for that person. The HTTP adapter speaks a signed JSON protocol (HMAC-SHA256 over
method, path, timestamp, nonce and body, both ways), and states why it asks (``purpose``) and for
whom (``requester``), as the library requires of every query; the sandbox stand-in speaks the same.
"""
from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from backend.core import errors
from backend.core.providers import Provider
from backend.core.signing import request_signature


@dataclass(frozen=True)
class LibraryLicence:
    ref: str                    # the library's own id of the licence
    type: str
    name: str
    number: str
    holder_id_number: str
    issuer: str
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    status: str                 # "valid" | "revoked"


class LicenceLibrary(Protocol):
    async def licences_of(self, id_number: str, *, purpose: str, requester: str) -> list[LibraryLicence]: ...


class HttpLicenceLibrary(Provider):
    name = "licence_library"
    PATH = "/v1/licences/query"
    MAX_SKEW = 300

    def __init__(self, gateway: str, app_id: str, app_secret: str, timeout: float):
        self._url = gateway.rstrip("/") + self.PATH
        self._path = "/" + self._url.split("://", 1)[-1].split("/", 1)[-1]
        self._app_id = app_id
        self._secret = app_secret
        self._timeout = timeout

    async def licences_of(self, id_number: str, *, purpose: str, requester: str) -> list[LibraryLicence]:
        body = json.dumps({"id_number": id_number, "purpose": purpose, "requester": requester,
                           "request_id": uuid.uuid4().hex}, ensure_ascii=False).encode()
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        req = HTTPRequest(self._url, method="POST", body=body, request_timeout=self._timeout, headers={
            "Content-Type": "application/json; charset=utf-8", "X-App-Id": self._app_id, "X-Timestamp": ts,
            "X-Nonce": nonce, "X-Signature": request_signature(self._secret, "POST", self._path, ts, nonce, body)})
        try:
            resp = await self.call_async("query", AsyncHTTPClient().fetch(req))
        except errors.ProviderError as e:
            if isinstance(e.__cause__, HTTPClientError) and e.__cause__.code == 429:
                raise errors.RateLimited(60, "电子证照库繁忙，请稍后再试") from None
            raise
        self._check_response(resp.headers, resp.body)
        try:
            items = json.loads(resp.body)["licences"]
            out = [LibraryLicence(
                ref=str(i["id"]), type=str(i["type"]), name=str(i["name"]), number=str(i["number"]),
                holder_id_number=str(i["holder_id_number"]), issuer=str(i["issuer"]),
                issued_at=dt.datetime.fromisoformat(i["issued_at"]),
                expires_at=dt.datetime.fromisoformat(i["expires_at"]) if i.get("expires_at") else None,
                status="revoked" if i.get("status") == "revoked" else "valid") for i in items]
        except (ValueError, KeyError, TypeError):
            raise errors.ProviderError(details={"provider": self.name, "reason": "bad_answer"}) from None
        if any(x.holder_id_number != id_number for x in out):  # the library answered about someone else
            raise errors.ProviderError(details={"provider": self.name, "reason": "wrong_holder"})
        return out

    def _check_response(self, headers: object, body: bytes) -> None:
        get = headers.get  # type: ignore[attr-defined]
        ts, nonce, sig = get("X-Timestamp", ""), get("X-Nonce", ""), get("X-Signature", "")
        if not (ts.isdigit() and abs(int(ts) - time.time()) <= self.MAX_SKEW):
            raise errors.ProviderError(details={"provider": self.name, "reason": "stale_response"})
        if not hmac.compare_digest(request_signature(self._secret, "RESPONSE", self._path, ts, nonce, body), sig):
            raise errors.ProviderError(details={"provider": self.name, "reason": "bad_signature"})
