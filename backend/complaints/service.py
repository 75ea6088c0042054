"""12345 / 找茬: complaints, requests and suggestions, each tracked to an answer in time.

Statuses::

    received ──hotline assigns──▶ assigned ──department replies──▶ replied ──feedback / 7 days──▶ closed
       │  └──hotline answers directly──────────────────────────────▲   │
       └──hotline merges a duplicate──▶ closed                         └──not satisfied (once)──▶ assigned

Each stage has a due time counted in working days (the catalogue's calendar): the hotline has
``assign_working_days`` to assign or answer, the department ``reply_working_days`` to reply
(again after a reopen). Lights as for cases: yellow once fewer than ``yellow_working_days`` are
left, red past the due time, and the responsible staff are alerted through the outbox.

Every move is one conditional update on the previous status and version, written in one
transaction with the resident's message, so a double click or two operators racing move it once.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from backend.audit.service import AuditLog, resident_actor, staff_actor, system_actor
from backend.calendar.working import WorkingCalendar
from backend.complaints.access import COMPLAINT, ComplaintAccess
from backend.complaints.labels import CATEGORIES
from backend.complaints.ports import Residents
from backend.complaints.store import ComplaintStore
from backend.complaints.values import (
    OPEN,
    ClosedReason,
    Complaint,
    ComplaintStatus,
    Feedback,
    Reply,
    StageDue,
    Step,
)
from backend.complaints.views import complaint_view, figures_view, page_view
from backend.config import ComplaintsConfig
from backend.core import errors
from backend.core.access import Resident, Staff
from backend.core.clock import TZ, Clock
from backend.core.ids import cursor_id

Transaction = Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]]
# A move of one complaint inside the given session: the complaint as it now is, or None when
# someone else moved it first.
Change = Callable[[Any], Awaitable[Complaint | None]]


PHOTO_REF = "complaint:"   # how a complaint refers to its photos in the files domain


class FileOwnership(Protocol):
    """The files domain's view for complaints: which files are the resident's, and referencing
    them from a complaint (a referenced file is kept; the orphan sweep removes only the rest)."""

    async def owned_by(self, user_id: str, file_ids: list[str]) -> set[str]: ...

    async def attach(self, owner_id: str, file_ids: list[str], ref: str, session: Any = None) -> None: ...

    def add_reader(self, prefix: str, check: Callable[[Staff, str], Awaitable[bool]]) -> None: ...


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), TZ)


class ComplaintService:
    def __init__(self, *, store: ComplaintStore, transaction: Transaction, catalogue: Any,
                 calendar: WorkingCalendar, outbox: Any, audit: AuditLog, files: FileOwnership, clock: Clock,
                 config: ComplaintsConfig, users: Residents):
        self.store = store
        self.access = ComplaintAccess(store)
        self._tx = transaction
        self.catalogue = catalogue      # department names
        self.calendar = calendar
        self.outbox = outbox
        self.audit = audit
        self.files = files
        self.clock = clock
        self.cfg = config
        self.users = users              # finding a resident's complaints by ID number or full name

    # -- due times and lights --------------------------------------------------------------------

    def due_after(self, start: dt.datetime, working_days: int) -> dt.datetime:
        """The end of the ``working_days``-th working day after ``start``'s day."""
        return end_of(self.calendar.add_working_days(start.astimezone(TZ).date(), working_days))

    def _yellow_from(self, due: dt.datetime) -> dt.datetime:
        """The start of the first day from which fewer than ``yellow_working_days`` working days are left."""
        due_day = due.astimezone(TZ).date()
        day = due_day
        for _ in range(366):
            if self.calendar.working_days_between(day - dt.timedelta(days=1), due_day) >= self.cfg.yellow_working_days:
                break
            day -= dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(0, 0), TZ)

    def light_of(self, due: dt.datetime, now: dt.datetime) -> tuple[str, dt.datetime | None]:
        """The light now, and when it next changes (None once red)."""
        if now > due:
            return "red", None
        yellow = self._yellow_from(due)
        if now >= yellow:
            return "yellow", due + dt.timedelta(seconds=1)
        return "green", yellow

    def stage(self, due: dt.datetime, now: dt.datetime) -> StageDue:
        """A stage's due time and light, provisional while the due time was counted on a year whose
        official holidays are not entered yet."""
        light, light_at = self.light_of(due, now)
        provisional = self.calendar.provisional_within(now.astimezone(TZ).date(), due.astimezone(TZ).date())
        return StageDue(due=due, light=light, light_at=light_at, provisional=bool(provisional))

    # -- residents ---------------------------------------------------------------------------------

    async def submit(self, resident: Resident, body: dict[str, Any]) -> dict[str, Any]:
        attachments = list(dict.fromkeys(body.get("attachments") or []))
        if attachments:
            owned = await self.files.owned_by(resident.id, attachments)
            unknown = [f for f in attachments if f not in owned]
            if unknown:
                raise errors.InvalidInput({"attachments": "附件不存在或不是您上传的文件"}, details={"unknown": unknown})
        now = self.clock.now()
        stage = self.stage(self.due_after(now, self.cfg.assign_working_days), now)

        async def work(s: Any) -> Complaint:
            key = now.astimezone(TZ).strftime("%Y%m%d")
            c = await self.store.create(
                serial=f"GD{key}{await self.store.next_serial_number(key, s):06d}", user_id=resident.id,
                category=body["category"], content=body["content"].strip(),
                location=(body.get("location") or "").strip() or None, attachments=attachments,
                contact_ok=bool(body.get("contact_ok", False)),
                contact_phone=(body.get("contact_phone") or None) if body.get("contact_ok") else None, stage=stage,
                step=Step(now, "诉求已登记", {"type": "resident"}), session=s)
            await self.files.attach(resident.id, attachments, PHOTO_REF + c.id, s)
            await self._tell(c, "complaint.received", {"due": stage.due.isoformat()}, s)
            return c
        created: Complaint = await self._tx(work)
        return complaint_view(created, staff=False)

    async def list_own(self, resident: Resident, *, cursor: str | None, limit: int) -> dict[str, Any]:
        found = await self.store.of_user(resident.id, before=cursor_id(cursor), limit=limit + 1)
        return page_view(found, limit, staff=False)

    async def get_own(self, resident: Resident, complaint_id: str) -> dict[str, Any]:
        return complaint_view(await self.access.access_complaint(resident, complaint_id, "view"), staff=False)

    async def feedback(self, resident: Resident, complaint_id: str, body: dict[str, Any]) -> dict[str, Any]:
        c = await self.access.access_complaint(resident, complaint_id, "feedback")
        if c.status != ComplaintStatus.REPLIED:
            raise errors.InvalidState("答复后才能评价是否满意", details={"status": c.status.value})
        now = self.clock.now()
        comment = (body.get("comment") or "").strip() or None
        feedback = Feedback(satisfied=body["satisfied"], comment=comment, at=now)
        change: Change
        extra: dict[str, Any]
        if body["satisfied"] or c.reopened:
            step = Step(now, "群众满意" if body["satisfied"] else "群众仍不满意，工单办结", {"type": "resident"})

            def change(s: Any) -> Awaitable[Complaint | None]:
                return self.store.close(c, ClosedReason.FEEDBACK, step, feedback=feedback, session=s)
            kind, extra = "complaint.closed", {"reason": "satisfied" if body["satisfied"] else "unsatisfied"}
        else:
            back = ComplaintStatus.ASSIGNED if c.department_id else ComplaintStatus.RECEIVED
            days = self.cfg.reply_working_days if back == ComplaintStatus.ASSIGNED else self.cfg.assign_working_days
            stage = self.stage(self.due_after(now, days), now)
            step = Step(now, f"群众不满意，退回重新办理{'：' + comment if comment else ''}", {"type": "resident"})

            def change(s: Any) -> Awaitable[Complaint | None]:
                return self.store.reopen(c, back, stage=stage, feedback=feedback, step=step, session=s)
            kind, extra = "complaint.reopened", {
                "returned_to": c.department_name if back == ComplaintStatus.ASSIGNED else "12345热线",
                "due": stage.due.isoformat()}
        new = await self._commit(c, change, kind, extra)
        await self.audit.record(actor=resident_actor(resident), action="complaint.feedback", target_type="complaint",
                                target_id=c.id, details={"satisfied": body["satisfied"]})
        return complaint_view(new, staff=False)

    # -- staff -------------------------------------------------------------------------------------

    async def list_staff(self, staff: Staff, q: dict[str, Any], ip: str | None = None) -> dict[str, Any]:
        """Complaints by status, department and light (newest first, or ``order=oldest``); or, given
        ``q``, the complaint of that serial or those of the resident with that ID number or full name
        (matched by identity's keyed hashes; such a search is audited)."""
        COMPLAINT.check(staff, "list")
        limit, before = q.get("limit", 50), cursor_id(q.get("cursor"))
        text = (q.get("q") or "").strip()
        if text:
            return page_view(await self._search(staff, text, before, limit + 1, ip), limit, staff=True)
        found = await self.store.for_staff(status=q.get("status"), department_id=q.get("department_id"),
                                           light=q.get("light"), before=before, limit=limit + 1,
                                           oldest=q.get("order") == "oldest")
        return page_view(found, limit, staff=True)

    async def _search(self, staff: Staff, text: str, before: Any, limit: int, ip: str | None) -> list[Complaint]:
        serial = text.upper()
        if serial.startswith("GD"):
            c = await self.store.by_serial(serial)
            return [c] if c is not None and before is None else []
        people = await self.users.find(text)
        if before is None:  # one entry per search, not per page
            await self.audit.record(actor=staff_actor(staff), action="complaint.search", target_type="resident",
                                    target_id=people[0].id if len(people) == 1 else None,
                                    details={"residents": len(people)}, ip=ip)
        if not people:
            return []
        return await self.store.for_staff(status=None, department_id=None, light=None, before=before, limit=limit,
                                          user_ids=[p.id for p in people])

    async def waiting(self, staff: Staff) -> dict[str, Any]:
        """What waits: complaints to assign (the hotline) and to answer (departments), with the oldest's time."""
        COMPLAINT.check(staff, "list")
        rows = await self.store.waiting(OPEN)
        return {"items": [{"status": str(w.status), "count": w.count, "oldest_at": w.oldest_at} for w in rows]}

    async def get_staff(self, staff: Staff, complaint_id: str) -> dict[str, Any]:
        return complaint_view(await self.access.access_complaint(staff, complaint_id, "read"), staff=True)

    async def assign(self, staff: Staff, complaint_id: str, department_id: str, note: str | None,
                     ip: str) -> dict[str, Any]:
        """The hotline hands a complaint to a department (or to another one, if it went astray)."""
        c = await self.access.access_complaint(staff, complaint_id, "assign")
        if not c.is_open:
            raise errors.InvalidState("只有待分派或办理中的工单可以分派", details={"status": c.status.value})
        dept = next((d for d in await self.catalogue.departments() if d["id"] == department_id), None)
        if dept is None:
            raise errors.InvalidInput({"department_id": "部门不存在"})
        now = self.clock.now()
        stage = self.stage(self.due_after(now, self.cfg.reply_working_days), now)
        text = f"转交{dept['name']}办理" + (f"：{note.strip()}" if note and note.strip() else "")
        new = await self._commit(
            c, lambda s: self.store.assign(c, department_id=dept["id"], department_name=dept["name"], stage=stage,
                                             step=Step(now, text, _actor(staff)), session=s),
            "complaint.assigned", {"department_name": dept["name"], "due": stage.due.isoformat()})
        await self.audit.record(actor=staff_actor(staff), action="complaint.assign", target_type="complaint",
                                target_id=c.id, details={"department_id": department_id}, ip=ip)
        return complaint_view(new, staff=True)

    async def reply(self, staff: Staff, complaint_id: str, text: str, ip: str) -> dict[str, Any]:
        """The department replies to an assigned complaint; the hotline may answer one it has not
        assigned yet (a question it can answer itself)."""
        c = await self.access.access_complaint(staff, complaint_id, "reply")
        if c.status == ComplaintStatus.RECEIVED:
            by = "12345热线"
        elif c.status == ComplaintStatus.ASSIGNED:
            by = c.department_name or ""
        else:
            raise errors.InvalidState("该工单当前不能答复", details={"status": c.status.value})
        now = self.clock.now()
        reply = Reply(text=text.strip(), at=now, by=by)
        on_time = c.due is not None and now <= c.due
        said = {"replied_by": by, "reply": reply.text, "close_after_days": self.cfg.close_after_days}

        async def followers(s: Any) -> None:
            for f in await self.store.merged_into(c.id, session=s):
                await self.store.copy_reply(f, reply, s)
                await self.outbox.emit("complaint.replied", user_id=f.user_id, session=s,
                                       dedupe_key=f"complaint:{f.id}:master-reply:{c.version}",
                                       payload=self._payload(f, {**said, "master_serial": c.serial}))
        new = await self._commit(
            c, lambda s: self.store.record_reply(c, reply, on_time=on_time,
                                                   close_at=now + dt.timedelta(days=self.cfg.close_after_days),
                                                   step=Step(now, f"{by}已答复", _actor(staff)), session=s),
            "complaint.replied", said, also=followers)
        await self.audit.record(actor=staff_actor(staff), action="complaint.reply", target_type="complaint",
                                target_id=c.id, details={"on_time": on_time}, ip=ip)
        return complaint_view(new, staff=True)

    async def contact(self, staff: Staff, complaint_id: str, ip: str) -> dict[str, Any]:
        """The full phone number a resident left for the staff handling their complaint now (the
        hotline before it is assigned, the department after); every look is in the audit log."""
        c = await self.access.access_complaint(staff, complaint_id, "contact")
        if c.status not in (ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED):
            raise errors.InvalidState("工单已办结，不再提供联系方式", details={"status": c.status.value})
        if not (c.contact_ok and c.contact_phone):
            raise errors.NotFound("群众没有留下联系电话")
        await self.audit.record(actor=staff_actor(staff), action="complaint.contact.reveal", target_type="complaint",
                                target_id=c.id, details={"serial": c.serial}, ip=ip)
        return {"phone": c.contact_phone, "serial": c.serial}

    async def merge(self, staff: Staff, complaint_id: str, into: str, ip: str) -> dict[str, Any]:
        """The hotline closes a duplicate into the complaint it repeats; the duplicate's resident
        is told, and hears the reply when the master gets one."""
        c = await self.access.access_complaint(staff, complaint_id, "merge")
        master = await self.store.by_serial(into) or await self.store.get(into)
        if master is None:
            raise errors.InvalidInput({"into": "未找到要合并到的工单"})
        if master.id == c.id:
            raise errors.InvalidInput({"into": "不能合并到工单本身"})
        if master.status == ComplaintStatus.CLOSED or master.merged_into is not None:
            raise errors.InvalidInput({"into": "要合并到的工单已办结或已被合并"})
        if c.status != ComplaintStatus.RECEIVED:
            raise errors.InvalidState("只有待分派的工单可以合并", details={"status": c.status.value})
        now = self.clock.now()
        step = Step(now, f"与工单 {master.serial} 反映的问题相同，合并办理", _actor(staff))
        new = await self._commit(
            c, lambda s: self.store.merge(c, into=master, step=step, session=s),
            "complaint.merged", {"master_serial": master.serial})
        await self.audit.record(actor=staff_actor(staff), action="complaint.merge", target_type="complaint",
                                target_id=c.id, details={"into": master.serial}, ip=ip)
        return complaint_view(new, staff=True)

    async def summary(self, staff: Staff) -> dict[str, Any]:
        """Per department: received, replied, on time, still open, satisfaction."""
        COMPLAINT.check(staff, "summary")
        names = {d["id"]: d["name"] for d in await self.catalogue.departments()}
        return figures_view(await self.store.figures_by_department(), names)

    # -- periodic ----------------------------------------------------------------------------------

    async def supervise(self) -> int:
        """Lights of open complaints whose light is due to change, with alerts; then close replies
        nobody answered for ``close_after_days``. Both read only what is due (sparse indexes)."""
        now = self.clock.now()
        changed = 0
        for c in await self.store.lights_due(now):
            if not c.is_open or c.due is None:
                continue
            light, light_at = self.light_of(c.due, now)
            if not await self.store.set_light(c, light=light, light_at=light_at):
                continue
            if light != c.light and light in ("yellow", "red"):
                changed += 1
                await self._alert(c, c.due, light)
        for c in await self.store.closing_due(now):
            step = Step(now, f"答复后 {self.cfg.close_after_days} 天未评价，自动办结", {"type": "system"})
            try:
                await self._commit(c, functools.partial(self._close_unanswered, c, step), "complaint.closed", {
                    "reason": "no_feedback", "close_after_days": self.cfg.close_after_days})
            except errors.InvalidState:
                continue  # the resident answered meanwhile
            await self.audit.record(actor=system_actor("complaints"), action="complaint.close", target_type="complaint",
                                    target_id=c.id, details={"reason": "no_feedback"})
        return changed

    async def _alert(self, c: Complaint, due: dt.datetime, light: str) -> None:
        """Alert who is responsible now: the department once assigned, else the 12345 hotline."""
        await self.outbox.alert_staff(f"complaint.{light}", department_id=c.department_id,
                                      dedupe_key=f"complaint:{c.id}:{c.version}:{light}", payload={
                                          "complaint_id": c.id, "serial": c.serial,
                                          "category": CATEGORIES[c.category],
                                          "stage": None if c.stage is None else c.stage.value,
                                          "responsible": c.department_name or "12345热线",
                                          "due": due.isoformat()})

    # -- helpers -----------------------------------------------------------------------------------

    def _close_unanswered(self, c: Complaint, step: Step, session: Any) -> Awaitable[Complaint | None]:
        return self.store.close(c, ClosedReason.NO_FEEDBACK, step, session=session)

    async def _commit(self, c: Complaint, change: Change, kind: str, extra: dict[str, Any],
                      also: Callable[[Any], Awaitable[None]] | None = None) -> Complaint:
        """Make ``change`` (a store move, conditional on the status and version ``c`` was read at)
        and tell the resident, in one transaction."""
        async def work(s: Any) -> Complaint | None:
            new = await change(s)
            if new is None:
                return None
            await self._tell(new, kind, extra, s)
            if also is not None:
                await also(s)
            return new
        new: Complaint | None = await self._tx(work)
        if new is None:
            raise errors.InvalidState("工单状态已被他人更新，请刷新后重试", details={"status": c.status.value})
        return new

    async def _tell(self, c: Complaint, kind: str, extra: dict[str, Any], session: Any) -> None:
        await self.outbox.emit(kind, user_id=c.user_id, session=session,
                               dedupe_key=f"complaint:{c.id}:{c.version}",
                               payload=self._payload(c, extra))

    @staticmethod
    def _payload(c: Complaint, extra: dict[str, Any]) -> dict[str, Any]:
        """What notify's words for complaints read (notify/messages.py)."""
        return {"complaint_id": c.id, "serial": c.serial, "status": c.status.value,
                "category": CATEGORIES[c.category], **extra}


def _actor(staff: Staff) -> dict[str, Any]:
    return {"type": "staff", "id": staff.id, "name": staff.display_name or staff.username}


