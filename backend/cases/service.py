"""Cases (办件): submission, the one guarded transition function, the timeline residents and
staff see, ratings (好差评) with rectification, and supervision lights (电子监察).

Every move is a conditional update on the previous ``status`` and ``version`` inside a
transaction that also writes the outbox event, so two staff racing on one case cannot both move
it, and no move happens without its message (nor a message without its move).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bson import ObjectId

from backend.audit.service import AuditLog, resident_actor, staff_actor
from backend.cases import materials as case_materials
from backend.cases.access import CASE, MOVES, RATING, RECTIFICATION, CaseAccess, separated
from backend.cases.errors import AlreadyRated, NotOnline, OpenCaseExists, SeparationOfDuties
from backend.cases.labels import CASE_STATUS
from backend.cases.materials import REVIEWABLE, CaseMaterials
from backend.cases.once import Submissions, window_filing
from backend.cases.ports import Agency, Applicants, FaceProof
from backend.cases.rules import outcome, rating_allowed
from backend.cases.serials import serial_for
from backend.cases.store import CaseStore, RatingExists
from backend.cases.values import (
    OPEN,
    Actor,
    Agent,
    AlreadyClaimed,
    BundleLink,
    Case,
    CaseMove,
    CaseStatus,
    Channel,
    Correction,
    Deadline,
    FormField,
    Light,
    Material,
    Outcome,
    PromiseTimes,
    Rating,
    Rectification,
    RectificationStatus,
    Step,
)
from backend.cases.views import SupervisionTally, case_view, rating_view, rectification_view
from backend.catalogue.service import CatalogueService
from backend.config import CasesConfig
from backend.core import errors
from backend.core.access import Resident, Staff, access_realname, access_staff_role
from backend.core.clock import TZ, Clock
from backend.core.ids import cursor_id
from notify.outbox import Outbox

Transaction = Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]]


class CaseService:
    def __init__(self, *, store: CaseStore, transaction: Transaction, catalogue: CatalogueService,
                 users: Applicants, outbox: Outbox, audit: AuditLog, clock: Clock, config: CasesConfig,
                 materials: CaseMaterials, agency: Agency, face: FaceProof):
        self.store, self.face = store, face  # face: a high-assurance service filed online needs a recent proof
        self._tx = transaction      # runs fn(session) in one multi-document transaction
        self.catalogue = catalogue
        self.users = users          # the user directory: ``get``, ``get_many``, ``find``
        self.outbox = outbox
        self.audit = audit
        self.clock = clock
        self.cfg = config
        self.calendar = catalogue.calendar
        self.materials = materials  # files and licences given per material (cases/materials.py)
        self.agency = agency        # 帮办代办: who may file for whom (``AgencyDesk``)
        self.once = Submissions(store=store, clock=clock, config=config)  # submissions made once
        self.access = CaseAccess(store)

    async def plan_lights(self) -> None:
        """Give every open case that has none its time to be looked at by the supervision job (cases
        stored before lights were planned; a migration: safe to run again)."""
        now = self.clock.now()
        async for case in self.store.open_cases_without_light_plan():
            await self.store.set_light(case, light=case.light,
                                       next_due=self.light_due(case.status, case.deadline, case.light, now),
                                       unplanned=True)

    # Submission --------------------------------------------------------------------------------
    async def submit(self, resident: Resident, body: dict[str, Any], ip: str | None = None,
                     key: str | None = None) -> tuple[dict[str, Any], bool]:
        """A resident's submission, made once (``cases.once``): (the case, True) when this request
        made it; (the first one, False) for a repeat of the same key or the same content."""
        access_realname(resident)
        plan = self.once.plan(resident.id, "case", body, key)
        actor = Actor(type="resident", id=resident.id, name=None)

        async def claim(case: Case, s: Any) -> None:
            await self.once.claim(plan, {"type": "application", "id": case.id}, s)
        for _ in range(2):  # a claim that lapses between the clash and its read: try once more
            try:
                if body.get("on_behalf_of"):  # a resident filing in the name of someone who granted them
                    agency = await self.agency.for_resident(resident, authorization_id=body["on_behalf_of"],
                                                            service_id=body["service_id"])
                    return await self._create(agency.applicant_id, body, actor=actor, channel=Channel.ONLINE,
                                              agency=agency, agent=resident, ip=ip, within=claim), True
                return await self._create(resident.id, body, actor=actor, channel=Channel.ONLINE, within=claim), True
            except AlreadyClaimed:
                first = await self.once.first(plan)
                case = await self.store.case(first["id"]) if first is not None else None
                if case is not None:
                    return self.view(case, staff=False, rated=await self._rated(case)), False
        raise errors.Conflict("提交正在处理，请稍后在“我的办件”查看")

    async def register(self, staff: Staff, body: dict[str, Any], ip: str) -> dict[str, Any]:
        """A case taken at a window for a resident (窗口收件): present with their 办事码, or granted."""
        CASE.check(staff, "register")
        agency = await self.agency.for_staff(staff, service_id=body["service_id"], resident_id=body.get("resident_id"),
                                             authorization_id=body.get("authorization_id"),
                                             identity_code=body.get("identity_code"), filing=window_filing(body))
        if agency.prior_case_id is not None and (made := await self.store.case(agency.prior_case_id)) is not None:
            return self.view(made, staff=False)
        user = await self.users.get(agency.applicant_id)
        if user is None:
            raise errors.InvalidInput({"resident_id": "居民不存在"})
        if not user.realname_verified:
            raise errors.RealnameRequired("该居民尚未实名认证")
        if not body.get("confirm"):  # the same person and service again: the clerk confirms it is wanted
            running = await self.store.open_case_of(user.id, body["service_id"])
            if running is not None:
                raise OpenCaseExists(
                    f"该居民已有同一事项正在办理的办件（办件编号 {running.serial}，"
                    f"{CASE_STATUS[running.status]}），确认后仍可登记",
                    details={"application_id": running.id, "serial": running.serial,
                             "status": str(running.status), "status_name": CASE_STATUS[running.status],
                             "created_at": running.created_at.isoformat()})
        case = await self._create(user.id, body, channel=Channel.WINDOW, agency=agency, agent=staff, ip=ip,
                                  actor=_actor(staff))
        await self.audit.record(actor=staff_actor(staff), action="case.register", target_type="application",
                                target_id=case["id"], details={"service_id": body["service_id"]}, ip=ip)
        return case

    async def _create(self, applicant_id: str, body: dict[str, Any], *, actor: Actor, channel: Channel,
                      agency: Any = None, agent: Resident | Staff | None = None, ip: str | None = None,
                      within: Callable[[Case, Any], Awaitable[None]] | None = None) -> dict[str, Any]:
        case = await self.prepare(applicant_id, body, actor=actor, channel=channel, agency=agency)

        async def work(s: Any) -> Case:
            if within is not None:  # first: a clash ends the transaction before anything else is written
                await within(case, s)
            stored = await self.insert(case, s)
            if agency is not None and agent is not None:  # filed for someone else: by this agent
                await self.agency.filed(agency, _filed_case(stored), actor=agent, ip=ip, session=s)
            return stored
        stored: Case = await self._tx(work)
        return self.view(stored, staff=False)

    async def prepare(self, applicant_id: str, body: dict[str, Any], *, actor: Actor, channel: Channel,
                      agency: Any = None, note: str | None = None, bundle_id: str | None = None,
                      form_fields: list[FormField] | None = None) -> Case:
        """A new case checked against its service's guide, not yet stored (``insert`` stores it and
        gives it its serial). A 一件事's case names its bundle and the fields of the bundle's form."""
        try:
            service = await self.catalogue.get_service(body["service_id"])
        except errors.NotFound:
            raise errors.InvalidInput({"service_id": "事项不存在或已停办"}) from None
        guide = service["guide"]
        if channel is Channel.ONLINE and not guide.get("online"):
            raise NotOnline("该事项不支持网上申报，请预约到大厅办理")
        if channel is Channel.ONLINE and service.get("high_assurance") and actor.type == "resident":  # who files
            await self.face.require_fresh(actor.id)
        now = self.clock.now()
        materials = await self.materials.resolve(applicant_id, guide["materials"], body, channel=str(channel),
                                                 now=now)
        today = now.astimezone(TZ).date()
        deadline = self._deadline(today, guide["promised_days"])
        first = Step(status=CaseStatus.SUBMITTED, at=now, actor=actor,
                     note=note or (agency.timeline_note() if agency is not None
                                   else "网上申报" if channel is Channel.ONLINE else "窗口收件"),
                     agent=_agent(agency.agent) if agency is not None and agency.via == "grant" else None)
        return Case(
            id=str(ObjectId()), serial="", service_id=service["id"], service_name=service["name"],
            department_id=service["department_id"], department_name=service["department_name"],
            applicant_id=applicant_id, status=CaseStatus.SUBMITTED, version=1, channel=channel, form=body["form"],
            form_fields=tuple(form_fields if form_fields is not None
                              else (_form_field(f) for f in case_materials.form_fields(guide.get("form")))),
            materials=materials, promises=self._promise_fields(materials),
            promised_days=guide["promised_days"], deadline=deadline,
            deadline_provisional=self._provisional(today, deadline), light=Light.GREEN,
            light_due_at=self.light_due(CaseStatus.SUBMITTED, deadline, Light.GREEN, now),
            created_at=now, updated_at=now, timeline=(first,),
            bundle=None if bundle_id is None else BundleLink(id=bundle_id))

    async def insert(self, case: Case, s: Any, *, bundle: BundleLink | None = None, note: str | None = None) -> Case:
        """Store a prepared case with its serial and its first message, in the caller's transaction;
        the case as stored. A 一件事's case is stored with its bundle (serial and name: its messages
        are worded as the bundle's) and the first step's ``note`` naming it."""
        key = case.created_at.astimezone(TZ).strftime("%Y%m%d")
        case = replace(case, serial=serial_for(key, await self.store.next_serial_number(key, s)))
        if bundle is not None:
            case = replace(case, bundle=bundle)
        if note is not None:
            case = replace(case, timeline=(replace(case.timeline[0], note=note), *case.timeline[1:]))
        await self.store.insert_case(case, s)
        await self.materials.reference(case.id, case.applicant_id, case.materials, s)
        if case.bundle is None:  # a 一件事's cases are told as one: its bundle.submitted message
            await self.outbox.emit("case.status_changed", user_id=case.applicant_id, session=s,
                                   dedupe_key=f"case:{case.id}:1", payload=self._payload(case, None))
        return case

    async def _tell(self, new: Case, note: str | None, s: Any, *, correction: dict[str, Any]) -> None:
        """What the applicant is told of a move, one message per event, in the move's transaction:
        a 补正 is its correction message alone (it carries the status); a case of a 一件事 speaks
        through its bundle — its acceptance once per bundle, its steps on the bundle's page, its end
        in the bundle's completion (which invites rating) — except a refusal or a 补正, each its own."""
        oid, v, to = new.id, new.version, new.status
        bundle = new.bundle
        if to is CaseStatus.CORRECTION_REQUESTED:
            await self.outbox.emit("case.correction_requested", user_id=new.applicant_id, session=s,
                                   dedupe_key=f"case:{oid}:{v}:correction",
                                   payload={**self._payload(new, note), "missing": correction["missing"],
                                            "due": correction["due"]})
        elif bundle is not None and to is not CaseStatus.REJECTED:
            # Its first acceptance only: a write the dedupe key refused would end the transaction.
            if to is CaseStatus.ACCEPTED and not await self.store.bundle_accepted_before(bundle.id, oid, s):
                await self.outbox.emit("bundle.progress", user_id=new.applicant_id, session=s,
                                       dedupe_key=f"bundle:{bundle.id}:accepted",
                                       payload={"bundle_id": bundle.id, "serial": bundle.serial or "",
                                                "name": bundle.name or "", "status": "accepted"})
        else:
            await self.outbox.emit("case.status_changed", user_id=new.applicant_id, session=s,
                                   dedupe_key=f"case:{oid}:{v}", payload=self._payload(new, note))
        if rating_allowed(to, new.history) and bundle is None:
            await self.outbox.emit("rating.invited", user_id=new.applicant_id, session=s,
                                   dedupe_key=f"case:{oid}:rating-invite", payload=self._payload(new, None))

    def _deadline(self, start: dt.date, days: int) -> dt.datetime:
        due = self.calendar.add_working_days(start, days)
        return dt.datetime.combine(due, dt.time(23, 59, 59), TZ)

    def _provisional(self, start: dt.date, deadline: dt.datetime) -> bool:
        """Whether a deadline was counted across a year not yet official."""
        return bool(self.calendar.provisional_within(start, deadline.astimezone(TZ).date()))

    def _payload(self, case: Case, note: str | None) -> dict[str, Any]:
        payload = {"application_id": case.id, "serial": case.serial, "service_name": case.service_name,
                   "status": str(case.status), "note": note or ""}
        refusal = outcome(case.status, case.history)
        if refusal:
            payload["outcome"] = refusal
        return payload

    # Reading -----------------------------------------------------------------------------------
    async def get_own(self, resident: Resident, case_id: str) -> dict[str, Any]:
        case = await self.access.access_case(resident, case_id, "view")
        return self.view(case, staff=False, rated=await self._rated(case))

    async def own_views(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """The resident's views of these cases (those still found), in order."""
        cases = [await self.store.case(i) for i in case_ids]
        return [self.view(c, staff=False) for c in cases if c is not None]

    async def list_own(self, resident: Resident, *, cursor: str | None, limit: int) -> dict[str, Any]:
        cases = await self.store.cases_of_applicant(resident.id, before=cursor_id(cursor), limit=limit + 1)
        more = len(cases) > limit
        cases = cases[:limit]
        return {"items": [self.view(c, staff=False) for c in cases], "next_cursor": cases[-1].id if more else None}

    async def get_staff(self, staff: Staff, case_id: str) -> dict[str, Any]:
        """A case by its id or its serial (办件编号)."""
        case = await self.access.access_case(staff, case_id, "inspect")
        return await self._staff_view(case, rated=await self._rated(case))

    async def _staff_view(self, case: Case, *, rated: bool = False) -> dict[str, Any]:
        return self.view(case, staff=True, rated=rated, applicant=await self.users.get(case.applicant_id))

    async def _rated(self, case: Case | None) -> bool:
        return case is not None and await self.store.is_rated(case.id)

    def view(self, case: Case, *, staff: bool, rated: bool = False, applicant: Any = None) -> dict[str, Any]:
        """The case as the API shows it now (``views.case_view``)."""
        return case_view(case, staff=staff, now=self.clock.now(), rated=rated, applicant=applicant)

    # The state machine ------------------------------------------------------------------------
    async def transition(self, principal: Resident | Staff, case_id: str, to: str, *, note: str | None = None,
                         reason: str | None = None, missing: list[str] | None = None, due: str | None = None,
                         ip: str | None = None, material_keys: list[str] | None = None,
                         promise_reason: str | None = None) -> dict[str, Any]:
        """A step of the state machine by staff (``move``) or the applicant's withdrawal."""
        case = await self.access.access_case(principal, case_id, "move" if isinstance(principal, Staff)
                                             else "withdraw")
        return await self._move(principal, case, to, note=note, reason=reason, missing=missing, due=due, ip=ip,
                                material_keys=material_keys, promise_reason=promise_reason)

    async def _move(self, principal: Resident | Staff, case: Case, to: str, *, note: str | None = None,
                    reason: str | None = None, missing: list[str] | None = None, due: str | None = None,
                    form: dict[str, Any] | None = None, resupplied: tuple[Material, ...] | None = None,
                    ip: str | None = None, material_keys: list[str] | None = None,
                    promise_reason: str | None = None) -> dict[str, Any]:
        was = str(case.status)
        allowed = MOVES[was]
        if to not in allowed:
            raise errors.InvalidState(f"办件当前为“{CASE_STATUS.get(was)}”，"
                                      f"不能变更为“{CASE_STATUS.get(to, to)}”",
                                      details={"from": was, "to": to})
        roles = allowed[to]
        if isinstance(principal, Staff):
            if not roles:
                raise errors.InvalidState("该操作只能由申请人进行", details={"from": was, "to": to})
            access_staff_role(principal, roles)
            if not separated(principal, case, to):
                await self._refuse_own_case(principal, case, to, ip)
        elif roles:
            raise errors.InvalidState("该操作须由工作人员进行", details={"from": was, "to": to})
        status = CaseStatus(to)
        now = self.clock.now()
        today = now.astimezone(TZ).date()
        refusal: tuple[str, Outcome | None] | None = None
        correction: Correction | None = None
        deadline: Deadline | None = None
        if status is CaseStatus.REJECTED:
            if not (reason and reason.strip()):
                raise errors.InvalidInput({"reason": "驳回（不予受理）须说明理由"})
            # the outcome is kept on the case for readers of its brief form
            refusal = (reason.strip(), _outcome(outcome(to, case.history)))
            note = note or reason
        if status is CaseStatus.CORRECTION_REQUESTED:
            missing, material_keys = self.materials.correction(case, missing, material_keys)
            if not missing:
                raise errors.InvalidInput({"missing": "请写明需补正的材料或内容"})
            due_date = dt.date.fromisoformat(due) if due else today + dt.timedelta(days=self.cfg.correction_days)
            if due_date <= today:
                raise errors.InvalidInput({"due": "补正截止日期须晚于今天"})
            correction = Correction(missing=tuple(missing), materials=tuple(material_keys), due=due_date,
                                    requested_at=now)
            note = note or ("需补正：" + "、".join(missing))
        resumed = case.status is CaseStatus.CORRECTION_REQUESTED and status is CaseStatus.SUBMITTED
        if resumed:
            paused = case.paused_at or now
            lost = self.calendar.working_days_between(paused.astimezone(TZ).date(), today)
            if case.deadline and lost > 0:
                moved_to = self._deadline(case.deadline.astimezone(TZ).date(), lost)
                deadline = Deadline(at=moved_to, provisional=self._provisional(today, moved_to))
            note = note or "已补正并重新提交"
        decision = self._materials_on_decision(case, to, principal, promise_reason, now)
        materials, promises = resupplied, (self._promise_fields(resupplied) if resupplied is not None else None)
        if decision.materials is not None:
            materials = decision.materials
        if decision.promises is not None:
            promises = decision.promises
        decided = status in (CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.APPROVED)
        move = CaseMove(
            step=Step(status=status, at=now, note=note, actor=_actor(principal)),
            light_due_at=self.light_due(status, deadline.at if deadline else case.deadline, case.light, now),
            form=form, materials=materials, promises=promises, refusal=refusal, correction=correction,
            resumed=resumed, deadline=deadline, decided_at=now if decided else None,
            completed_at=now if status is CaseStatus.COMPLETED else None,
            rating_remind_at=(now + dt.timedelta(days=self.cfg.rating_reminder_days)
                              if rating_allowed(to, [*case.history, to]) else None))
        told = {"missing": missing, **({"due": correction.due.isoformat()} if correction else {})}

        async def work(s: Any) -> Case | None:
            new = await self.store.move_case(case, move, s)
            if new is None:
                return None
            if resupplied is not None:
                await self.materials.reference(case.id, case.applicant_id, resupplied, s)
            if status is CaseStatus.COMPLETED:
                await self.materials.completed(new, s)
            await self._tell(new, note, s, correction=told)
            if isinstance(principal, Staff):
                await self.audit.record(actor=staff_actor(principal), action=f"case.{to}", target_type="application",
                                        target_id=case.id, details={"from": was, "note": note,
                                                                     **(decision.waiver or {})}, ip=ip, session=s)
            return new
        new: Case | None = await self._tx(work)
        if new is None:  # someone else moved it first
            raise errors.InvalidState("办件状态已被他人更新，请刷新后重试", details={"from": was, "to": to})
        return await self._staff_view(new) if isinstance(principal, Staff) else self.view(new, staff=False)

    async def _refuse_own_case(self, staff: Staff, case: Case, to: str, ip: str | None) -> None:
        """403, audited: whoever received or accepted the case does not decide it (``access.separated``)."""
        err = SeparationOfDuties()
        await self.audit.record(actor=staff_actor(staff), action=f"case.{to}", target_type="application",
                                target_id=case.id, details={"from": str(case.status), "reason": err.code},
                                ip=ip, outcome="denied")
        raise err

    async def resubmit(self, resident: Resident, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
        case = await self.access.access_case(resident, case_id, "resubmit")
        materials = None
        if case.status is CaseStatus.CORRECTION_REQUESTED:
            materials = await self.materials.resupply(case, body, self.clock.now())
        return await self._move(resident, case, "submitted", note=body.get("note"), form=body.get("form"),
                                resupplied=materials)

    async def review_material(self, staff: Staff, case_id: str, key: str, verdict: str, reason: str | None,
                              ip: str) -> dict[str, Any]:
        """Staff judge one material accepted or not acceptable (with a reason for the applicant)."""
        case = await self.access.access_case(staff, case_id, "review_material")
        now = self.clock.now()
        materials = self.materials.judged(case, key, verdict, reason, by=_by(staff), now=now)
        if not await self.store.replace_materials(case, statuses=REVIEWABLE, materials=materials, at=now):
            raise errors.InvalidState("办件已被他人更新，请刷新后重试")
        await self.audit.record(actor=staff_actor(staff), action="case.material.review", target_type="application",
                                target_id=case_id, details={"material": key, "verdict": verdict, "reason": reason},
                                ip=ip)
        return await self.get_staff(staff, case_id)

    # Materials: promises (容缺) and the judgement of a decision -----------------------------------
    def _promise_fields(self, materials: Sequence[Material]) -> PromiseTimes:
        return self.materials.promise_fields(materials)

    def _materials_on_decision(self, case: Case, to: str, principal: Resident | Staff,
                               promise_reason: str | None, now: dt.datetime) -> _Decision:
        """An approval judges every material nobody judged; completing needs every promise kept or a
        clerk's reason (409 ``promise_open``); a refused or withdrawn case owes nothing more."""
        if to in (CaseStatus.REJECTED, CaseStatus.WITHDRAWN):
            return _Decision(promises=PromiseTimes())
        if not isinstance(principal, Staff):
            return _Decision()
        by = _by(principal)
        if to == CaseStatus.APPROVED:
            return _Decision(materials=self.materials.approved(case, by=by, now=now))
        if to == CaseStatus.COMPLETED:
            waived = self.materials.waived(case, promise_reason, by=by, now=now)
            if waived is not None:
                return _Decision(materials=waived, promises=self._promise_fields(waived),
                                 waiver={"promise_waived": [m.key for m in
                                                            case_materials.open_promises(case.materials)],
                                         "promise_reason": promise_reason})
        return _Decision()

    async def _save_materials(self, case: Case, materials: Sequence[Material], statuses: tuple[str, ...]) -> None:
        now = self.clock.now()

        async def work(s: Any) -> None:
            if not await self.store.replace_materials(case, statuses=statuses, materials=materials, at=now,
                                                      promises=self._promise_fields(materials), session=s):
                raise errors.InvalidState("办件已被他人更新，请刷新后重试")
            await self.materials.reference(case.id, case.applicant_id, materials, s)
        await self._tx(work)

    async def supply_materials(self, resident: Resident, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The applicant supplies promised (容缺) materials later, with files or a licence."""
        case = await self.access.access_case(resident, case_id, "supply")
        materials = await self.materials.supply(case, body, self.clock.now())
        await self._save_materials(case, materials, case_materials.SUPPLIABLE)
        return await self.get_own(resident, case_id)

    async def receive_material(self, staff: Staff, case_id: str, key: str, ip: str) -> dict[str, Any]:
        """A clerk receives a promised material on paper at the window (audited)."""
        case = await self.access.access_case(staff, case_id, "receive_material")
        materials = self.materials.received(case, key, by=_by(staff), now=self.clock.now())
        await self._save_materials(case, materials, case_materials.SUPPLIABLE)
        await self.audit.record(actor=staff_actor(staff), action="case.material.receive", target_type="application",
                                target_id=case_id, details={"material": key}, ip=ip)
        return await self.get_staff(staff, case_id)

    async def remind_promises(self) -> int:
        """Periodic: remind once each applicant whose promised material is due soon."""
        now = self.clock.now()
        told = 0
        for case in await self.store.promises_due_for_reminder(now):
            for m in case_materials.open_promises(case.materials):
                await self.outbox.emit("case.promise_due", user_id=case.applicant_id,
                                       dedupe_key=f"case:{case.id}:promise:{m.key}",
                                       payload={"application_id": case.id, "serial": case.serial,
                                                "service_name": case.service_name, "material": m.name,
                                                "due": None if m.promise is None else m.promise.due})
                told += 1
            await self.store.clear_promise_reminder(case)
        return told

    # Ratings ------------------------------------------------------------------------------------
    async def rate(self, resident: Resident, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
        case = await self.access.access_case(resident, case_id, "rate")
        if not rating_allowed(case.status, case.history):
            raise errors.InvalidState("办结、不予批准或受理后撤回的办件才能评价", details={"status": str(case.status)})
        now = self.clock.now()
        rect: Rectification | None = None
        if body["score"] <= 2:
            due_day = self.calendar.add_working_days(now.astimezone(TZ).date(), self.cfg.rectification_working_days)
            rect = Rectification(id=str(ObjectId()), application_id=case.id, serial=case.serial,
                                 service_name=case.service_name, department_id=case.department_id or "",
                                 applicant_id=case.applicant_id, score=body["score"], comment=body.get("comment"),
                                 status=RectificationStatus.OPEN,
                                 due=dt.datetime.combine(due_day, dt.time(23, 59, 59), TZ), created_at=now)
        rating = Rating(id=str(ObjectId()), application_id=case.id, serial=case.serial,
                        department_id=case.department_id or "", service_id=case.service_id,
                        service_name=case.service_name, result=str(case.status), score=body["score"],
                        comment=body.get("comment"), indicators=tuple(body.get("indicators", [])), created_at=now,
                        rectification_id=rect.id if rect is not None else None)

        async def work(s: Any) -> None:
            await self.store.add_rating(rating, s)
            if rect is not None:
                await self.store.open_rectification(rect, s)
                await self.outbox.alert_staff(
                    "rectification.opened", application_id=case.id, department_id=case.department_id, session=s,
                    payload={"serial": case.serial, "service_name": case.service_name, "score": body["score"],
                             "due": rect.due})
            await self.store.clear_rating_reminder(case.id, s)
        try:
            await self._tx(work)
        except RatingExists:
            raise AlreadyRated("该办件已评价") from None
        await self.audit.record(actor=resident_actor(resident), action="case.rate", target_type="application",
                                target_id=case.id, details={"score": body["score"]})
        return rating_view(rating, await self._department_names())

    async def list_ratings(self, staff: Staff, limit: int = 100) -> list[dict[str, Any]]:
        RATING.check(staff, "list")
        names = await self._department_names()  # an account limited to departments sees theirs only
        return [rating_view(r, names) for r in await self.store.latest_ratings(limit, staff.department_ids)]

    async def list_rectifications(self, staff: Staff, status: str | None) -> list[dict[str, Any]]:
        RECTIFICATION.check(staff, "list")
        names = await self._department_names()
        now = self.clock.now()
        return [rectification_view(r, names, now)
                for r in await self.store.rectifications(status, staff.department_ids)]

    async def reply_rectification(self, staff: Staff, rect_id: str, reply: str, ip: str) -> dict[str, Any]:
        await self.access.access_rectification(staff, rect_id, "reply")
        r = await self.store.reply_rectification(rect_id, reply=reply, at=self.clock.now(), by=staff.id)
        if r is None:
            raise errors.InvalidState("该整改单不是待答复状态")
        service_name = r.service_name or await self._service_name_of(r.application_id)
        await self.outbox.emit("case.rectification_reply", user_id=r.applicant_id,
                               dedupe_key=f"rect:{rect_id}:reply",
                               payload={"application_id": r.application_id, "serial": r.serial,
                                        "service_name": service_name, "reply": reply})
        await self.audit.record(actor=staff_actor(staff), action="rectification.reply", target_type="rectification",
                                target_id=rect_id, ip=ip)
        return rectification_view(r, await self._department_names(), self.clock.now())

    async def _service_name_of(self, case_id: str) -> str:
        case = await self.store.case(case_id, brief=True)
        return case.service_name if case is not None else ""

    async def close_rectification(self, staff: Staff, rect_id: str, note: str | None, ip: str) -> dict[str, Any]:
        RECTIFICATION.check(staff, "close")
        r = await self.store.close_rectification(rect_id, note=note, at=self.clock.now())
        if r is None:
            raise errors.InvalidState("答复后才能关闭整改单") if await self.store.rectification(rect_id) \
                else errors.NotFound()
        await self.audit.record(actor=staff_actor(staff), action="rectification.close", target_type="rectification",
                                target_id=rect_id, ip=ip)
        return rectification_view(r, await self._department_names(), self.clock.now())

    async def _department_names(self) -> dict[str, str]:
        return {d["id"]: d["name"] for d in await self.catalogue.departments()}

    # Supervision --------------------------------------------------------------------------------
    def light(self, deadline: dt.datetime, now: dt.datetime) -> tuple[Light, dt.datetime | None]:
        """A running case's light now, and when it next changes by itself (None: never, it is red).
        Yellow from the first day with at most ``yellow_working_days`` working days left to the
        deadline; red once the deadline has passed."""
        if now > deadline:
            return Light.RED, None
        last = deadline.astimezone(TZ).date()
        yellow_from, left = last, 0
        while True:  # walk back from the deadline while at most that many working days are left
            left_before = left + (1 if self.calendar.is_working_day(yellow_from) else 0)
            if left_before > self.cfg.yellow_working_days:
                break
            yellow_from, left = yellow_from - dt.timedelta(days=1), left_before
        if now.astimezone(TZ).date() >= yellow_from:
            return Light.YELLOW, deadline + dt.timedelta(seconds=1)
        return Light.GREEN, dt.datetime.combine(yellow_from, dt.time(0), TZ)

    def light_due(self, status: str, deadline: dt.datetime | None, light: Light | None,
                   now: dt.datetime) -> dt.datetime | None:
        """When the supervision job should next look at a case: when its light changes, now if the
        light it shows is already wrong, never (None) while its clock is stopped or it is finished."""
        if status not in OPEN or status == "correction_requested" or deadline is None:
            return None
        current, changes_at = self.light(deadline, now)
        return now if current != light else changes_at

    async def supervise(self) -> int:
        """Periodic: move the lights that are due to change (found by the ``light_due_at`` index);
        alert staff when one turns yellow or red."""
        now = self.clock.now()
        changed = 0
        async for case in self.store.cases_due_for_light(now):
            if case.status not in OPEN or case.status is CaseStatus.CORRECTION_REQUESTED or not case.deadline:
                await self.store.set_light(case, light=case.light, next_due=None)
                continue
            light, next_due = self.light(case.deadline, now)
            moved = await self.store.set_light(case, light=light, next_due=next_due)
            if moved and light != case.light and light in (Light.YELLOW, Light.RED):
                changed += 1
                await self.outbox.alert_staff(f"supervision.{light}", application_id=case.id,
                                              department_id=case.department_id,
                                              payload={"serial": case.serial, "service_name": case.service_name,
                                                       "deadline": case.deadline},
                                              dedupe_key=f"light:{case.id}:{light}")
        await self._remind_ratings(now)
        return changed

    async def _remind_ratings(self, now: dt.datetime) -> None:
        """Invite once more to rate a finished case nobody has rated some days after it finished."""
        async for case in self.store.due_rating_reminders(now):
            # A 一件事's cases were invited together by the bundle's completion message.
            if case.bundle is None and not await self._rated(case):
                await self.outbox.emit("rating.invited", user_id=case.applicant_id,
                                       dedupe_key=f"case:{case.id}:rating-reminder",
                                       payload={**self._payload(case, None), "reminder": True})
            await self.store.clear_rating_reminder(case.id)

    async def summary(self, staff: Staff) -> dict[str, Any]:
        CASE.check(staff, "supervise")
        tally = SupervisionTally(await self._department_names())  # limited to departments: theirs only
        async for f in self.store.handling_figures(staff.department_ids):
            tally.case(f)
        for dep, (n, total) in (await self.store.rating_totals_by_department(staff.department_ids)).items():
            tally.ratings(dep, n, total)
        return tally.view()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Decision:
    """What a decision does to a case's materials: judged or waived materials, the times of its
    promises, and the audit details of a waiver."""
    materials: tuple[Material, ...] | None = None
    promises: PromiseTimes | None = None
    waiver: dict[str, Any] | None = None


def _actor(principal: Resident | Staff) -> Actor:
    if isinstance(principal, Staff):
        return Actor(type="staff", id=principal.id, name=principal.display_name or principal.username)
    return Actor(type="resident", id=principal.id, name=None)


def _outcome(value: str | None) -> Outcome | None:
    return None if value is None else Outcome(value)


def _by(staff: Staff) -> Actor:
    """Who judged a material, as its review records it."""
    return _actor(staff)


def _agent(agent: dict[str, Any]) -> Agent:
    """The agency desk's masked agent, as the first step of the case shows it."""
    return Agent(type=str(agent["type"]), id=str(agent.get("id") or ""), name_masked=str(agent["name_masked"]))


def _form_field(f: dict[str, Any]) -> FormField:
    return FormField(key=f["key"], label=f["label"], type=f.get("type") or "string")


def _filed_case(case: Case) -> dict[str, Any]:
    """What the agency desk reads of a case filed under a grant (its port's shape)."""
    return {"_id": ObjectId(case.id), "serial": case.serial, "service_id": case.service_id,
            "service_name": case.service_name, "applicant_id": case.applicant_id}

