"""The e-licence library (电子证照库): licences other authorities issued (身份证, 户口簿, 结婚证 …),
an outside party behind one small interface.

``LicenceLibrary.licences_of(id_number, purpose=..., requester=...)`` answers the licences the
library holds for that person. The HTTP adapter speaks a signed JSON protocol (HMAC-SHA256 over
method, path, timestamp, nonce and body, both ways), and states why it asks (``purpose``) and for
whom (``requester``), as the library requires of every query; the sandbox stand-in speaks the same.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from backend.core import errors
from backend.core.providers import SignedJsonProvider


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


class HttpLicenceLibrary(SignedJsonProvider):
    name = "licence_library"
    PATH = "/v1/licences/query"
    BUSY = "电子证照库繁忙，请稍后再试"

    async def licences_of(self, id_number: str, *, purpose: str, requester: str) -> list[LibraryLicence]:
        data = await self.post("query", {"id_number": id_number, "purpose": purpose, "requester": requester})
        try:
            out = [LibraryLicence(
                ref=str(i["id"]), type=str(i["type"]), name=str(i["name"]), number=str(i["number"]),
                holder_id_number=str(i["holder_id_number"]), issuer=str(i["issuer"]),
                issued_at=dt.datetime.fromisoformat(i["issued_at"]),
                expires_at=dt.datetime.fromisoformat(i["expires_at"]) if i.get("expires_at") else None,
                status="revoked" if i.get("status") == "revoked" else "valid") for i in data["licences"]]
        except (ValueError, KeyError, TypeError):
            raise errors.ProviderError(details={"provider": self.name, "reason": "bad_answer"}) from None
        if any(x.holder_id_number != id_number for x in out):  # the library answered about someone else
            raise errors.ProviderError(details={"provider": self.name, "reason": "wrong_holder"})
        return out

