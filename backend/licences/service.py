"""E-licences (电子证照): issued here when a case of a licence-issuing service is completed, or
copied from the e-licence library for their holder; signed, rendered as PDF, verified publicly,
and presented instead of paper when a resident applies.

- Signing: Ed25519 over the canonical content (``backend.core.signing``), as e-receipts are; the
  check code (校验码) comes from the signature. Revocation and expiry are status, outside what is
  signed: verification answers ``revoked`` or ``expired`` for such a licence, and ``valid: false``
  with ``invalid`` when the stored content no longer matches its signature.
- Issuing happens inside the transaction that completes the case (``issue_for_case``), one per
  case by a unique index, with a gap-free number per type and year.
- The library is asked only for a real-name-verified resident, only by that resident's own ID
  number (from identity, never from the request), and every query is recorded: for whom, when, why.
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pymongo.errors import DuplicateKeyError

from backend.audit.service import AuditLog, staff_actor
from backend.config import LicencesConfig
from backend.core import errors
from backend.core.access import Resident, Staff, access_realname
from backend.core.clock import TZ, Clock
from backend.core.ids import cursor_id
from backend.core.ids import object_id as oid
from backend.core.pdf import qr_png
from backend.core.ratelimit import Limit, RateLimiter
from backend.core.signing import SigningKeyRing, canonical, check_code_for
from backend.identity.verified import VerifiedIdentities
from backend.licences.access import access_licence
from backend.licences.library import LibraryLicence, LicenceLibrary
from backend.licences.pdf import render_pdf
from backend.licences.store import LicenceStore
from backend.licences.types import TYPES, type_name

log = logging.getLogger("zjb.licences")

PURPOSES = {"wallet": "查看本人电子证照", "application": "申办事项时使用电子证照"}


def status_of(doc: dict[str, Any], now: dt.datetime) -> str:
    if doc["status"] == "revoked":
        return "revoked"
    if doc.get("expires_at") and now >= doc["expires_at"]:
        return "expired"
    return "valid"


def expiry(issued: dt.datetime, validity_days: int) -> dt.datetime:
    """The end of a licence's validity: valid on its issue day (Beijing time) and the
    ``validity_days - 1`` days after, to the last moment of the last one, so its date is the date
    printed after 有效期至 whatever the hour of issue. Issued at 23:59 on 31 Dec 2026 or at 00:00 on
    1 Jan 2027 for 365 days, it is valid through 30 Dec 2027 or 31 Dec 2027."""
    last = issued.astimezone(TZ).date() + dt.timedelta(days=validity_days - 1)
    return dt.datetime.combine(last, dt.time(23, 59, 59, 999000), TZ)


def _day(value: dt.datetime | None) -> str:
    return value.astimezone(TZ).isoformat(timespec="seconds") if value else ""


@dataclass(frozen=True)
class LicenceRef:
    """What cases record of a licence presented for a material."""
    id: str
    type: str
    name: str
    number: str
    holder_masked: str
    issuer: str
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    status: str


class LicenceService:
    def __init__(self, *, store: LicenceStore, signer: SigningKeyRing, identities: VerifiedIdentities,
                 library: LicenceLibrary, catalogue: Any, limiter: RateLimiter, audit: AuditLog, clock: Clock,
                 config: LicencesConfig, public_url: str, outbox: Any = None):
        self.store = store
        self.outbox = outbox  # tells the holder when a licence is issued or revoked
        self.signer = signer
        self.identities = identities
        self.library = library
        self.catalogue = catalogue
        self.limiter = limiter
        self.audit = audit
        self.clock = clock
        self.cfg = config
        self.public_url = public_url
        self._verify_ip = Limit("licence-verify-ip", config.verify_per_ip_per_minute, 60, "查验过于频繁，请稍后再试")
        self._fetch_user = Limit("licence-fetch-user", config.fetch_per_user_per_hour, 3600,
                                 "调取电子证照过于频繁，请稍后再试")

    # Shapes ------------------------------------------------------------------------------------
    def verify_url(self, doc: dict[str, Any]) -> str:
        return f"{self.public_url}/api/v1/licences/verify?" + urlencode({"number": doc["number"],
                                                                          "check": doc["check_code"]})

    def view(self, d: dict[str, Any]) -> dict[str, Any]:
        c = d["content"]
        return {"id": str(d["_id"]), "type": d["type"], "type_name": type_name(d["type"]), "name": c["name"],
                "number": d["number"], "holder_masked": c["holder"], "issuer": c["issuer"],
                "issued_at": d["issued_at"], "expires_at": d.get("expires_at"),
                "status": status_of(d, self.clock.now()), "check_code": d["check_code"], "source": d["source"],
                "application_id": d.get("application_id"), "verify_url": self.verify_url(d)}

    def detail(self, d: dict[str, Any]) -> dict[str, Any]:
        """The view with the verification QR code, for showing on the phone."""
        out = self.view(d)
        out["qr_png_base64"] = base64.b64encode(qr_png(out["verify_url"])).decode()
        return out

    def _signed(self, content: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        """The signed fields of a licence document; ``signed_at`` dates the signature for the key's
        validity (a library copy's ``issued_at`` is the issuing authority's date, not ours)."""
        signature = self.signer.sign(content)
        return {"content": content, "signature": signature, "check_code": check_code_for(signature),
                "key_id": self.signer.key_id, "signed_at": now}

    def genuine(self, doc: dict[str, Any]) -> bool:
        """The stored content is what the key named by the licence signed, while that key vouched
        for licences (a retired key only before its retirement), and names this licence."""
        c = doc["content"]
        key_id = doc.get("key_id") or c.get("key_id") or ""
        if c.get("key_id", key_id) != key_id or c.get("number") != doc["number"]:
            return False
        return self.signer.verify(c, doc["signature"], key_id=key_id,
                                  signed_at=doc.get("signed_at") or doc.get("created_at"))

    # The resident's wallet ---------------------------------------------------------------------
    async def list_own(self, resident: Resident, *, cursor: str | None, limit: int) -> dict[str, Any]:
        before = cursor_id(cursor)
        docs = await self.store.held_by(resident.id, before=before, limit=limit + 1)
        more = len(docs) > limit
        docs = docs[:limit]
        return {"items": [self.view(d) for d in docs], "next_cursor": str(docs[-1]["_id"]) if more else None}

    async def get_own(self, resident: Resident, licence_id: str) -> dict[str, Any]:
        return await access_licence(self.store, resident, licence_id, "view")

    def pdf(self, doc: dict[str, Any]) -> bytes:
        return render_pdf(doc, status=status_of(doc, self.clock.now()), verify_link=self.verify_url(doc))

    # The e-licence library ---------------------------------------------------------------------
    async def refresh(self, resident: Resident, *, purpose: str, service_id: str | None,
                      request_id: str) -> dict[str, Any]:
        """Ask the library for the resident's licences and keep signed copies; recorded each time."""
        access_realname(resident)
        await self.limiter.hit(self._fetch_user, resident.id)
        service_name = None
        if service_id:
            try:
                service_name = (await self.catalogue.get_service(service_id))["name"]
            except errors.NotFound:
                raise errors.InvalidInput({"service_id": "事项不存在或已停办"}) from None
        ident = await self.identities.of(resident.id)
        if ident is None:
            raise errors.RealnameRequired("请先完成实名认证")
        now = self.clock.now()
        entry = {"user_id": resident.id, "at": now, "purpose": purpose, "purpose_text": PURPOSES[purpose],
                 "service_id": service_id, "service_name": service_name, "request_id": request_id}
        reason = PURPOSES[purpose] + (f"：{service_name}" if service_name else "")
        try:
            found = await self.library.licences_of(ident.id_number, purpose=reason, requester=resident.id)
        except errors.AppError as e:
            await self.store.record_fetch({**entry, "outcome": e.code, "count": 0})
            raise
        known = await self.store.library_copies(resident.id)
        for item in found:
            await self._keep_copy(resident.id, ident.name_masked, ident.id_number_masked, item, known.get(item.ref),
                                  now)
        await self.store.record_fetch({**entry, "outcome": "ok", "count": len(found)})
        log.info("licences fetched from the library", extra={"user_id": resident.id, "purpose": purpose,
                                                             "count": len(found)})
        return await self.list_own(resident, cursor=None, limit=100)

    async def _keep_copy(self, holder_id: str, name_masked: str, id_masked: str, item: LibraryLicence,
                         existing: dict[str, Any] | None, now: dt.datetime) -> None:
        content = {"number": item.number, "type": item.type, "type_name": type_name(item.type), "name": item.name,
                   "holder": name_masked, "holder_id": id_masked, "issuer": item.issuer,
                   "issued_at": _day(item.issued_at), "expires_at": _day(item.expires_at), "source": "library",
                   "application_serial": "", "key_id": self.signer.key_id}
        if existing is None:
            try:
                await self.store.insert({"holder_id": holder_id, "type": item.type, "number": item.number,
                                         "status": item.status, "source": "library", "library_ref": item.ref,
                                         "issued_at": item.issued_at, "expires_at": item.expires_at,
                                         "created_at": now, **self._signed(content, now)})
            except DuplicateKeyError:  # two fetches raced; the other kept it
                pass
            return
        fields: dict[str, Any] = {}
        # A rotation of our signing key alone does not re-sign a copy (its check code would change).
        if {**existing["content"], "key_id": ""} != {**content, "key_id": ""}:
            fields.update(issued_at=item.issued_at, expires_at=item.expires_at, **self._signed(content, now))
        if existing["status"] != item.status:
            fields.update(status=item.status, **({"revoked_at": now, "revoke_reason": "电子证照库已注销"}
                                                 if item.status == "revoked" else {}))
        if fields:
            await self.store.refresh_copy(existing["_id"], existing["signature"], fields)

    async def fetches(self, resident: Resident) -> dict[str, Any]:
        rows = await self.store.fetches_of(resident.id)
        return {"items": [{"at": r["at"], "purpose": r["purpose"], "purpose_text": r["purpose_text"],
                           "service_name": r.get("service_name"), "count": r.get("count", 0),
                           "outcome": r["outcome"]} for r in rows], "next_cursor": None}

    # Public verification -----------------------------------------------------------------------
    async def verify(self, number: str, check: str, ip: str) -> dict[str, Any]:
        await self.limiter.hit(self._verify_ip, ip)
        doc = await self.store.by_number(number.strip())
        if doc is None or doc["check_code"] != check.strip().upper():
            raise errors.NotFound("未找到该电子证照，请核对证照编号和校验码")
        if not self.genuine(doc):
            log.warning("licence failed its signature check", extra={"licence_id": str(doc["_id"])})
            return {"valid": False, "status": "invalid", "number": doc["number"]}
        c = doc["content"]
        status = status_of(doc, self.clock.now())
        return {"valid": status == "valid", "status": status, "number": doc["number"], "type": doc["type"],
                "name": c["name"], "holder_masked": c["holder"], "issuer": c["issuer"],
                "issued_at": doc["issued_at"], "expires_at": doc.get("expires_at"), "source": doc["source"],
                # What anyone can check with the key from GET /signing-keys.
                "key_id": doc.get("key_id") or c["key_id"], "signature_b64": doc["signature"],
                "signed": canonical(c).decode("utf-8")}

    def public_key(self) -> dict[str, Any]:
        return {"algorithm": "Ed25519", "key_id": self.signer.key_id, "public_key_pem": self.signer.public_pem,
                "canonical_form": "JSON of the licence content, keys sorted, separators (',', ':'), UTF-8",
                "keys": self.signer.items()}

    # Staff -------------------------------------------------------------------------------------
    async def get_for_staff(self, staff: Staff, licence_id: str, ip: str) -> dict[str, Any]:
        """A licence presented for a case, for staff handling cases; otherwise 404. Audited."""
        doc = await access_licence(self.store, staff, licence_id, "inspect")
        await self.audit.record(actor=staff_actor(staff), action="licence.view", target_type="licence",
                                target_id=licence_id, details={"application_ids": list(doc["used_in"])}, ip=ip)
        return doc

    async def revoke(self, staff: Staff, licence_id: str, reason: str, ip: str) -> dict[str, Any]:
        """Revoke (注销) a licence issued here; the library's are revoked by their own authority."""
        doc = await access_licence(self.store, staff, licence_id, "revoke")
        if doc["source"] != "issued":
            raise errors.NotFound()
        revoked = await self.store.revoke(doc["_id"], self.clock.now(), reason, staff.id)
        # The holder is told once (the dedupe key); told on a repeat too, should a process have died
        # between the revocation and its message.
        await self._tell("licence.revoked", doc, reason=(doc.get("revoke_reason") if not revoked else None) or reason)
        if not revoked:
            raise errors.InvalidState("该电子证照已撤销")
        await self.audit.record(actor=staff_actor(staff), action="licence.revoke", target_type="licence",
                                target_id=licence_id, details={"reason": reason, "number": doc["number"]}, ip=ip)
        return self.view(await self.store.get(licence_id) or doc)

    # Issuing, for cases ------------------------------------------------------------------------
    async def issue_for_case(self, case: dict[str, Any], session: Any) -> dict[str, Any] | None:
        """The licence a completed case's service issues, within the case's own transaction; None
        when its guide issues none. Idempotent: one licence per case."""
        service = await self.catalogue.get_service(case["service_id"], include_inactive=True)
        spec = (service.get("guide") or {}).get("issues_licence")
        if not spec:
            return None
        case_id = str(case["_id"])
        existing = await self.store.by_case(case_id, session=session)
        if existing is not None:
            return existing
        ident = await self.identities.of(case["applicant_id"])
        now = self.clock.now()
        year = now.astimezone(TZ).year
        kind = TYPES.get(spec["type"])
        seq = await self.store.next_number(f"{spec['type']}:{year}", session)
        number = f"{kind.prefix if kind else 'ZJB'}{year}{seq:06d}"
        expires = expiry(now, spec["validity_days"]) if spec.get("validity_days") else None
        issuer = case.get("department_name") or self.cfg.issuer_name
        content = {"number": number, "type": spec["type"], "type_name": type_name(spec["type"]), "name": spec["name"],
                   "holder": ident.name_masked if ident else "—", "holder_id": ident.id_number_masked if ident else "—",
                   "issuer": issuer, "issued_at": _day(now), "expires_at": _day(expires), "source": "issued",
                   "application_serial": case.get("serial", ""), "key_id": self.signer.key_id}
        doc = await self.store.insert({
            "holder_id": case["applicant_id"], "type": spec["type"], "number": number, "status": "valid",
            "source": "issued", "application_id": case_id, "service_id": case["service_id"], "issued_at": now,
            "expires_at": expires, "created_at": now, **self._signed(content, now)}, session=session)
        await self._tell("licence.issued", doc, session=session, serial=case.get("serial") or "",
                         service_name=case.get("service_name") or "",
                         expires_at=expires.isoformat() if expires else None)
        log.info("licence issued", extra={"licence_id": str(doc["_id"]), "application_id": case_id})
        return doc

    async def _tell(self, kind: str, doc: dict[str, Any], *, session: Any = None, **extra: Any) -> None:
        """Tell the licence's holder (``licence.issued`` or ``licence.revoked``), once."""
        if self.outbox is None:
            return
        content = doc.get("content") or {}
        await self.outbox.emit(kind, user_id=doc["holder_id"], session=session,
                               dedupe_key=f"licence:{doc['_id']}:{kind.split('.')[1]}",
                               payload={"licence_id": str(doc["_id"]), "name": content.get("name") or "电子证照",
                                        "number": doc.get("number") or content.get("number") or "", **extra})


class LicenceWallet:
    """Provided to cases as ``licence_wallet``: the licences an applicant holds, recording their
    use for a case, and issuing on completion."""

    def __init__(self, service: LicenceService):
        self._s = service

    async def held(self, holder_id: str, licence_ids: list[str]) -> dict[str, LicenceRef]:
        now = self._s.clock.now()
        return {str(d["_id"]): LicenceRef(id=str(d["_id"]), type=d["type"], name=d["content"]["name"],
                                          number=d["number"], holder_masked=d["content"]["holder"],
                                          issuer=d["content"]["issuer"], issued_at=d["issued_at"],
                                          expires_at=d.get("expires_at"), status=status_of(d, now))
                for d in await self._s.store.many(licence_ids) if d["holder_id"] == holder_id}

    async def valid_of(self, holder_id: str, limit: int = 100) -> list[LicenceRef]:
        """The holder's valid licences (for an agent choosing one of the grantor's)."""
        now = self._s.clock.now()
        out = []
        for d in await self._s.store.held_by(holder_id, before=None, limit=limit):
            if status_of(d, now) == "valid":
                out.append(LicenceRef(id=str(d["_id"]), type=d["type"], name=d["content"]["name"],
                                      number=d["number"], holder_masked=d["content"]["holder"],
                                      issuer=d["content"]["issuer"], issued_at=d["issued_at"],
                                      expires_at=d.get("expires_at"), status="valid"))
        return out

    async def note_use(self, holder_id: str, licence_ids: list[str], application_id: str, session: Any = None) -> None:
        ids = sorted({o for o in (oid(i) for i in licence_ids) if o is not None})
        if ids:
            await self._s.store.note_use(ids, holder_id, application_id, session=session)

    async def issue_for_case(self, case: dict[str, Any], session: Any) -> None:
        await self._s.issue_for_case(case, session)


__all__ = ["LicenceService", "LicenceWallet", "LicenceRef", "status_of", "PURPOSES"]
