"""Cases (办件): submission, the one guarded transition function, the timeline residents and
staff see, ratings (好差评) with rectification, and supervision lights (电子监察).

Every move is a conditional update on the previous ``status`` and ``version`` inside a
transaction that also writes the outbox event, so two staff racing on one case cannot both move
it, and no move happens without its message (nor a message without its move).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from backend.audit.service import AuditLog, resident_actor, staff_actor
from backend.cases import materials as case_materials
from backend.cases.materials import CaseMaterials
from backend.cases.store import CaseMaterialsStore
from backend.catalogue.service import CatalogueService
from backend.config import CasesConfig
from backend.core import errors
from backend.core.access import Resident, Staff, access_own, access_realname, access_staff_role
from backend.core.clock import TZ, Clock, iso
from backend.db.mongo import in_transaction
from notify.messages import CASE_STATUS
from notify.outbox import Outbox

# from → {to: staff roles allowed (empty: resident only)}
MOVES: dict[str, dict[str, tuple[str, ...]]] = {
    "submitted": {"accepted": ("clerk",), "rejected": ("clerk", "approver"),
                  "correction_requested": ("clerk",), "withdrawn": ()},
    "accepted": {"in_review": ("clerk", "approver")},
    "in_review": {"approved": ("approver",), "rejected": ("approver",), "correction_requested": ("clerk", "approver")},
    "approved": {"completed": ("clerk",)},
    "correction_requested": {"submitted": (), "withdrawn": ()},
    "rejected": {}, "completed": {}, "withdrawn": {},
}
OPEN = ("submitted", "accepted", "in_review", "approved", "correction_requested")
LEVELS = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}


def _oid(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


class CaseService:
    def __init__(self, *, db: Any, client: Any, catalogue: CatalogueService, outbox: Outbox, audit: AuditLog,
                 clock: Clock, config: CasesConfig, materials: CaseMaterials):
        self.col = db["applications"]
        self.counters = db["case_counters"]
        self.ratings = db["ratings"]
        self.rects = db["rectifications"]
        self.staff_inbox = db["staff_inbox"]
        self.client = client
        self.catalogue = catalogue
        self.outbox = outbox
        self.audit = audit
        self.clock = clock
        self.cfg = config
        self.calendar = catalogue.calendar
        self.materials = materials
        self.material_store = CaseMaterialsStore(db)

    async def _tx(self, fn: Any) -> Any:
        return await in_transaction(self.client, fn)

    # Submission --------------------------------------------------------------------------------
    async def submit(self, resident: Resident, body: dict[str, Any]) -> dict[str, Any]:
        access_realname(resident)
        return await self._create(resident.id, body, actor={"type": "resident", "id": resident.id, "name": None},
                                  channel="online")

    async def register(self, staff: Staff, body: dict[str, Any], ip: str, users: Any) -> dict[str, Any]:
        """A case taken at a window for a resident (窗口收件)."""
        access_staff_role(staff, ("clerk",))
        user = await users.get(body["resident_id"])
        if user is None:
            raise errors.InvalidInput({"resident_id": "居民不存在"})
        if not user.get("realname"):
            raise errors.Conflict("该居民尚未实名认证", code="realname_required")
        case = await self._create(str(user["_id"]), body, channel="window",
                                  actor={"type": "staff", "id": staff.id, "name": staff.display_name or staff.username})
        await self.audit.record(actor=staff_actor(staff), action="case.register", target_type="application",
                                target_id=case["id"], details={"service_id": body["service_id"]}, ip=ip)
        return case

    async def _create(self, applicant_id: str, body: dict[str, Any], *, actor: dict[str, Any],
                      channel: str) -> dict[str, Any]:
        try:
            service = await self.catalogue.get_service(body["service_id"])
        except errors.NotFound:
            raise errors.InvalidInput({"service_id": "事项不存在或已停办"}) from None
        guide = service["guide"]
        if channel == "online" and not guide.get("online"):
            raise errors.Conflict("该事项不支持网上申报，请预约到大厅办理", code="not_online")
        materials = await self.materials.resolve(applicant_id, guide["materials"], body)
        now = self.clock.now()
        today = now.astimezone(TZ).date()
        deadline = self._deadline(today, guide["promised_days"])
        doc: dict[str, Any] = {
            "service_id": service["id"], "service_name": service["name"], "department_id": service["department_id"],
            "department_name": service["department_name"], "applicant_id": applicant_id, "status": "submitted", "version": 1, "channel": channel,
            "form": body["form"], "materials": materials, "promised_days": guide["promised_days"],
            "deadline": deadline, "light": "green", "created_at": now, "updated_at": now,
            "timeline": [{"status": "submitted", "at": now, "note": "网上申报" if channel == "online" else "窗口收件",
                          "actor": actor}],
        }

        async def work(s: Any) -> dict[str, Any]:
            key = today.strftime("%Y%m%d")
            c = await self.counters.find_one_and_update({"_id": key}, {"$inc": {"seq": 1}}, upsert=True,
                                                        return_document=ReturnDocument.AFTER, session=s)
            doc["serial"] = f"ZJB{key}{c['seq']:06d}"
            res = await self.col.insert_one(doc, session=s)
            doc["_id"] = res.inserted_id
            await self.materials.reference(str(res.inserted_id), applicant_id, materials, s)
            await self.outbox.emit("case.status_changed", user_id=applicant_id, session=s,
                                   dedupe_key=f"case:{res.inserted_id}:1", payload=self._payload(doc, None))
            return doc
        return self.view(await self._tx(work), staff=False)

    def _deadline(self, start: dt.date, days: int) -> dt.datetime:
        due = self.calendar.add_working_days(start, days)
        return dt.datetime.combine(due, dt.time(23, 59, 59), TZ)

    def _payload(self, doc: dict[str, Any], note: str | None) -> dict[str, Any]:
        return {"application_id": str(doc["_id"]), "serial": doc["serial"], "service_name": doc["service_name"],
                "status": doc["status"], "note": note or ""}

    # Reading -----------------------------------------------------------------------------------
    async def get_own(self, resident: Resident, case_id: str) -> dict[str, Any]:
        oid = _oid(case_id)
        doc = await self.col.find_one({"_id": oid}) if oid else None
        return self.view(dict(access_own(resident, doc, owner_field="applicant_id")), staff=False,
                         rated=await self._rated(doc))

    async def list_own(self, resident: Resident, *, cursor: str | None, limit: int) -> dict[str, Any]:
        return await self._list({"applicant_id": resident.id}, cursor, limit, staff=False)

    async def get_staff(self, staff: Staff, case_id: str) -> dict[str, Any]:
        access_staff_role(staff, ("clerk", "approver", "supervisor", "finance"))
        oid = _oid(case_id)
        doc = await self.col.find_one({"_id": oid}) if oid else None
        if doc is None:
            raise errors.NotFound("未找到该办件")
        return self.view(doc, staff=True, rated=await self._rated(doc))

    async def list_staff(self, staff: Staff, q: dict[str, Any]) -> dict[str, Any]:
        access_staff_role(staff, ("clerk", "approver", "supervisor", "finance"))
        filt: dict[str, Any] = {k: q[k] for k in ("status", "department_id", "light") if k in q}
        if q.get("open_only") and "status" not in filt:
            filt["status"] = {"$in": list(OPEN)}
        return await self._list(filt, q.get("cursor"), q.get("limit", 50), staff=True)

    async def _list(self, filt: dict[str, Any], cursor: str | None, limit: int, *, staff: bool) -> dict[str, Any]:
        if cursor:
            oid = _oid(cursor)
            if oid is None:
                raise errors.InvalidInput({"cursor": "无效的游标"})
            filt = {**filt, "_id": {"$lt": oid}}
        docs = await self.col.find(filt).sort("_id", DESCENDING).limit(limit + 1).to_list(limit + 1)
        more = len(docs) > limit
        docs = docs[:limit]
        return {"items": [self.view(d, staff=staff) for d in docs],
                "next_cursor": str(docs[-1]["_id"]) if more else None}

    async def _rated(self, doc: dict[str, Any] | None) -> bool:
        return bool(doc) and await self.ratings.count_documents({"application_id": str(doc["_id"])}, limit=1) > 0

    def view(self, d: dict[str, Any], *, staff: bool, rated: bool = False) -> dict[str, Any]:
        """Residents see the timeline without staff names; staff see who did what."""
        timeline = [{"status": e["status"], "at": e["at"], "note": e.get("note"),
                     **({"actor": e.get("actor", {})} if staff else {})} for e in d["timeline"]]
        out = {"id": str(d["_id"]), "serial": d["serial"], "service_id": d["service_id"],
               "service_name": d["service_name"], "department_id": d["department_id"],
               "department_name": d.get("department_name", ""), "status": d["status"],
               "form": d.get("form", {}), "materials": case_materials.view(d.get("materials", []), staff=staff),
               "deadline": d.get("deadline"),
               "light": d.get("light") if d["status"] in OPEN else None, "correction": d.get("correction"),
               "rejection_reason": d.get("rejection_reason"), "rated": rated, "created_at": d["created_at"],
               "updated_at": d["updated_at"], "timeline": timeline}
        if staff:
            out["applicant"] = {"id": d["applicant_id"]}
            out["version"] = d["version"]
        return out

    # The state machine ------------------------------------------------------------------------
    async def transition(self, principal: Resident | Staff, case_id: str, to: str, *, note: str | None = None,
                         reason: str | None = None, missing: list[str] | None = None, due: str | None = None,
                         changes: dict[str, Any] | None = None, ip: str | None = None,
                         material_keys: list[str] | None = None, within: Any = None) -> dict[str, Any]:
        oid = _oid(case_id)
        doc = await self.col.find_one({"_id": oid}) if oid else None
        is_staff = isinstance(principal, Staff)
        if doc is None or (not is_staff and doc["applicant_id"] != principal.id):
            raise errors.NotFound("未找到该办件")
        allowed = MOVES[doc["status"]]
        if to not in allowed:
            raise errors.InvalidState(f"办件当前为“{CASE_STATUS.get(doc['status'])}”，不能变更为“{CASE_STATUS.get(to, to)}”",
                                      details={"from": doc["status"], "to": to})
        roles = allowed[to]
        if is_staff:
            if not roles:
                raise errors.InvalidState("该操作只能由申请人进行", details={"from": doc["status"], "to": to})
            access_staff_role(principal, roles)
        elif roles:
            raise errors.InvalidState("该操作须由工作人员进行", details={"from": doc["status"], "to": to})
        now = self.clock.now()
        today = now.astimezone(TZ).date()
        sets: dict[str, Any] = {"status": to, "updated_at": now, **(changes or {})}
        unsets: dict[str, Any] = {}
        if to == "rejected":
            if not (reason and reason.strip()):
                raise errors.InvalidInput({"reason": "驳回（不予受理）须说明理由"})
            sets["rejection_reason"] = reason.strip()
            note = note or reason
        if to == "correction_requested":
            missing, material_keys = self.materials.correction(doc, missing, material_keys)
            if not missing:
                raise errors.InvalidInput({"missing": "请写明需补正的材料或内容"})
            due_date = dt.date.fromisoformat(due) if due else today + dt.timedelta(days=self.cfg.correction_days)
            if due_date <= today:
                raise errors.InvalidInput({"due": "补正截止日期须晚于今天"})
            sets["correction"] = {"missing": missing, "materials": material_keys, "due": due_date.isoformat(),
                                  "requested_at": now}
            sets["paused_at"] = now  # the time limit stops while the resident corrects
            note = note or ("需补正：" + "、".join(missing))
        if doc["status"] == "correction_requested" and to == "submitted":
            paused = doc.get("paused_at") or now
            lost = self.calendar.working_days_between(paused.astimezone(TZ).date(), today)
            if doc.get("deadline") and lost > 0:
                sets["deadline"] = self._deadline(doc["deadline"].astimezone(TZ).date(), lost)
            unsets.update({"paused_at": "", "correction": ""})
            note = note or "已补正并重新提交"
        if to in ("completed", "rejected", "withdrawn", "approved"):
            sets["decided_at" if to != "completed" else "completed_at"] = now
        actor = ({"type": "staff", "id": principal.id, "name": principal.display_name or principal.username}
                 if is_staff else {"type": "resident", "id": principal.id, "name": None})
        entry = {"status": to, "at": now, "note": note, "actor": actor}
        update: dict[str, Any] = {"$set": sets, "$inc": {"version": 1}, "$push": {"timeline": entry}}
        if unsets:
            update["$unset"] = unsets

        async def work(s: Any) -> dict[str, Any] | None:
            new = await self.col.find_one_and_update({"_id": oid, "status": doc["status"], "version": doc["version"]},
                                                     update, return_document=ReturnDocument.AFTER, session=s)
            if new is None:
                return None
            if within is not None:
                await within(new, s)
            if to == "completed":
                await self.materials.completed(new, s)
            v = new["version"]
            await self.outbox.emit("case.status_changed", user_id=new["applicant_id"], session=s,
                                   dedupe_key=f"case:{oid}:{v}", payload=self._payload(new, note))
            if to == "correction_requested":
                await self.outbox.emit("case.correction_requested", user_id=new["applicant_id"], session=s,
                                       dedupe_key=f"case:{oid}:{v}:correction",
                                       payload={**self._payload(new, note), "missing": missing,
                                                "due": sets["correction"]["due"]})
            if to == "completed":
                await self.outbox.emit("rating.invited", user_id=new["applicant_id"], session=s,
                                       dedupe_key=f"case:{oid}:rating-invite", payload=self._payload(new, None))
            if is_staff:
                await self.audit.record(actor=staff_actor(principal), action=f"case.{to}", target_type="application",
                                        target_id=str(oid), details={"from": doc["status"], "note": note}, ip=ip,
                                        session=s)
            return new
        new = await self._tx(work)
        if new is None:  # someone else moved it first
            raise errors.InvalidState("办件状态已被他人更新，请刷新后重试", details={"from": doc["status"], "to": to})
        return self.view(new, staff=is_staff, rated=False)

    async def resubmit(self, resident: Resident, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
        oid = _oid(case_id)
        doc = await self.col.find_one({"_id": oid}) if oid else None
        access_own(resident, doc, owner_field="applicant_id")
        changes: dict[str, Any] = {}
        if "form" in body:
            changes["form"] = body["form"]
        within = None
        if doc["status"] == "correction_requested":
            materials = await self.materials.resupply(doc, body)
            if materials is not None:
                changes["materials"] = materials

                async def within(new: dict[str, Any], s: Any) -> None:
                    await self.materials.reference(case_id, doc["applicant_id"], materials, s)
        return await self.transition(resident, case_id, "submitted", note=body.get("note"), changes=changes,
                                     within=within)

    async def review_material(self, staff: Staff, case_id: str, key: str, verdict: str, reason: str | None,
                              ip: str) -> dict[str, Any]:
        """Staff judge one material accepted or not acceptable (with a reason for the applicant)."""
        access_staff_role(staff, ("clerk", "approver"))
        oid = _oid(case_id)
        doc = await self.col.find_one({"_id": oid}) if oid else None
        if doc is None:
            raise errors.NotFound("未找到该办件")
        now = self.clock.now()
        by = {"type": "staff", "id": staff.id, "name": staff.display_name or staff.username}
        materials = self.materials.judged(doc, key, verdict, reason, by=by, now=now)
        if not await self.material_store.set_materials(oid, doc["version"], materials, now):
            raise errors.InvalidState("办件已被他人更新，请刷新后重试")
        await self.audit.record(actor=staff_actor(staff), action="case.material.review", target_type="application",
                                target_id=case_id, details={"material": key, "verdict": verdict, "reason": reason},
                                ip=ip)
        return await self.get_staff(staff, case_id)

    # Ratings ------------------------------------------------------------------------------------
    async def rate(self, resident: Resident, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
        oid = _oid(case_id)
        doc = await self.col.find_one({"_id": oid}) if oid else None
        access_own(resident, doc, owner_field="applicant_id")
        if doc["status"] != "completed":
            raise errors.InvalidState("办结后才能评价", details={"status": doc["status"]})
        now = self.clock.now()
        rating = {"application_id": str(oid), "serial": doc["serial"], "department_id": doc["department_id"],
                  "service_id": doc["service_id"], "score": body["score"], "comment": body.get("comment"),
                  "indicators": body.get("indicators", []), "created_at": now}

        async def work(s: Any) -> dict[str, Any]:
            res = await self.ratings.insert_one(rating, session=s)
            rating["_id"] = res.inserted_id
            if body["score"] <= 2:
                due_day = self.calendar.add_working_days(now.astimezone(TZ).date(), self.cfg.rectification_working_days)
                r = await self.rects.insert_one({
                    "application_id": str(oid), "serial": doc["serial"], "department_id": doc["department_id"],
                    "applicant_id": doc["applicant_id"], "score": body["score"], "comment": body.get("comment"),
                    "status": "open", "due": dt.datetime.combine(due_day, dt.time(23, 59, 59), TZ),
                    "created_at": now}, session=s)
                rating["rectification_id"] = str(r.inserted_id)
                await self.staff_inbox.insert_one({"kind": "rectification.opened", "application_id": str(oid),
                                                   "department_id": doc["department_id"], "created_at": now,
                                                   "text": f"办件 {doc['serial']} 收到差评（{body['score']} 分），请于 "
                                                           f"{due_day.isoformat()} 前整改并答复"}, session=s)
                await self.ratings.update_one({"_id": res.inserted_id},
                                              {"$set": {"rectification_id": rating["rectification_id"]}}, session=s)
            return rating
        try:
            saved = await self._tx(work)
        except DuplicateKeyError:
            raise errors.Conflict("该办件已评价", code="already_rated") from None
        await self.audit.record(actor=resident_actor(resident), action="case.rate", target_type="application",
                                target_id=str(oid), details={"score": body["score"]})
        return _rating_view(saved)

    async def list_ratings(self, staff: Staff, limit: int = 100) -> list[dict[str, Any]]:
        access_staff_role(staff, ("supervisor",))
        return [_rating_view(r) for r in await self.ratings.find({}).sort("_id", DESCENDING).limit(limit).to_list(limit)]

    async def list_rectifications(self, staff: Staff, status: str | None) -> list[dict[str, Any]]:
        access_staff_role(staff, ("supervisor", "clerk", "approver"))
        q = {"status": status} if status else {}
        return [self._rect_view(r) for r in await self.rects.find(q).sort("due", 1).to_list(500)]

    async def reply_rectification(self, staff: Staff, rect_id: str, reply: str, ip: str) -> dict[str, Any]:
        access_staff_role(staff, ("clerk", "approver", "supervisor"))
        now = self.clock.now()
        r = await self.rects.find_one_and_update({"_id": _oid(rect_id), "status": "open"},
                                                 {"$set": {"status": "replied", "reply": reply, "replied_at": now,
                                                           "replied_by": staff.id}},
                                                 return_document=ReturnDocument.AFTER)
        if r is None:
            raise errors.InvalidState("该整改单不是待答复状态") if await self.rects.find_one({"_id": _oid(rect_id)}) \
                else errors.NotFound()
        await self.outbox.emit("case.rectification_reply", user_id=r["applicant_id"], dedupe_key=f"rect:{rect_id}:reply",
                               payload={"application_id": r["application_id"], "serial": r["serial"],
                                        "text": f"关于您对办件 {r['serial']} 的评价，答复如下：{reply}"})
        await self.audit.record(actor=staff_actor(staff), action="rectification.reply", target_type="rectification",
                                target_id=rect_id, ip=ip)
        return self._rect_view(r)

    async def close_rectification(self, staff: Staff, rect_id: str, note: str | None, ip: str) -> dict[str, Any]:
        access_staff_role(staff, ("supervisor",))
        r = await self.rects.find_one_and_update({"_id": _oid(rect_id), "status": "replied"},
                                                 {"$set": {"status": "closed", "closed_at": self.clock.now(),
                                                           "close_note": note}}, return_document=ReturnDocument.AFTER)
        if r is None:
            raise errors.InvalidState("答复后才能关闭整改单") if await self.rects.find_one({"_id": _oid(rect_id)}) \
                else errors.NotFound()
        await self.audit.record(actor=staff_actor(staff), action="rectification.close", target_type="rectification",
                                target_id=rect_id, ip=ip)
        return self._rect_view(r)

    def _rect_view(self, r: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(r["_id"]), "application_id": r["application_id"], "serial": r["serial"],
                "department_id": r["department_id"], "score": r["score"], "comment": r.get("comment"),
                "status": r["status"], "due": r["due"], "reply": r.get("reply"),
                "overdue": r["status"] == "open" and self.clock.now() > r["due"], "created_at": r["created_at"]}

    # Supervision --------------------------------------------------------------------------------
    def light(self, doc: dict[str, Any], now: dt.datetime) -> str:
        if doc["status"] == "correction_requested" or not doc.get("deadline"):
            return doc.get("light") or "green"  # the clock is stopped
        deadline = doc["deadline"]
        if now > deadline:
            return "red"
        left = self.calendar.working_days_between(now.astimezone(TZ).date(), deadline.astimezone(TZ).date())
        return "yellow" if left <= self.cfg.yellow_working_days else "green"

    async def supervise(self) -> int:
        """Periodic: recompute every open case's light; alert staff when one turns yellow or red."""
        now = self.clock.now()
        changed = 0
        async for doc in self.col.find({"status": {"$in": list(OPEN)}}, {"timeline": 0, "form": 0}):
            light = self.light(doc, now)
            if light == doc.get("light"):
                continue
            res = await self.col.update_one({"_id": doc["_id"], "light": doc.get("light")}, {"$set": {"light": light}})
            if res.modified_count and light in ("yellow", "red"):
                changed += 1
                text = (f"办件 {doc['serial']}（{doc['service_name']}）已超期" if light == "red"
                        else f"办件 {doc['serial']}（{doc['service_name']}）临近办结时限 {iso(doc['deadline'])}")
                try:
                    await self.staff_inbox.insert_one({"kind": f"supervision.{light}", "application_id": str(doc["_id"]),
                                                       "department_id": doc["department_id"], "text": text,
                                                       "created_at": now, "dedupe_key": f"light:{doc['_id']}:{light}"})
                except DuplicateKeyError:
                    pass
        await self._remind_ratings(now)
        return changed

    async def _remind_ratings(self, now: dt.datetime) -> None:
        cutoff = now - dt.timedelta(days=self.cfg.rating_reminder_days)
        async for doc in self.col.find({"status": "completed", "completed_at": {"$lte": cutoff},
                                        "rating_reminded": {"$ne": True}}, {"timeline": 0, "form": 0}):
            if await self._rated(doc):
                await self.col.update_one({"_id": doc["_id"]}, {"$set": {"rating_reminded": True}})
                continue
            await self.outbox.emit("rating.invited", user_id=doc["applicant_id"], dedupe_key=f"case:{doc['_id']}:rating-reminder",
                                   payload={**self._payload(doc, "再次邀请您评价"), "reminder": True})
            await self.col.update_one({"_id": doc["_id"]}, {"$set": {"rating_reminded": True}})

    async def summary(self, staff: Staff, department_names: dict[str, str]) -> dict[str, Any]:
        access_staff_role(staff, ("supervisor",))
        stats: dict[str, dict[str, Any]] = {}

        def row(dep: str) -> dict[str, Any]:
            return stats.setdefault(dep, {"department_id": dep, "department_name": department_names.get(dep, ""),
                                          "open": 0, "green": 0, "yellow": 0, "red": 0, "completed": 0,
                                          "_on_time": 0, "_hours": 0.0, "_scores": 0, "ratings": 0})
        async for d in self.col.find({}, {"status": 1, "light": 1, "department_id": 1, "deadline": 1,
                                          "completed_at": 1, "created_at": 1}):
            r = row(d["department_id"])
            if d["status"] in OPEN:
                r["open"] += 1
                r[d.get("light") or "green"] += 1
            elif d["status"] == "completed":
                r["completed"] += 1
                r["_hours"] += (d["completed_at"] - d["created_at"]).total_seconds() / 3600
                if d.get("deadline") is None or d["completed_at"] <= d["deadline"]:
                    r["_on_time"] += 1
        async for g in await self.ratings.aggregate([{"$group": {"_id": "$department_id", "n": {"$sum": 1},
                                                                  "sum": {"$sum": "$score"}}}]):
            r = row(g["_id"])
            r["ratings"], r["_scores"] = g["n"], g["sum"]
        items = []
        totals = {"green": 0, "yellow": 0, "red": 0, "_on_time": 0, "completed": 0, "_scores": 0, "ratings": 0}
        for r in stats.values():
            for k in totals:
                totals[k] += r[k]
            done = r["completed"]
            items.append({**{k: v for k, v in r.items() if not k.startswith("_")},
                          "on_time_rate": round(r["_on_time"] / done, 4) if done else None,
                          "avg_handling_hours": round(r["_hours"] / done, 1) if done else None,
                          "satisfaction": round(r["_scores"] / r["ratings"], 2) if r["ratings"] else None})
        items.sort(key=lambda x: x["department_id"])
        done, rated = totals["completed"], totals["ratings"]
        return {"items": items, "departments": items, "green": totals["green"], "yellow": totals["yellow"],
                "red": totals["red"], "on_time_rate": round(totals["_on_time"] / done, 4) if done else None,
                "satisfaction": round(totals["_scores"] / rated, 2) if rated else None}


def _rating_view(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(r["_id"]), "application_id": r["application_id"], "score": r["score"],
            "level": LEVELS[r["score"]], "comment": r.get("comment"), "indicators": r.get("indicators", []),
            "created_at": r["created_at"], "rectification_id": r.get("rectification_id")}
