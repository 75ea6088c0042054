"""E-licences (电子证照): issued here when a case of a licence-issuing service is completed, or
copied from the e-licence library for their holder; signed, rendered as PDF, verified publicly,
and presented instead of paper when a resident applies.

- Signing: Ed25519 over the canonical content (``backend.core.signing``), as e-receipts are, with
  the same key publication (``GET /signing-keys``); verification answers the signed text and the
  signature, so anyone can check a licence offline. Revocation and expiry are status, outside what
  is signed: verification answers ``revoked`` or ``expired`` for such a licence, and ``valid:
  false`` with ``invalid`` when the stored content no longer matches its signature.
- Numbers run in sequence per type and year (as paper licences do); what makes them unguessable is
  the check code (校验码) asked together with the number: 50 bits from ``secrets``, compared in
  constant time, as receipts'. Licences issued before carried a 6-hex code derived from the
  signature; a migration gave each a 50-bit code and keeps the old one, accepted while
  ``licences.accept_legacy_check_codes`` (copies handed out then still print it).
- Issuing happens inside the transaction that completes the case (``issue_for_case``), one per
  case by a unique index, with a gap-free number per type and year.
- The library is asked only for a real-name-verified resident who passed WeChat face verification
  within the last few minutes (``POST /me/face-verifications``; a leaked name and ID number are not
  enough to read someone's 户口簿 or 结婚证), only by that resident's own ID number (from identity,
  never from the request), and every query is recorded: for whom, when, why.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from bson import ObjectId
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
from backend.core.signing import SigningKeyRing, canonical, check_code_matches, new_check_code
from backend.identity.verified import VerifiedIdentities
from backend.licences.access import LICENCE, LicenceAccess
from backend.licences.library import LibraryLicence, LicenceLibrary
from backend.licences.pdf import render_pdf
from backend.licences.ports import FaceProof, LicenceEvents, ServiceNames
from backend.licences.store import LicenceStore
from backend.licences.types import TYPES, type_name
from backend.licences.values import (
    Licence,
    LicenceFetch,
    LicenceSource,
    LicenceStatus,
    Signed,
    SignedContent,
)

log = logging.getLogger("zjb.licences")

PURPOSES = {"wallet": "查看本人电子证照", "application": "申办事项时使用电子证照"}


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

    @classmethod
    def of(cls, lic: Licence, status: str) -> LicenceRef:
        c = lic.content
        return cls(id=str(lic.id), type=lic.type, name=c["name"], number=lic.number, holder_masked=c["holder"],
                   issuer=c["issuer"], issued_at=lic.issued_at, expires_at=lic.expires_at, status=status)


class LicenceService:
    def __init__(self, *, store: LicenceStore, signer: SigningKeyRing, identities: VerifiedIdentities,
                 library: LicenceLibrary, catalogue: ServiceNames, limiter: RateLimiter, audit: AuditLog,
                 clock: Clock, config: LicencesConfig, public_url: str, face: FaceProof,
                 outbox: LicenceEvents | None = None):
        self.store = store
        self.face = face  # a library fetch needs a recent face verification of the resident
        self.access = LicenceAccess(store)
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
    def verify_url(self, lic: Licence) -> str:
        """The human-readable verification page the licence's QR code opens."""
        return f"{self.public_url}/verify/licence?" + urlencode({"number": lic.number, "check": lic.check_code})

    def view(self, lic: Licence) -> dict[str, Any]:
        c = lic.content
        return {"id": str(lic.id), "type": lic.type, "type_name": type_name(lic.type), "name": c["name"],
                "number": lic.number, "holder_masked": c["holder"], "issuer": c["issuer"],
                "issued_at": lic.issued_at, "expires_at": lic.expires_at,
                "status": lic.status_at(self.clock.now()), "check_code": lic.check_code,
                "source": str(lic.source), "application_id": lic.application_id,
                "application_serial": c.get("application_serial") or None, "verify_url": self.verify_url(lic)}

    def detail(self, lic: Licence) -> dict[str, Any]:
        """The view with the verification QR code, for showing on the phone."""
        out = self.view(lic)
        out["qr_png_base64"] = base64.b64encode(qr_png(out["verify_url"])).decode()
        return out

    def _signed(self, content: SignedContent, now: dt.datetime) -> Signed:
        """The signed part of a licence; ``signed_at`` dates the signature for the key's validity
        (a library copy's ``issued_at`` is the issuing authority's date, not ours)."""
        return Signed(content=content, signature=self.signer.sign(content), key_id=self.signer.key_id, signed_at=now)

    def genuine(self, lic: Licence) -> bool:
        """The stored content is what the key named by the licence signed, while that key vouched
        for licences (a retired key only before its retirement), and names this licence."""
        c, key_id = lic.content, lic.signed.key_id
        if c.get("key_id", key_id) != key_id or c.get("number") != lic.number:
            return False
        return self.signer.verify(c, lic.signed.signature, key_id=key_id, signed_at=lic.signed.signed_at)

    # The resident's wallet ---------------------------------------------------------------------
    async def list_own(self, resident: Resident, *, cursor: str | None, limit: int) -> dict[str, Any]:
        before = cursor_id(cursor)
        held = await self.store.held_by(resident.id, before=before, limit=limit + 1)
        more = len(held) > limit
        held = held[:limit]
        return {"items": [self.view(lic) for lic in held], "next_cursor": str(held[-1].id) if more else None}

    async def get_own(self, resident: Resident, licence_id: str) -> Licence:
        return await self.access.access_licence(resident, licence_id, "view")

    async def pdf(self, lic: Licence) -> bytes:
        """The holder's own copy: it names the holder in full (name and ID number, from their verified
        identity); what anyone else sees of a licence (verification, staff) stays masked."""
        ident = await self.identities.of(lic.holder_id)
        # Drawing the page takes tens of milliseconds of CPU: off the event loop, so the requests
        # answered meanwhile are not held up.
        return await asyncio.to_thread(render_pdf, lic, status=lic.status_at(self.clock.now()),
                                       verify_link=self.verify_url(lic),
                                       holder=(ident.name, ident.id_number) if ident else None)

    # The e-licence library ---------------------------------------------------------------------
    async def refresh(self, resident: Resident, *, purpose: str, service_id: str | None,
                      request_id: str) -> dict[str, Any]:
        """Ask the library for the resident's licences and keep signed copies; recorded each time."""
        access_realname(resident)
        await self.face.require_fresh(resident.id)
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
        entry = LicenceFetch(user_id=resident.id, at=now, purpose=purpose, purpose_text=PURPOSES[purpose],
                             service_id=service_id, service_name=service_name, request_id=request_id,
                             outcome="ok", count=0)
        reason = PURPOSES[purpose] + (f"：{service_name}" if service_name else "")
        try:
            found = await self.library.licences_of(ident.id_number, purpose=reason, requester=resident.id)
        except errors.AppError as e:
            await self.store.record_fetch(replace(entry, outcome=e.code))
            raise
        known = await self.store.library_copies(resident.id)
        for item in found:
            await self._keep_copy(resident.id, ident.name_masked, ident.id_number_masked, item, known.get(item.ref),
                                  now)
        await self.store.record_fetch(replace(entry, count=len(found)))
        log.info("licences fetched from the library", extra={"user_id": resident.id, "purpose": purpose,
                                                             "count": len(found)})
        return await self.list_own(resident, cursor=None, limit=100)

    async def _keep_copy(self, holder_id: str, name_masked: str, id_masked: str, item: LibraryLicence,
                         existing: Licence | None, now: dt.datetime) -> None:
        content = {"number": item.number, "type": item.type, "type_name": type_name(item.type), "name": item.name,
                   "holder": name_masked, "holder_id": id_masked, "issuer": item.issuer,
                   "issued_at": _day(item.issued_at), "expires_at": _day(item.expires_at), "source": "library",
                   "application_serial": "", "key_id": self.signer.key_id}
        status = LicenceStatus(item.status)
        if existing is None:
            try:
                await self.store.add(Licence(id=ObjectId(), holder_id=holder_id, type=item.type, number=item.number,
                                             status=status, source=LicenceSource.LIBRARY, library_ref=item.ref,
                                             issued_at=item.issued_at, expires_at=item.expires_at, created_at=now,
                                             signed=self._signed(content, now), check_code=new_check_code()))
            except DuplicateKeyError:  # two fetches raced; the other kept it
                pass
            return
        after = existing
        # A rotation of our signing key alone does not re-sign a copy; a re-signed copy keeps its check code.
        if {**existing.content, "key_id": ""} != {**content, "key_id": ""}:
            after = replace(after, issued_at=item.issued_at, expires_at=item.expires_at,
                            signed=self._signed(content, now))
        if existing.status is not status:
            after = replace(after, status=status)
            if status is LicenceStatus.REVOKED:
                after = replace(after, revoked_at=now, revoke_reason="电子证照库已注销")
        await self.store.refresh_copy(existing, after)

    async def fetches(self, resident: Resident) -> dict[str, Any]:
        rows = await self.store.fetches_of(resident.id)
        return {"items": [{"at": r.at, "purpose": r.purpose, "purpose_text": r.purpose_text,
                           "service_name": r.service_name, "count": r.count, "outcome": r.outcome} for r in rows],
                "next_cursor": None}

    # Public verification -----------------------------------------------------------------------
    def _check_matches(self, lic: Licence, check: str) -> bool:
        """The check code given is the licence's (compared in constant time), or the 6-hex one it
        carried before 50-bit codes, while those are still accepted."""
        strong = check_code_matches(lic.check_code, check)
        legacy = bool(lic.legacy_check_code) and self.cfg.accept_legacy_check_codes \
            and check_code_matches(lic.legacy_check_code or "", check)
        return strong or legacy

    async def verify(self, number: str, check: str, ip: str) -> dict[str, Any]:
        await self.limiter.hit(self._verify_ip, ip)
        lic = await self.store.by_number(number.strip())
        if lic is None or not self._check_matches(lic, check):
            raise errors.NotFound("未找到该电子证照，请核对证照编号和校验码")
        if not self.genuine(lic):
            log.warning("licence failed its signature check", extra={"licence_id": str(lic.id)})
            return {"valid": False, "status": "invalid", "number": lic.number}
        c = lic.content
        status = lic.status_at(self.clock.now())
        return {"valid": status == "valid", "status": status, "number": lic.number, "type": lic.type,
                "name": c["name"], "holder_masked": c["holder"], "issuer": c["issuer"],
                "issued_at": lic.issued_at, "expires_at": lic.expires_at, "source": str(lic.source),
                # What anyone can check with the key from GET /signing-keys.
                "key_id": lic.signed.key_id, "signature_b64": lic.signed.signature,
                "signed": canonical(c).decode("utf-8")}

    def public_key(self) -> dict[str, Any]:
        return {"algorithm": "Ed25519", "key_id": self.signer.key_id, "public_key_pem": self.signer.public_pem,
                "canonical_form": "JSON of the licence content, keys sorted, separators (',', ':'), UTF-8",
                "keys": self.signer.items()}

    # Staff -------------------------------------------------------------------------------------
    async def get_for_staff(self, staff: Staff, licence_id: str, ip: str) -> Licence:
        """A licence presented for a case, for staff handling cases; otherwise 404. Audited."""
        lic = await self.access.access_licence(staff, licence_id, "inspect")
        await self.audit.record(actor=staff_actor(staff), action="licence.view", target_type="licence",
                                target_id=licence_id, details={"application_ids": list(lic.used_in)}, ip=ip)
        return lic

    async def issued_for_case(self, staff: Staff, application_id: str) -> dict[str, Any]:
        """The licence a case issued (its result), for the staff who handle or supervise cases;
        404 when the case issued none."""
        LICENCE.check(staff, "issued")
        lic = await self.store.issued_for_case(application_id)
        if lic is None:
            raise errors.NotFound("该办件没有颁发电子证照")
        return self.view(lic)

    async def registry(self, staff: Staff, *, status: str | None, q: str | None, cursor: str | None,
                       limit: int) -> dict[str, Any]:
        """The register of licences issued here (holders masked), newest first, for staff who handle
        or supervise cases; ``q`` is a licence number or a case serial, as typed."""
        LICENCE.check(staff, "registry")
        found = await self.store.issued_page(status=status, found_by=q.strip().upper() if q else None,
                                             now=self.clock.now(), before=cursor_id(cursor), limit=limit + 1)
        page = found[:limit]
        return {"items": [self.view(lic) for lic in page],
                "next_cursor": str(page[-1].id) if len(found) > limit else None}

    async def revoke(self, staff: Staff, licence_id: str, reason: str, ip: str) -> dict[str, Any]:
        """Revoke (注销) a licence issued here; the library's are revoked by their own authority."""
        lic = await self.access.access_licence(staff, licence_id, "revoke")
        if lic.source is not LicenceSource.ISSUED:
            raise errors.NotFound()
        revoked = await self.store.revoke(lic.id, self.clock.now(), reason, staff.id)
        # The holder is told once (the dedupe key); told on a repeat too, should a process have died
        # between the revocation and its message.
        await self._tell("licence.revoked", lic, reason=(lic.revoke_reason if not revoked else None) or reason)
        if not revoked:
            raise errors.InvalidState("该电子证照已撤销")
        await self.audit.record(actor=staff_actor(staff), action="licence.revoke", target_type="licence",
                                target_id=licence_id, details={"reason": reason, "number": lic.number}, ip=ip)
        return self.view(await self.store.get(licence_id) or lic)

    # Issuing, for cases ------------------------------------------------------------------------
    async def issue_for_case(self, case: dict[str, Any], session: Any) -> Licence | None:
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
        lic = Licence(id=ObjectId(), holder_id=case["applicant_id"], type=spec["type"], number=number,
                      status=LicenceStatus.VALID, source=LicenceSource.ISSUED, application_id=case_id,
                      service_id=case["service_id"], issued_at=now, expires_at=expires, created_at=now,
                      signed=self._signed(content, now), check_code=new_check_code())
        await self.store.add(lic, session=session)
        await self._tell("licence.issued", lic, session=session, serial=case.get("serial") or "",
                         service_name=case.get("service_name") or "",
                         expires_at=expires.isoformat() if expires else None)
        log.info("licence issued", extra={"licence_id": str(lic.id), "application_id": case_id})
        return lic

    # Upgrades -----------------------------------------------------------------------------------
    async def strengthen_check_codes(self) -> int:
        """Give every licence still carrying a 6-hex check code a 50-bit one, keeping the old code as
        its legacy code. Harmless to run again: a licence changes only while it has the old code."""
        done = 0
        while batch := await self.store.with_legacy_check_codes(500):
            for licence_id, legacy in batch:
                done += await self.store.strengthen_check_code(licence_id, legacy, new_check_code())
        return done

    async def _tell(self, kind: str, lic: Licence, *, session: Any = None, **extra: Any) -> None:
        """Tell the licence's holder (``licence.issued`` or ``licence.revoked``), once."""
        if self.outbox is None:
            return
        await self.outbox.emit(kind, user_id=lic.holder_id, session=session,
                               dedupe_key=f"licence:{lic.id}:{kind.split('.')[1]}",
                               payload={"licence_id": str(lic.id), "name": lic.content.get("name") or "电子证照",
                                        "number": lic.number or lic.content.get("number") or "", **extra})


class LicenceWallet:
    """Provided to cases as ``licence_wallet``: the licences an applicant holds, recording their
    use for a case, and issuing on completion."""

    def __init__(self, service: LicenceService):
        self._s = service

    async def held(self, holder_id: str, licence_ids: list[str]) -> dict[str, LicenceRef]:
        now = self._s.clock.now()
        return {str(lic.id): LicenceRef.of(lic, lic.status_at(now))
                for lic in await self._s.store.many(licence_ids) if lic.holder_id == holder_id}

    async def valid_of(self, holder_id: str, limit: int = 100) -> list[LicenceRef]:
        """The holder's valid licences (for an agent choosing one of the grantor's)."""
        now = self._s.clock.now()
        return [LicenceRef.of(lic, "valid") for lic in await self._s.store.held_by(holder_id, before=None, limit=limit)
                if lic.status_at(now) == "valid"]

    async def note_use(self, holder_id: str, licence_ids: list[str], application_id: str, session: Any = None) -> None:
        ids = sorted({o for o in (oid(i) for i in licence_ids) if o is not None})
        if ids:
            await self._s.store.note_use(ids, holder_id, application_id, session=session)

    async def issue_for_case(self, case: dict[str, Any], session: Any) -> None:
        await self._s.issue_for_case(case, session)


__all__ = ["LicenceService", "LicenceWallet", "LicenceRef", "PURPOSES"]
