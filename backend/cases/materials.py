"""A case's materials (申请材料): what the applicant gave for each material of the guide, and
what staff made of it.

Each material of the guide becomes one entry on the case. It is provided by uploaded files
(``attachments``), by an e-licence the applicant holds (``licences``: a valid licence of the
type the guide names replaces the paper), by paper received at the window (``materials`` at the
window), ticked online without a file (``materials`` online: ``declared``), or shared from
another case of the same 一件事 (``shared``); a required material the guide allows under 容缺受理
may be left missing with the applicant's promise to bring it. Staff (受理, 审查) judge each
material accepted or not acceptable with a reason; the unacceptable ones are what a correction
request (补正) names by default.

Rules kept here:
- A correction asks for something new: every material it names must be given again with a file
  or licence that was not already given for it (and found wanting); what it replaces stays in the
  material's ``history`` with its judgement and the correction's reason, shown to staff.
- A promise (容缺承诺) is due ``cases.promise_working_days`` working days after submission; the
  applicant is reminded before it; supplying the material (online, or paper at the window) keeps
  it; a case completes with one open only when a clerk records why (``waive``).
- An approval is the final judgement of every material nobody judged one by one (``approved``).

Files and licences are other domains': this module reaches them through ``file_links`` and
``licence_wallet`` and references them inside the case's own transaction, so a file referenced
by a case is never swept as an orphan.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bson import ObjectId

from backend.cases.errors import PromiseOpen
from backend.cases.values import (
    Actor,
    Case,
    CorrectionAsked,
    Given,
    Material,
    MaterialFile,
    MaterialLicence,
    MaterialSource,
    Promise,
    PromiseStatus,
    PromiseTimes,
    Replaced,
    Review,
    ReviewStatus,
)
from backend.core import errors
from backend.core.clock import TZ
from backend.identity.idnumber import mask_id_number

REVIEWABLE = ("submitted", "accepted", "in_review")
# A promised material may be supplied later while the case is still being handled.
SUPPLIABLE = ("submitted", "accepted", "in_review", "approved", "correction_requested")
MAX_FILES_PER_MATERIAL = 10
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")


def _by_key(items: list[dict[str, Any]], id_field: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i in items:
        ids = out.setdefault(i["material_key"], [])
        if i[id_field] not in ids:
            ids.append(i[id_field])
    return out


def entry(m: Mapping[str, Any]) -> Material:
    """A guide material on a case, nothing given yet."""
    return Material(key=m["key"], name=m["name"], required=bool(m.get("required")),
                    tolerable=bool(m.get("tolerable")), licence_type=m.get("licence_type"), provided=False,
                    source=None, file_ids=(), files=(), licence_id=None, licence=None, promised=False, review=None)


def _actor_view(a: Actor | None) -> dict[str, Any] | None:
    return None if a is None else {"type": a.type, "id": a.id, "name": a.name}


def _review_view(r: Review | None, *, staff: bool) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"status": str(r.status), "reason": r.reason, "at": r.at,
            **({"implied": True} if r.implied else {}), **({"by": _actor_view(r.by)} if staff else {})}


def _promise_view(p: Promise | None, now: dt.datetime | None) -> dict[str, Any] | None:
    if p is None:
        return None
    out: dict[str, Any] = {"status": str(p.status), "due": p.due,
                           "overdue": p.status is PromiseStatus.OPEN and now is not None and now > p.due}
    for k, v in (("kept_at", p.kept_at), ("waived_at", p.waived_at), ("waiver_reason", p.waiver_reason)):
        if v is not None:
            out[k] = v
    return out


def _file_view(f: MaterialFile) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "content_type": f.content_type, "size_bytes": f.size_bytes,
            "has_thumbnail": f.has_thumbnail}


def _licence_view(lic: MaterialLicence | None) -> dict[str, Any] | None:
    if lic is None:
        return None
    return {"id": lic.id, "type": lic.type, "name": lic.name, "number": lic.number,
            "holder_masked": lic.holder_masked, "issuer": lic.issuer, "expires_at": lic.expires_at,
            "status": lic.status}


def _history_view(h: Replaced, *, staff: bool) -> dict[str, Any]:
    c = h.correction
    return {"source": str(h.source or MaterialSource.PAPER), "file_ids": list(h.file_ids),
            "files": [_file_view(f) for f in h.files], "licence_id": h.licence_id,
            "licence": _licence_view(h.licence), "review": _review_view(h.review, staff=staff),
            "correction": None if c is None else {"requested_at": c.requested_at, "reason": c.reason},
            "replaced_at": h.replaced_at}


def view(materials: Sequence[Material], *, staff: bool, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Materials as the case shows them; residents do not see who reviewed."""
    out = []
    for m in materials:
        source = m.given_as
        v = {"key": m.key, "name": m.name, "required": m.required, "tolerable": m.tolerable,
             "licence_type": m.licence_type, "provided": m.provided, "source": None if source is None else str(source),
             "file_ids": list(m.file_ids), "files": [_file_view(f) for f in m.files],
             "licence_id": m.licence_id, "licence": _licence_view(m.licence), "promised": m.promised,
             "promise": _promise_view(m.promise, now), "review": _review_view(m.review, staff=staff),
             "history": [_history_view(h, staff=staff) for h in m.history]}
        if m.shared_from:
            v["shared_from"] = m.shared_from
        out.append(v)
    return out


def form_view(form: dict[str, Any], fields: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A case's form as staff read it: ID numbers masked (the full ones only through the audited
    reveal), whichever field they are in."""
    typed = {f["key"]: f.get("type") for f in fields or []}
    out: dict[str, Any] = {}
    for k, v in (form or {}).items():
        if isinstance(v, str) and (typed.get(k) == "id_number" or _ID_NUMBER.match(v.strip())):
            v = mask_id_number(v.strip().upper())
        out[k] = v
    return out


def form_fields(fields: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The labels (and types) of a form's fields, kept on the case so it reads the same later."""
    return [{"key": f["key"], "label": f.get("label") or f["key"], "type": f.get("type", "string")}
            for f in fields or [] if f.get("key")]


def licence_case(case: Case) -> dict[str, Any]:
    """What the licences domain reads of a completed case to issue its licence (its port's shape)."""
    return {"_id": ObjectId(case.id), "serial": case.serial, "service_id": case.service_id,
            "service_name": case.service_name, "department_name": case.department_name,
            "applicant_id": case.applicant_id}


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), TZ)


def open_promises(materials: Sequence[Material]) -> list[Material]:
    return [m for m in materials if m.promise_open]


def _given_ids(m: Material) -> set[str]:
    """Every file and licence already given for a material, now or before."""
    out = set(m.file_ids)
    if m.licence_id:
        out.add(m.licence_id)
    for h in m.history:
        out.update(h.file_ids)
        if h.licence_id:
            out.add(h.licence_id)
    return out


def _with(m: Material, g: Given) -> Material:
    """``m`` provided by ``g`` (what ``g`` does not say, such as where a shared one came from, stays)."""
    return replace(m, provided=True, source=g.source, file_ids=g.file_ids, files=g.files, licence_id=g.licence_id,
                   licence=g.licence, shared_from=g.shared_from if g.shared_from is not None else m.shared_from,
                   received_by=g.received_by if g.received_by is not None else m.received_by)


class CaseMaterials:
    def __init__(self, *, files: Any, licences: Any, calendar: Any = None, promise_working_days: int = 10,
                 promise_reminder_working_days: int = 2):
        self.files = files          # file_links (backend.files.service.FileLinks)
        self.licences = licences    # licence_wallet (backend.licences.service.LicenceWallet)
        self.calendar = calendar    # the working calendar (promise due dates)
        self.promise_days = promise_working_days
        self.remind_days = promise_reminder_working_days

    async def _given(self, applicant_id: str, known: Mapping[str, Material], body: dict[str, Any],
                     keys_only: set[str] | None = None,
                     paper: MaterialSource = MaterialSource.PAPER) -> dict[str, Given]:
        """What the body gives, per material key: validated against the guide and the applicant's
        own files and licences. ``paper`` is how keys alone count (``paper`` at the window,
        ``declared`` online); ``shared`` (key → the service producing it) is a 一件事's own."""
        attachments = body.get("attachments") or []
        licences = body.get("licences") or []
        ticked = set(body.get("materials") or [])
        shared = dict(body.get("shared") or {})
        named = {a["material_key"] for a in attachments} | {x["material_key"] for x in licences} | ticked
        unknown = sorted(named - set(known))
        if unknown:
            raise errors.InvalidInput({"materials": "包含办事指南中没有的材料"}, details={"unknown": unknown})
        files_by_key = _by_key(attachments, "file_id")
        if any(len(ids) > MAX_FILES_PER_MATERIAL for ids in files_by_key.values()):
            raise errors.InvalidInput({"attachments": f"每项材料最多 {MAX_FILES_PER_MATERIAL} 个文件"})
        wanted = sorted({f for ids in files_by_key.values() for f in ids})
        owned = await self.files.owned(applicant_id, wanted) if wanted else {}
        if set(wanted) - set(owned):
            raise errors.InvalidInput({"attachments": "材料文件不存在，请重新上传"},
                                      details={"file_ids": sorted(set(wanted) - set(owned))})
        lic_by_key = _by_key(licences, "licence_id")
        if any(len(ids) > 1 for ids in lic_by_key.values()):
            raise errors.InvalidInput({"licences": "每项材料只需一本证照"})
        held = await self.licences.held(applicant_id, [ids[0] for ids in lic_by_key.values()]) if lic_by_key else {}
        out: dict[str, Given] = {}
        for key, (lid,) in lic_by_key.items():
            ref = held.get(lid)
            if ref is None:
                raise errors.InvalidInput({"licences": "电子证照不存在"}, details={"licence_id": lid})
            want = known[key].licence_type
            if not want or ref.type != want:
                raise errors.InvalidInput({"licences": f"该证照不能作为“{known[key].name}”提交"},
                                          details={"material_key": key, "licence_type": want})
            if ref.status != "valid":
                state = "已撤销" if ref.status == "revoked" else "已过期"
                raise errors.InvalidInput({"licences": f"证照“{ref.name}”{state}，不能使用"},
                                          details={"licence_id": lid, "status": ref.status})
            out[key] = Given(source=MaterialSource.LICENCE, licence_id=lid, licence=MaterialLicence(
                id=ref.id, type=ref.type, name=ref.name, number=ref.number, holder_masked=ref.holder_masked,
                issuer=ref.issuer, expires_at=ref.expires_at, status=ref.status))
        for key, ids in files_by_key.items():
            if key in out:
                raise errors.InvalidInput({"attachments": f"“{known[key].name}”已使用电子证照，无需再上传"})
            out[key] = Given(source=MaterialSource.FILE, file_ids=tuple(ids), files=tuple(
                MaterialFile(id=f, name=owned[f].name, content_type=owned[f].content_type,
                             size_bytes=owned[f].size_bytes, has_thumbnail=owned[f].has_thumbnail) for f in ids))
        for key, service_name in shared.items():
            if key in known and key not in out:
                out[key] = Given(source=MaterialSource.SHARED, shared_from=service_name)
        for key in ticked - set(out):
            out[key] = Given(source=paper)
        if keys_only is not None:
            extra = sorted(set(out) - keys_only)
            if extra:
                raise errors.InvalidInput({"materials": "只能补正被要求补正的材料或补交容缺材料"},
                                          details={"unexpected": extra})
        return out

    def _promise(self, now: dt.datetime) -> Promise:
        start = now.astimezone(TZ).date()
        due = self.calendar.add_working_days(start, self.promise_days) if self.calendar is not None \
            else start + dt.timedelta(days=self.promise_days)
        return Promise(status=PromiseStatus.OPEN, due=end_of(due), promised_at=now)

    async def resolve(self, applicant_id: str, guide_materials: list[dict[str, Any]], body: dict[str, Any], *,
                      channel: str = "online", now: dt.datetime | None = None) -> tuple[Material, ...]:
        """The materials of a new case; 400 when a required material is neither given nor tolerable.
        A tolerable material left missing is promised, due in working days."""
        entries = [entry(m) for m in guide_materials]
        given = await self._given(applicant_id, {e.key: e for e in entries}, body,
                                  paper=MaterialSource.PAPER if channel == "window" else MaterialSource.DECLARED)
        out = []
        for e in entries:
            g = given.get(e.key)
            if g is not None:
                e = _with(e, g)
            promised = e.tolerable and not e.provided
            out.append(replace(e, promised=promised,
                               promise=self._promise(now) if promised and e.required and now is not None else None))
        missing = [m.name for m in out if m.required and not m.tolerable and not m.provided]
        if missing:
            raise errors.InvalidInput({"materials": "缺少必需材料：" + "、".join(missing)},
                                      details={"missing": missing})
        return tuple(out)

    def promise_fields(self, materials: Sequence[Material]) -> PromiseTimes:
        """The case-level times the promise job and the staff list read: the earliest open
        promise's due date, and when its applicant is reminded (None when none is open)."""
        dues = [m.promise.due for m in materials if m.promise is not None and m.promise.status is PromiseStatus.OPEN]
        if not dues:
            return PromiseTimes()
        due = min(dues)
        day = due.astimezone(TZ).date()
        for _ in range(self.remind_days):  # back by working days
            day -= dt.timedelta(days=1)
            while self.calendar is not None and not self.calendar.is_working_day(day):
                day -= dt.timedelta(days=1)
        return PromiseTimes(due_at=due, remind_at=dt.datetime.combine(day, dt.time(9), TZ))

    @staticmethod
    def _replaced(m: Material, g: Given, now: dt.datetime, correction: CorrectionAsked | None) -> Material:
        """``m`` given anew by ``g``: what it had goes into its history with its judgement."""
        history = m.history
        if m.provided:
            history = (*history, Replaced(source=m.source, file_ids=m.file_ids, files=m.files,
                                          licence_id=m.licence_id, licence=m.licence, review=m.review,
                                          correction=correction, replaced_at=now))
        promise = m.promise
        if promise is not None and promise.status is PromiseStatus.OPEN:
            promise = replace(promise, status=PromiseStatus.KEPT, kept_at=now)
        return replace(_with(m, g), promised=False, review=None, history=history, promise=promise)

    async def resupply(self, case: Case, body: dict[str, Any],
                       now: dt.datetime | None = None) -> tuple[Material, ...] | None:
        """The materials after a resubmission (补正), or None when it changes none. Every material the
        correction named must be given again with a file or licence not already given for it;
        only those (and promised ones) may be."""
        now = now or dt.datetime.now(TZ)
        materials = case.materials
        known = {m.key: m for m in materials}
        correction = case.correction
        named = set(correction.materials) if correction is not None else set()
        if not any(body.get(k) for k in ("attachments", "licences", "materials")):
            if named:
                raise errors.InvalidInput({"materials": "请补正："
                                                        + "、".join(known[k].name for k in sorted(named))},
                                          details={"missing": sorted(named)})
            return None
        promised = {m.key for m in open_promises(materials)}
        given = await self._given(case.applicant_id, known, body,
                                  keys_only=(named | promised) if named else None)
        lacking = sorted(named - set(given))
        if lacking:
            raise errors.InvalidInput({"materials": "请补正：" + "、".join(known[k].name for k in lacking)},
                                      details={"missing": lacking})
        for key in sorted(named):
            self._check_new(known[key], given[key])
        out = []
        for m in materials:
            g = given.get(m.key)
            if g is None:
                out.append(m)
                continue
            review = m.review
            asked = CorrectionAsked(requested_at=correction.requested_at if correction is not None else None,
                                    reason=None if review is None else review.reason) if m.key in named else None
            out.append(self._replaced(m, g, now, asked))
        return tuple(out)

    @staticmethod
    def _check_new(m: Material, g: Given) -> None:
        """A material a correction asked for must come with something not already given for it."""
        name = m.name
        if g.source not in (MaterialSource.FILE, MaterialSource.LICENCE):
            raise errors.InvalidInput({"materials": f"“{name}”须上传新的文件或使用电子证照补正"},
                                      details={"material_key": m.key, "reason": "no_file"})
        new = set(g.file_ids) | ({g.licence_id} if g.licence_id else set())
        if not new - _given_ids(m):
            raise errors.InvalidInput({"materials": f"“{name}”仍是已退回的材料，请上传新的文件或使用其他电子证照"},
                                      details={"material_key": m.key, "reason": "already_rejected"})

    async def supply(self, case: Case, body: dict[str, Any], now: dt.datetime) -> tuple[Material, ...]:
        """Promised materials (容缺) supplied later with files or a licence: each keeps its promise."""
        if case.status not in SUPPLIABLE:
            raise errors.InvalidState("办件已办结，不能再补交材料", details={"status": case.status})
        materials = case.materials
        known = {m.key: m for m in materials}
        promised = {m.key for m in open_promises(materials)}
        if not (body.get("attachments") or body.get("licences")):
            raise errors.InvalidInput({"attachments": "请上传材料文件或选择电子证照"})
        given = await self._given(case.applicant_id, known, {k: body.get(k) for k in ("attachments", "licences")},
                                  keys_only=promised)
        return tuple(self._replaced(m, given[m.key], now, None) if m.key in given else m for m in materials)

    @staticmethod
    def received(case: Case, key: str, *, by: Actor, now: dt.datetime) -> tuple[Material, ...]:
        """A promised material handed in on paper at the window: its promise is kept."""
        if case.status not in SUPPLIABLE:
            raise errors.InvalidState("办件已办结，不能再补交材料", details={"status": case.status})
        m = next((x for x in case.materials if x.key == key), None)
        if m is None:
            raise errors.NotFound("该办件没有这项材料")
        if not m.promise_open:
            raise errors.InvalidState(f"“{m.name}”没有待补齐的容缺承诺")
        g = Given(source=MaterialSource.PAPER, received_by=by)
        return tuple(CaseMaterials._replaced(x, g, now, None) if x.key == key else x for x in case.materials)

    @staticmethod
    def waived(case: Case, reason: str | None, *, by: Actor, now: dt.datetime) -> tuple[Material, ...] | None:
        """Completing a case: None when no promise is open; its materials with every open promise
        waived for the clerk's reason; 409 ``promise_open`` without a reason."""
        pending = open_promises(case.materials)
        if not pending:
            return None
        if not (reason and reason.strip()):
            raise PromiseOpen(details={"materials": [m.name for m in pending], "keys": [m.key for m in pending]})
        why = reason.strip()
        return tuple(replace(m, promise=replace(m.promise, status=PromiseStatus.WAIVED, waived_at=now, waived_by=by,
                                                waiver_reason=why))
                     if m.promise is not None and m.promise_open else m for m in case.materials)

    @staticmethod
    def approved(case: Case, *, by: Actor, now: dt.datetime) -> tuple[Material, ...]:
        """An approval is the final judgement of every given material nobody judged one by one."""
        review = Review(status=ReviewStatus.ACCEPTED, reason=None, at=now, by=by, implied=True)
        return tuple(replace(m, review=review) if m.provided and m.review is None else m for m in case.materials)

    async def reference(self, case_id: str, applicant_id: str, materials: Sequence[Material], session: Any) -> None:
        """Inside the case's transaction: its files are referenced (no longer orphans) and its
        licences' use recorded."""
        file_ids = sorted({f for m in materials for f in m.file_ids})
        await self.files.attach(applicant_id, file_ids, case_id, session)
        licence_ids = sorted({m.licence_id for m in materials if m.licence_id})
        await self.licences.note_use(applicant_id, licence_ids, case_id, session)

    async def completed(self, case: Case, session: Any) -> None:
        """Inside the transaction that completes a case: the licence its service issues."""
        await self.licences.issue_for_case(licence_case(case), session)

    def judged(self, case: Case, key: str, verdict: str, reason: str | None, *, by: Actor,
               now: dt.datetime) -> tuple[Material, ...]:
        """The materials with one of them judged; 409 outside review, 400 without a reason to refuse."""
        if case.status not in REVIEWABLE:
            raise errors.InvalidState("办件当前状态下不能审核材料", details={"status": case.status})
        if key not in {m.key for m in case.materials}:
            raise errors.NotFound("该办件没有这项材料")
        if verdict == "rejected" and not (reason and reason.strip()):
            raise errors.InvalidInput({"reason": "请说明不予认可的原因（将告知申请人补正）"})
        review = Review(status=ReviewStatus(verdict), reason=(reason or "").strip() or None, at=now, by=by)
        return tuple(replace(m, review=review) if m.key == key else m for m in case.materials)

    @staticmethod
    def correction(case: Case, missing: list[str] | None,
                   keys: list[str] | None) -> tuple[list[str], list[str]]:
        """What a correction request names: the materials given (or, by default, those judged not
        acceptable) and the free-text list shown to the applicant."""
        materials = {m.key: m for m in case.materials}
        if keys:
            unknown = sorted(set(keys) - set(materials))
            if unknown:
                raise errors.InvalidInput({"materials": "包含本办件没有的材料"}, details={"unknown": unknown})
        else:
            keys = [k for k, m in materials.items()
                    if m.review is not None and m.review.status is ReviewStatus.REJECTED]
        text = list(missing or [])
        for k in keys:
            m = materials[k]
            reason = None if m.review is None else m.review.reason
            line = f"{m.name}：{reason}" if reason else m.name
            if not any(m.name in t for t in text):
                text.append(line)
        return text, list(keys)
