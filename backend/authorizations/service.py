"""帮办代办: a resident lets a named member of staff (帮办员) or another real-name-verified resident
act for them, for some services or all, for a number of days; and proves presence at a window
with a dynamic identity code (办事码) instead of anyone typing ids.

Filing a case for someone else goes through ``AgencyDesk`` (provided as ``agency`` to cases):
it answers who the case belongs to and who acted, or refuses with 403 ``authorization_required``.
Every check reads the grant at the moment of use, so an expired or revoked grant stops at once.
The case then records the agent (masked) in its timeline, the grantor is told, and the audit log
says who acted for whom under which grant (``filed``, inside the case's own transaction).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bson import ObjectId

from backend.audit.service import AuditLog, resident_actor, staff_actor
from backend.authorizations.access import FILERS, GRANT, GrantAccess
from backend.authorizations.codes import IdentityCodes, qr_png_base64
from backend.authorizations.errors import AuthorizationRequired, IdentityCodeTaken, IdentityCodeUsed, TooManyGrants
from backend.authorizations.store import GrantStore
from backend.authorizations.values import (
    CodeUse,
    Grant,
    Grantee,
    GranteeKind,
    Grantor,
    GrantStatus,
    ScannedCode,
    ServiceRef,
)
from backend.config import AuthorizationsConfig
from backend.core import errors
from backend.core.access import Resident, Staff, access_realname
from backend.core.clock import Clock
from backend.identity.idnumber import mask_name


class Residents(Protocol):
    """Residents, masked (identity's ``user_directory``): by id, and by exact ID number or full
    name (matched by their keyed hashes)."""

    async def get(self, user_id: str) -> Any: ...            # UserRef | None
    async def find(self, q: str) -> list[Any]: ...            # [UserRef]


class CaseSerials(Protocol):
    """The applicant of a case by its serial (the cases domain's directory)."""

    async def applicant_of_serial(self, serial: str) -> str | None: ...


@dataclass(frozen=True)
class Agency:
    """Who a case filed by someone else belongs to, and who filed it."""
    applicant_id: str
    via: str                              # "grant" | "identity_code"
    agent: dict[str, Any]                 # {"type", "id", "name_masked"}
    authorization_id: str | None = None
    code: ScannedCode | None = None       # the 办事码 it is filed with (used once: ``filed`` records it)
    filing: str | None = None             # the filing's fingerprint (the case domain's)
    prior_case_id: str | None = None      # the same clerk's same filing with this code, made already

    def timeline_note(self) -> str:
        if self.via == "identity_code":
            return "窗口收件（本人到场，已核验办事码）"
        role = "帮办员" if self.agent["type"] == "staff" else "代办人"
        return f"{role}{self.agent['name_masked']}受申请人委托代为提交"


class AgencyDesk:
    def __init__(self, *, store: GrantStore, residents: Residents, staff: Any, catalogue: Any,
                 codes: IdentityCodes, outbox: Any, audit: AuditLog, clock: Clock, config: AuthorizationsConfig,
                 cases: CaseSerials | None = None, licences: Any = None):
        self.store = store
        self.residents = residents
        self.staff = staff            # StaffService: active_by_username
        self.catalogue = catalogue
        self.codes = codes
        self.outbox = outbox
        self.audit = audit
        self.clock = clock
        self.cfg = config
        self.cases = cases            # the case directory: a case's applicant by its serial
        self.licences = licences      # licence_wallet: the grantor's valid licences
        self.access = GrantAccess(store)

    # -- residents' grants ---------------------------------------------------------------------------

    async def grant(self, resident: Resident, body: dict[str, Any], ip: str) -> dict[str, Any]:
        access_realname(resident)
        days = body["days"]
        if days > self.cfg.max_days:
            raise errors.InvalidInput({"days": f"授权期限最长 {self.cfg.max_days} 天"})
        grantee = await self._grantee(resident, body["grantee"])
        service_ids = list(dict.fromkeys(body.get("service_ids") or [])) or None
        services: list[ServiceRef] | None = None
        if service_ids:
            services = []
            for sid in service_ids:
                try:
                    svc = await self.catalogue.get_service(sid)
                except errors.NotFound:
                    raise errors.InvalidInput({"service_ids": "包含不存在或已停办的事项"},
                                              details={"unknown": [sid]}) from None
                services.append(ServiceRef(id=svc["id"], name=svc["name"]))
        now = self.clock.now()
        in_force = await self.store.in_force_of_grantor(resident.id, now, self.cfg.max_active_grants + 1)
        same = next((g for g in in_force if g.grantee.kind is grantee.kind and g.grantee.id == grantee.id
                     and _scope(g.service_ids) == _scope(service_ids)), None)
        if same is not None:
            return self.view(same, now)  # already in force: no second grant, no second message
        if len(in_force) >= self.cfg.max_active_grants:
            raise TooManyGrants(details={"limit": self.cfg.max_active_grants})
        me = await self.residents.get(resident.id)
        grant = Grant(id=ObjectId(), grantor_id=resident.id,
                      grantor=Grantor(name_masked=(me and me.name_masked) or "",
                                      id_number_masked=(me and me.id_number_masked) or ""),
                      grantee=grantee, service_ids=tuple(service_ids) if service_ids is not None else None,
                      services=tuple(services) if services is not None else None, days=days,
                      status=GrantStatus.ACTIVE, created_at=now, expires_at=now + dt.timedelta(days=days))
        await self.store.add(grant)
        await self.audit.record(actor=resident_actor(resident), action="authorization.grant",
                                target_type="authorization", target_id=str(grant.id),
                                details={"grantee_type": str(grantee.kind), "grantee_id": grantee.id,
                                         "service_ids": service_ids, "days": days}, ip=ip)
        if grantee.kind is GranteeKind.RESIDENT:
            await self.outbox.emit("authorization.granted", user_id=grantee.id,
                                   dedupe_key=f"authorization:{grant.id}:granted", payload={
                                       "authorization_id": str(grant.id),
                                       "grantor_name": grant.grantor.name_masked,
                                       "services": [x.name for x in services or []],
                                       "expires_at": grant.expires_at.isoformat()})
        return self.view(grant, now)

    async def _grantee(self, resident: Resident, g: dict[str, Any]) -> Grantee:
        if g["type"] == "staff":
            if not g.get("username"):
                raise errors.InvalidInput({"grantee.username": "请填写帮办员的工号"})
            staff = await self.staff.active_by_username(g["username"])
            if staff is None or not set(staff["roles"]) & set(FILERS):
                raise errors.InvalidInput({"grantee.username": "未找到该帮办员，请核对工号"})
            name = staff["display_name"] or staff["username"]
            return Grantee(kind=GranteeKind.STAFF, id=staff["id"], username=staff["username"],
                           name_masked=mask_name(name))
        if not g.get("id_number"):
            raise errors.InvalidInput({"grantee.id_number": "请填写被授权人的身份证号"})
        found = await self.residents.find(g["id_number"].strip().upper()) if len(g["id_number"].strip()) == 18 else []
        other = found[0] if found else None
        if other is None or not other.realname_verified:
            raise errors.InvalidInput({"grantee.id_number": "被授权人须已在指尖办完成实名认证"})
        if other.id == resident.id:
            raise errors.InvalidInput({"grantee.id_number": "不能授权给本人"})
        return Grantee(kind=GranteeKind.RESIDENT, id=other.id, name_masked=other.name_masked or "")

    async def list_given(self, resident: Resident) -> dict[str, Any]:
        now = self.clock.now()
        return {"items": [self.view(g, now) for g in await self.store.of_grantor(resident.id)], "next_cursor": None}

    async def list_received(self, resident: Resident) -> dict[str, Any]:
        now = self.clock.now()
        grants = await self.store.to_grantee(GranteeKind.RESIDENT, resident.id)
        return {"items": [self.view(g, now, received=True) for g in grants], "next_cursor": None}

    async def revoke(self, resident: Resident, grant_id: str, ip: str) -> dict[str, Any]:
        grant = await self.access.access_grant(resident, grant_id, "revoke")
        now = self.clock.now()
        if not await self.store.revoke(grant.id, resident.id, now):
            raise errors.InvalidState("该授权已撤销", details={"status": str(grant.status)})
        await self.audit.record(actor=resident_actor(resident), action="authorization.revoke",
                                target_type="authorization", target_id=grant_id, ip=ip)
        if grant.grantee.kind is GranteeKind.RESIDENT:
            await self.outbox.emit("authorization.revoked", user_id=grant.grantee.id,
                                   dedupe_key=f"authorization:{grant_id}:revoked", payload={
                                       "authorization_id": grant_id, "grantor_name": grant.grantor.name_masked})
        return self.view(await self.store.get(grant_id) or grant, now)

    async def identity_code(self, resident: Resident) -> dict[str, Any]:
        access_realname(resident)
        code, expires = self.codes.issue(resident.id, self.clock.now())
        return {"code": code, "expires_at": expires, "valid_seconds": self.codes.ttl,
                "qr_png_base64": qr_png_base64(code)}

    def view(self, grant: Grant, now: dt.datetime, *, received: bool = False) -> dict[str, Any]:
        g = grant.grantee
        staff = g.kind is GranteeKind.STAFF
        out = {"id": str(grant.id), "status": str(grant.status_at(now)),
               "grantee": {"type": str(g.kind), "name_masked": g.name_masked,
                           **({"username": g.username or ""} if staff else {})},
               "service_ids": list(grant.service_ids) if grant.service_ids is not None else None,
               "services": [{"id": x.id, "name": x.name} for x in grant.services] if grant.services is not None
               else None,
               "days": grant.days, "created_at": grant.created_at, "expires_at": grant.expires_at,
               "revoked_at": grant.revoked_at}
        if received or staff:
            out["grantor"] = {"name_masked": grant.grantor.name_masked}
        return out

    # -- acting for someone (used by cases) --------------------------------------------------------

    def _usable(self, grant: Grant | None, kind: GranteeKind, agent_id: str, service_id: str) -> Grant:
        if grant is None or grant.grantee.kind is not kind or grant.grantee.id != agent_id:
            raise AuthorizationRequired(details={"reason": "no_grant"})
        if grant.status is not GrantStatus.ACTIVE:
            raise AuthorizationRequired("该授权已被撤销", details={"reason": "revoked"})
        if grant.expires_at <= self.clock.now():
            raise AuthorizationRequired("该授权已过期", details={"reason": "expired"})
        if grant.service_ids and service_id not in grant.service_ids:
            raise AuthorizationRequired("该授权不包含此事项", details={"reason": "service_not_granted"})
        return grant

    async def for_staff(self, staff: Staff, *, service_id: str, resident_id: str | None = None,
                        authorization_id: str | None = None, identity_code: str | None = None,
                        filing: str | None = None) -> Agency:
        """A clerk files for a resident: with the resident's current 办事码 (present in person) or
        an active grant to this clerk for this service. A code makes one ``filing`` (the case
        domain's fingerprint of it), by the clerk who holds it: another clerk is 403
        ``identity_code_taken``, another filing 409 ``identity_code_used``; the same filing again
        names the case it made (``prior_case_id``)."""
        if identity_code:
            code = self._read_code(identity_code)
            if resident_id and resident_id != code.user_id:
                raise AuthorizationRequired("办事码与所选居民不一致",
                                                   details={"reason": "identity_code_mismatch"})
            agency = Agency(applicant_id=code.user_id, via="identity_code", code=code, filing=filing,
                            agent={"type": "staff", "id": staff.id, "name_masked": _staff_mask(staff)})
            use = await self.store.code_use(code.id)
            if use is None:
                return agency
            self._check_use(use, staff, filing)
            return replace(agency, prior_case_id=use.case_id)
        if authorization_id:
            d = self._usable(await self.store.get(authorization_id), GranteeKind.STAFF, staff.id, service_id)
            if resident_id and resident_id != d.grantor_id:
                raise AuthorizationRequired("该授权不是所选居民的授权", details={"reason": "grantor_mismatch"})
            return Agency(applicant_id=d.grantor_id, via="grant", authorization_id=str(d.id),
                          agent={"type": "staff", "id": staff.id, "name_masked": d.grantee.name_masked})
        raise AuthorizationRequired(details={"reason": "missing"})

    async def for_resident(self, resident: Resident, *, authorization_id: str, service_id: str) -> Agency:
        """A resident files in the name of someone who granted them."""
        access_realname(resident)
        d = self._usable(await self.store.get(authorization_id), GranteeKind.RESIDENT, resident.id, service_id)
        return Agency(applicant_id=d.grantor_id, via="grant", authorization_id=str(d.id),
                      agent={"type": "resident", "id": resident.id, "name_masked": d.grantee.name_masked})

    def _read_code(self, identity_code: str) -> ScannedCode:
        code = self.codes.read(identity_code, self.clock.now())
        if code is None:
            raise AuthorizationRequired("办事码无效或已过期，请居民刷新后重新出示",
                                        details={"reason": "identity_code_invalid"})
        return code

    @staticmethod
    def _check_use(use: CodeUse, staff: Staff, filing: str | None) -> None:
        """A code held by another clerk, or one that made another filing, is refused."""
        if use.staff_id != staff.id:
            raise IdentityCodeTaken(details={"reason": "identity_code_taken"})
        if use.filing is not None and use.filing != filing:
            raise IdentityCodeUsed(details={"reason": "identity_code_used", "application_id": use.case_id})

    async def filed(self, agency: Agency, case: dict[str, Any], *, actor: Staff | Resident, ip: str | None,
                    session: Any) -> None:
        """After a case is filed for someone (in the case's transaction): the 办事码's one filing
        recorded (two clerks, or two filings, at the same moment: the second fails here and its
        transaction with it), the audit entry, and the grantor told who filed what under their grant."""
        if agency.code is not None:
            if not await self.store.file_with_code(agency.code, actor.id, agency.filing or str(case["_id"]),
                                                   str(case["_id"]), session):
                use = await self.store.code_use(agency.code.id)
                if use is not None and isinstance(actor, Staff):
                    self._check_use(use, actor, None)
                raise IdentityCodeUsed(details={"reason": "identity_code_used",
                                                "application_id": use.case_id if use else None})
        await self.audit.record(
            actor=staff_actor(actor) if isinstance(actor, Staff) else resident_actor(actor),
            action="case.file_for", target_type="application", target_id=str(case["_id"]),
            details={"for": agency.applicant_id, "via": agency.via, "authorization_id": agency.authorization_id,
                     "service_id": case["service_id"]}, ip=ip, session=session)
        if agency.via == "grant":
            await self.outbox.emit("authorization.used", user_id=agency.applicant_id, session=session,
                                   dedupe_key=f"authorization:{agency.authorization_id}:case:{case['_id']}", payload={
                                       "authorization_id": agency.authorization_id, "application_id": str(case["_id"]),
                                       "serial": case["serial"], "service_name": case["service_name"],
                                       "agent_role": "帮办员" if agency.agent["type"] == "staff" else "代办人",
                                       "agent_name": agency.agent["name_masked"]})

    # -- the grantor's licences, for the agent to give ------------------------------------------------

    async def grantor_licences(self, agent: Resident | Staff, authorization_id: str, ip: str | None) -> dict[str, Any]:
        """The grantor's valid e-licences, to give for a case filed under the grant: only to the
        grantee of an active, unexpired grant; another's grant is not found, like one that does not
        exist (404), a revoked or expired one of the caller's is 403 ``authorization_required``; audited."""
        d = await self.access.access_grant(agent, authorization_id, "licences")
        if d.status is not GrantStatus.ACTIVE:
            raise AuthorizationRequired("该授权已被撤销", details={"reason": "revoked"})
        if d.expires_at <= self.clock.now():
            raise AuthorizationRequired("该授权已过期", details={"reason": "expired"})
        refs = await self.licences.valid_of(d.grantor_id) if self.licences is not None else []
        await self.audit.record(actor=staff_actor(agent) if isinstance(agent, Staff) else resident_actor(agent),
                                action="authorization.licences", target_type="authorization",
                                target_id=authorization_id, details={"grantor": d.grantor_id, "count": len(refs)},
                                ip=ip)
        return {"items": [{"id": r.id, "type": r.type, "name": r.name, "number": r.number,
                           "holder_masked": r.holder_masked, "issuer": r.issuer, "expires_at": r.expires_at,
                           "status": r.status} for r in refs], "next_cursor": None}

    # -- the clerk's 帮办 desk ---------------------------------------------------------------------

    async def find_residents(self, staff: Staff, q: str, ip: str) -> dict[str, Any]:
        """Residents by ID number, case serial or name, each with their active grants to this clerk."""
        GRANT.check(staff, "desk")
        q = q.strip()
        if q.upper().startswith("ZJB") and self.cases is not None:
            by = "serial"
            owner = await self.cases.applicant_of_serial(q.upper())
            found = [r for r in [await self.residents.get(owner)] if r] if owner else []
        else:
            by, found = "id_number_or_name", await self.residents.find(q)
        await self.audit.record(actor=staff_actor(staff), action="resident.search", target_type="resident",
                                details={"by": by, "found": len(found)}, ip=ip)
        return {"items": [await self._with_grants(staff, r) for r in found if r.realname_verified],
                "next_cursor": None}

    async def identify(self, staff: Staff, code: str, ip: str) -> dict[str, Any]:
        """Who is at the window: the resident of a scanned 办事码, with their active grants to this
        clerk. Scanning binds the code to this clerk: another clerk scanning it after is 403
        ``identity_code_taken``, audited."""
        GRANT.check(staff, "desk")
        scanned = self._read_code(code)
        resident = await self.residents.get(scanned.user_id)
        if resident is None:
            raise AuthorizationRequired("办事码无效或已过期，请居民刷新后重新出示",
                                               details={"reason": "identity_code_invalid"})
        use = await self.store.bind_code(scanned, staff.id)
        if use.staff_id != staff.id:
            await self.audit.record(actor=staff_actor(staff), action="resident.identify", target_type="resident",
                                    target_id=scanned.user_id, ip=ip, outcome="denied",
                                    details={"reason": "identity_code_taken"})
            raise IdentityCodeTaken(details={"reason": "identity_code_taken"})
        await self.audit.record(actor=staff_actor(staff), action="resident.identify", target_type="resident",
                                target_id=scanned.user_id, ip=ip)
        return await self._with_grants(staff, resident)

    async def _with_grants(self, staff: Staff, r: Any) -> dict[str, Any]:
        now = self.clock.now()
        grants = [self.view(g, now) for g in await self.store.to_grantee(GranteeKind.STAFF, staff.id, grantor_id=r.id)]
        return {"id": r.id, "name_masked": r.name_masked, "id_number_masked": r.id_number_masked,
                "realname_verified": r.realname_verified,
                "grants": [g for g in grants if g["status"] == GrantStatus.ACTIVE]}


def _staff_mask(staff: Staff) -> str:
    return mask_name(staff.display_name or staff.username)


__all__ = ["Agency", "AgencyDesk"]


def _scope(service_ids: Iterable[str] | None) -> frozenset[str] | None:
    """What a grant covers, for comparing two grants: its services as a set, or None for all."""
    return None if service_ids is None else frozenset(service_ids)
