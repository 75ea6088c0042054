"""一件事: a life event (a baby is born, a flat is sold, a company opens) turned into one form, one
set of materials and one submission that becomes one case per service.

- A life event lists its services and one form; each field says which services it feeds, so each
  is asked once. The materials are the union of the services' guides by key, each asked once;
  a material one of the event's own services produces (the 出生医学证明 for the 户口登记) is
  shared (共享) and not asked at all.
- Submitting creates the bundle (its own serial) and every case in ONE multi-document
  transaction: all of them or none, even if the process dies half-way. On SecantusDB one
  transaction of four cases measured faster than four one-case transactions, and much faster
  than writing them one by one and flipping them visible (docs/bundles-complaints-agency.md).
- The bundle's overall status is read from its cases; a job bounded by an index on what is due
  (``check_at``) tells the resident once when every case is finished.
- Finance raises one payment order for the bundle: every case's fee an item, paid once, one
  receipt listing each item.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Any

from bson import ObjectId

from backend.audit.service import AuditLog, staff_actor
from backend.bundles.access import BUNDLE, LIFE_EVENT, BundleAccess
from backend.bundles.errors import BundlePaymentExists
from backend.bundles.labels import BUNDLE_STATUS
from backend.bundles.ports import BundleEvents, BundleOrders, CaseIntake, Cases, Residents, ServiceNames
from backend.bundles.store import BundleStore
from backend.bundles.values import (
    Bundle,
    BundleCase,
    BundleState,
    EventField,
    EventService,
    EventStatus,
    LifeEvent,
    Overall,
    SharedMaterial,
)
from backend.cases.values import Actor, AlreadyClaimed, BundleLink, Case, CaseRef, Channel, FormField, Plan
from backend.config import BundlesConfig
from backend.core import errors
from backend.core.access import Resident, Staff, access_realname
from backend.core.clock import TZ, Clock
from backend.core.ids import cursor_id
from backend.core.recent import Recent
from backend.core.schema import validate
from payments.errors import NothingToPay

TERMINAL = ("completed", "rejected", "withdrawn")
OVERALL = BUNDLE_STATUS
_SERIAL = re.compile(r"^YJS\d{14}$")  # 一件事编号: YJS + the day + the day's number
FIELD_TYPES = ("string", "text", "integer", "date", "choice", "id_number", "phone")

Transaction = Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]]


def overall_status(statuses: list[str]) -> Overall:
    """One status for the whole bundle from its cases' statuses."""
    if not statuses:
        return Overall.SUBMITTED
    if all(s in TERMINAL for s in statuses):
        if all(s == "completed" for s in statuses):
            return Overall.COMPLETED
        if "completed" in statuses:
            return Overall.PARTLY_COMPLETED
        # Withdrawn by the resident is not refused: only a bundle with a refused case is "closed".
        return Overall.WITHDRAWN if all(s == "withdrawn" for s in statuses) else Overall.CLOSED
    if "correction_requested" in statuses:
        return Overall.CORRECTION_REQUESTED
    if all(s == "submitted" for s in statuses):
        return Overall.SUBMITTED
    return Overall.IN_PROGRESS


def _property(f: EventField, services: list[str]) -> dict[str, Any]:
    p: dict[str, Any] = {"title": f.label, "x-services": services}
    if f.hint:
        p["description"] = f.hint
    t = f.type
    if t == "integer":
        p.update(type="integer", minimum=0 if f.minimum is None else f.minimum,
                 maximum=1_000_000_000 if f.maximum is None else f.maximum)
    elif t == "date":
        p.update(type="string", format="date", pattern=r"^\d{4}-\d{2}-\d{2}$",
                 **{"x-message": "请填写日期，如 2026-01-31"})
    elif t == "choice":
        p.update(type="string", enum=list(f.options or ()))
    elif t == "id_number":
        p.update(type="string", pattern=r"^\d{17}[\dX]$", **{"x-message": "请填写 18 位身份证号，末位 X 大写"})
    elif t == "phone":
        p.update(type="string", pattern=r"^1[3-9]\d{9}$", **{"x-message": "请填写 11 位手机号码"})
    else:
        p.update(type="string", minLength=1 if f.required else 0,
                 maxLength=f.max_length if f.max_length is not None else 500 if t == "text" else 100)
        if t == "text":
            p["x-multiline"] = True
    return p


def _field(f: dict[str, Any]) -> EventField:
    """A form field as staff defined it (the request's shape, checked by its schema)."""
    options = f.get("options")
    return EventField(key=f["key"], label=f["label"], type=f["type"], required=f.get("required"),
                      options=None if options is None else tuple(options), max_length=f.get("max_length"),
                      minimum=f.get("minimum"), maximum=f.get("maximum"), hint=f.get("hint"))


class BundleService:
    def __init__(self, *, store: BundleStore, transaction: Transaction, catalogue: ServiceNames,
                 intake: CaseIntake, cases: Cases, payments: BundleOrders, outbox: BundleEvents, users: Residents,
                 audit: AuditLog,
                 clock: Clock, config: BundlesConfig):
        self.store = store
        self._tx = transaction
        self.catalogue = catalogue
        self.intake = intake          # cases: made once, prepared, inserted in the bundle's transaction
        self.cases = cases            # the case directory: get(id) → CaseRef | None
        self.payments = payments      # create_bundle_order(...), order_view(id)
        self.outbox = outbox
        self.users = users            # the user directory: find(q), get_many(ids) (masked)
        self.audit = audit
        self.clock = clock
        self.cfg = config
        # Called after each case is written inside the submission's transaction (tests inject a
        # failure here to show that nothing of a half-done bundle is ever visible).
        self.between_cases: Callable[[int], Awaitable[None]] | None = None
        # Each event's merged form, with what it was built from: the event's version and the names
        # of its services (a field says which services it feeds, by name).
        self._schemas: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        self._views: Recent[dict[str, Any]] = Recent(store.recent_seconds, limit=16)
        self.access = BundleAccess(store)

    # -- life events -------------------------------------------------------------------------------

    async def _services(self, event: LifeEvent) -> list[dict[str, Any]] | None:
        """The event's services from the catalogue, in order; None when one is no longer offered."""
        out = []
        for s in event.services:
            try:
                out.append(await self.catalogue.get_service(s.service_id))
            except errors.NotFound:
                return None
        return out

    def _schema(self, event: LifeEvent, services: list[dict[str, Any]]) -> dict[str, Any]:
        names = {s["id"]: s["name"] for s in services}
        stamp = (event.updated_at, *names.items())
        kept = self._schemas.get(event.id)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        feeds = {f.key: [names[s.service_id] for s in event.services if f.key in s.fields] for f in event.form}
        schema = {
            "type": "object", "additionalProperties": False,
            "properties": {f.key: _property(f, feeds[f.key]) for f in event.form},
            "required": [f.key for f in event.form if f.required],
            "x-order": [f.key for f in event.form],
        }
        self._schemas[event.id] = (stamp, schema)
        return schema

    @staticmethod
    def _materials(event: LifeEvent, services: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                                              list[dict[str, Any]]]:
        """The materials asked once (union by key), and the ones shared from the event's own results."""
        shared = {m.material_key: m.from_service_id for m in event.shared}
        names = {s["id"]: s["name"] for s in services}
        merged: dict[str, dict[str, Any]] = {}
        for svc in services:
            for m in svc["guide"]["materials"]:
                if shared.get(m["key"]) and shared[m["key"]] != svc["id"]:
                    continue
                row = merged.setdefault(m["key"], {"key": m["key"], "name": m["name"], "required": False,
                                                   "tolerable": True, "note": m.get("note"), "services": [],
                                                   "licence_type": None})
                row["services"].append(svc["name"])
                row["licence_type"] = row["licence_type"] or m.get("licence_type")
                if m["required"]:
                    row["required"] = True
                    row["tolerable"] = row["tolerable"] and m["tolerable"]
        for row in merged.values():
            if not row["required"]:
                row["tolerable"] = False
        asked = [r for k, r in merged.items() if k not in shared]
        produced = [{"key": k, "name": next((m["name"] for s in services for m in s["guide"]["materials"]
                                             if m["key"] == k), k),
                     "from_service": names.get(sid, "")} for k, sid in shared.items()]
        return asked, produced

    async def _event_view(self, event: LifeEvent, services: list[dict[str, Any]]) -> dict[str, Any]:
        asked, produced = self._materials(event, services)
        return {
            "id": event.id, "name": event.name, "summary": event.summary,
            "services": [{"service_id": s["id"], "name": s["name"], "department_name": s["department_name"],
                          "fee_fen": s["guide"]["fee_fen"], "promised_days": s["guide"]["promised_days"]}
                         for s in services],
            "form_schema": self._schema(event, services), "materials": asked, "shared_materials": produced,
            "fee_fen": sum(s["guide"]["fee_fen"] for s in services),
            "promised_days": max((s["guide"]["promised_days"] for s in services), default=0),
        }

    async def events(self) -> dict[str, Any]:
        """Every active life event with its services, read on every home page: the list built is
        kept as long as the events read are the same (a change to one is seen at once) and at
        most the catalogue's ``recent_seconds`` (a change to a service is seen within that)."""
        events = await self.store.active_events()
        key = (self.store.writes, tuple((e.id, e.updated_at) for e in events))
        return await self._views.get(key, lambda: self._events_view(events))

    async def _events_view(self, events: list[LifeEvent]) -> dict[str, Any]:
        items = []
        for e in events:
            services = await self._services(e)
            if services is not None:
                items.append(await self._event_view(e, services))
        return {"items": items, "next_cursor": None}

    async def _active_event(self, event_id: str) -> tuple[LifeEvent, list[dict[str, Any]]]:
        event = await self.store.event(event_id)
        services = await self._services(event) if event and event.status is EventStatus.ACTIVE else None
        if event is None or services is None:
            raise errors.NotFound("未找到该“一件事”主题")
        return event, services

    async def _licence_type_problems(self, service_ids: list[str], shared: set[str]) -> dict[str, str]:
        """A material asked once for several services must name one e-licence type in all of them
        (or none in all), so a licence given once is accepted by every case it goes to."""
        types: dict[str, dict[str | None, list[str]]] = {}
        names: dict[str, str] = {}
        for sid in service_ids:
            svc = await self.catalogue.get_service(sid)
            for m in svc["guide"]["materials"]:
                if m["key"] in shared:
                    continue
                names[m["key"]] = m["name"]
                types.setdefault(m["key"], {}).setdefault(m.get("licence_type"), []).append(svc["name"])
        return {f"materials.{k}": f"材料“{names[k]}”在各事项中可用的电子证照类型不一致："
                                  + "；".join(f"{'、'.join(v)}：{t or '无'}" for t, v in by_type.items())
                for k, by_type in types.items() if len(by_type) > 1}

    async def event(self, event_id: str) -> dict[str, Any]:
        return await self._event_view(*await self._active_event(event_id))

    async def put_event(self, staff: Staff, event_id: str, body: dict[str, Any], ip: str) -> dict[str, Any]:
        """Define or change a life event (hall managers)."""
        LIFE_EVENT.check(staff, "define")
        keys = [f["key"] for f in body["form"]]
        if len(set(keys)) != len(keys):
            raise errors.InvalidInput({"form": "字段编码不能重复"})
        problems: dict[str, str] = {}
        for i, f in enumerate(body["form"]):
            if f["type"] == "choice" and not f.get("options"):
                problems[f"form.{i}.options"] = "选择题须给出选项"
        ids = [s["service_id"] for s in body["services"]]
        if len(set(ids)) != len(ids):
            problems["services"] = "事项不能重复"
        used: set[str] = set()
        for i, s in enumerate(body["services"]):
            unknown = [k for k in s["fields"] if k not in keys]
            if unknown:
                problems[f"services.{i}.fields"] = "包含表单中没有的字段：" + "、".join(unknown)
            used.update(s["fields"])
            try:
                await self.catalogue.get_service(s["service_id"])
            except errors.NotFound:
                problems[f"services.{i}.service_id"] = "事项不存在或已停办"
        if set(keys) - used:
            problems["form"] = "字段未用于任何事项：" + "、".join(sorted(set(keys) - used))
        for i, m in enumerate(body.get("shared", [])):
            if m["from_service_id"] not in ids:
                problems[f"shared.{i}.from_service_id"] = "须为本主题中的事项"
        if "services" not in problems and not any(k.startswith("services.") for k in problems):
            problems.update(await self._licence_type_problems(ids, {m["material_key"] for m in body.get("shared", [])}))
        if problems:
            raise errors.InvalidInput(problems)
        now = self.clock.now()
        old = await self.store.event(event_id)
        event = LifeEvent(
            id=event_id, name=body["name"], summary=body.get("summary", ""),
            order=body.get("order", old.order if old is not None else 99),
            status=EventStatus(body.get("status", EventStatus.ACTIVE)),
            services=tuple(EventService(service_id=s["service_id"], fields=tuple(s["fields"]))
                           for s in body["services"]),
            form=tuple(_field(f) for f in body["form"]),
            shared=tuple(SharedMaterial(material_key=m["material_key"], from_service_id=m["from_service_id"])
                         for m in body.get("shared", [])),
            created_at=old.created_at if old is not None else now, updated_at=now)
        await self.store.put_event(event)
        await self.audit.record(actor=staff_actor(staff), action="life_event.put", target_type="life_event",
                                target_id=event_id, details={"services": ids}, ip=ip)
        services = await self._services(event) or []
        return {**await self._event_view(event, services), "status": str(event.status)}

    # -- applying --------------------------------------------------------------------------------

    async def apply(self, resident: Resident, event_id: str, body: dict[str, Any],
                    key: str | None = None) -> tuple[dict[str, Any], bool]:
        """One form and one set of materials → one bundle and one case per service, all or none;
        made once (``cases.once``): (the bundle, True) when this request made it, (the first one,
        False) for a repeat of the same key or the same content."""
        access_realname(resident)
        plan = self.intake.plan(resident.id, f"bundle:{event_id}", body, key)
        for _ in range(2):  # a claim that lapses between the clash and its read: try once more
            try:
                return await self._apply(resident, event_id, body, plan), True
            except AlreadyClaimed:
                first = await self.intake.first(plan)
                b = await self.store.get(first["id"]) if first is not None else None
                if b is not None and b.user_id == resident.id:
                    return {**await self._full(b), "applications": await self.intake.own_views(
                        [c.application_id for c in b.cases])}, False
        raise errors.Conflict("提交正在处理，请稍后在“我的一件事”查看")

    async def _apply(self, resident: Resident, event_id: str, body: dict[str, Any], plan: Plan) -> dict[str, Any]:
        event, services = await self._active_event(event_id)
        form = validate(self._schema(event, services), body["form"], root="form")
        asked, _ = self._materials(event, services)
        attachments, licences = body.get("attachments") or [], body.get("licences") or []
        # A material is given once for the whole event: ticked, uploaded, or an e-licence.
        provided = (set(body.get("materials") or []) | {a["material_key"] for a in attachments}
                    | {lic["material_key"] for lic in licences})
        unknown = provided - {m["key"] for m in asked}
        if unknown:
            raise errors.InvalidInput({"materials": "包含本主题不需要的材料"}, details={"unknown": sorted(unknown)})
        missing = [m["name"] for m in asked if m["required"] and not m["tolerable"] and m["key"] not in provided]
        if missing:
            raise errors.InvalidInput({"materials": "缺少必需材料：" + "、".join(missing)},
                                      details={"missing": missing})
        shared = {m.material_key for m in event.shared}
        self._check_licence_types(asked, licences)
        produced_by = {m.material_key: next((s["name"] for s in services if s["id"] == m.from_service_id), "")
                       for m in event.shared}
        labels = {f.key: f for f in event.form}
        bundle_id = str(ObjectId())
        actor = Actor(type="resident", id=resident.id, name=None)
        prepared: list[Case] = []
        for spec, svc in zip(event.services, services, strict=True):
            keys = {m["key"] for m in svc["guide"]["materials"]}
            case_body = {"service_id": svc["id"], "form": {k: form[k] for k in spec.fields if k in form},
                         "materials": sorted(set(body.get("materials") or []) & keys),
                         "shared": {k: produced_by[k] for k in shared & keys if k in produced_by},
                         "attachments": [a for a in attachments if a["material_key"] in keys],
                         "licences": [lic for lic in licences if lic["material_key"] in keys]}
            prepared.append(await self.intake.prepare(
                resident.id, case_body, actor=actor, channel=Channel.BUNDLE, note=f"“{event.name}”一并申报",
                bundle_id=bundle_id,
                form_fields=[FormField(key=k, label=labels[k].label, type=labels[k].type)
                             for k in spec.fields if k in labels]))
        now = self.clock.now()

        async def work(s: Any) -> tuple[Bundle, list[Case]]:
            # First: a repeat's transaction ends on its claim before anything else is written.
            await self.intake.claim(plan, {"type": "bundle", "id": bundle_id}, s)
            key = now.astimezone(TZ).strftime("%Y%m%d")
            serial = f"YJS{key}{await self.store.next_serial_number(key, s):06d}"
            link = BundleLink(id=bundle_id, serial=serial, name=event.name)  # its messages are the bundle's
            stored: list[Case] = []
            for i, case in enumerate(prepared):
                stored.append(await self.intake.insert(case, s, bundle=link,
                                                       note=f"“{event.name}”一并申报（一件事编号 {serial}）"))
                if self.between_cases is not None:
                    await self.between_cases(i)
            bundle = Bundle(
                id=bundle_id, serial=serial, user_id=resident.id, life_event_id=event.id, name=event.name,
                form=form, materials=tuple(sorted(provided)), status=BundleState.OPEN, created_at=now,
                check_at=now + dt.timedelta(seconds=self.cfg.recheck_seconds),
                cases=tuple(BundleCase(application_id=c.id, serial=c.serial, service_id=c.service_id,
                                       service_name=c.service_name, department_name=c.department_name)
                            for c in stored))
            await self.store.insert(bundle, s)
            await self.outbox.emit("bundle.submitted", user_id=resident.id, session=s,
                                   dedupe_key=f"bundle:{bundle_id}:submitted", payload={
                                       "bundle_id": bundle_id, "serial": serial, "name": event.name,
                                       "count": len(stored)})
            return bundle, stored
        bundle, stored = await self._tx(work)
        return {**self._view(bundle, ["submitted"] * len(stored)),
                "applications": [self.intake.view(c) for c in stored]}

    @staticmethod
    def _check_licence_types(asked: list[dict[str, Any]], licences: list[dict[str, Any]]) -> None:
        """A licence is given for a material that names an e-licence type (the cases check the type
        itself against the applicant's wallet)."""
        rows = {m["key"]: m for m in asked}
        for lic in licences:
            row = rows.get(lic["material_key"])
            if row is not None and not row.get("licence_type"):
                raise errors.InvalidInput({"licences": f"“{row['name']}”不能以电子证照提交"},
                                          details={"material_key": lic["material_key"]})

    # -- reading ---------------------------------------------------------------------------------

    async def _refs(self, b: Bundle) -> list[CaseRef | None]:
        """The bundle's cases as they are now (None for one no longer found)."""
        return [await self.cases.get(c.application_id) for c in b.cases]

    async def _statuses(self, b: Bundle) -> list[str]:
        return [ref.status if ref is not None else "withdrawn" for ref in await self._refs(b)]

    @staticmethod
    def _outcomes(refs: list[CaseRef | None]) -> dict[str, int]:
        """How the bundle's unfinished cases ended: refused at intake, refused after review, withdrawn."""
        out: dict[str, int] = {}
        for ref in refs:
            status = ref.status if ref is not None else "withdrawn"
            key = ((ref.outcome if ref is not None else None) or "not_approved") if status == "rejected" else status
            if key != "completed":
                out[key] = out.get(key, 0) + 1
        return out

    @staticmethod
    def _view(b: Bundle, statuses: list[str], payment: dict[str, Any] | None = None,
              outcomes: list[str | None] | None = None) -> dict[str, Any]:
        """The bundle as the API shows it, its cases with the statuses (and refusals' outcomes) read now."""
        overall = overall_status(statuses)
        outcomes = outcomes or [None] * len(statuses)
        cases = [{"id": c.application_id, "serial": c.serial, "service_id": c.service_id,
                  "service_name": c.service_name, "department_name": c.department_name,
                  "status": st, "outcome": oc}
                 for c, st, oc in zip(b.cases, statuses, outcomes, strict=True)]
        return {
            "id": b.id, "serial": b.serial, "life_event_id": b.life_event_id, "name": b.name,
            "status": str(overall), "status_name": OVERALL[overall],
            "done": b.status is BundleState.DONE or overall in (
                Overall.COMPLETED, Overall.PARTLY_COMPLETED, Overall.CLOSED, Overall.WITHDRAWN),
            "applications": cases, "cases": cases,
            "payment": payment, "created_at": b.created_at, "done_at": b.done_at,
        }

    async def _full(self, b: Bundle, *, applicant: Any = None) -> dict[str, Any]:
        """The bundle with its cases' statuses and its payment read now; for staff (``applicant``
        given) also who applied, masked."""
        payment = None
        if b.payment_id:
            p = await self.payments.order_view(b.payment_id)
            if p is not None:
                payment = {"id": p["id"], "status": p["status"], "amount_fen": p["amount_fen"],
                           "receipt_id": p.get("receipt_id")}
        refs = await self._refs(b)
        out = self._view(b, [ref.status if ref is not None else "withdrawn" for ref in refs], payment,
                         [ref.outcome if ref is not None else None for ref in refs])
        if applicant is not None:
            out["applicant"] = {"id": b.user_id, "name_masked": getattr(applicant, "name_masked", None),
                                "id_number_masked": getattr(applicant, "id_number_masked", None)}
        return out

    async def list_own(self, resident: Resident, *, cursor: str | None, limit: int) -> dict[str, Any]:
        before = cursor_id(cursor)
        docs = await self.store.of_user(resident.id, before=before, limit=limit + 1)
        more = len(docs) > limit
        docs = docs[:limit]
        return {"items": [await self._full(d) for d in docs], "next_cursor": docs[-1].id if more else None}

    async def get_own(self, resident: Resident, bundle_id: str) -> dict[str, Any]:
        return await self._full(await self.access.access_bundle(resident, bundle_id, "view"))

    async def find_staff(self, staff: Staff, q: dict[str, Any], ip: str | None = None) -> dict[str, Any]:
        """The bundle of a serial (``serial``, or ``q`` shaped as one), or the bundles of the residents
        with exactly the ID number or full name ``q`` (matched by identity's keyed hashes; such a
        search is audited once, not per page)."""
        BUNDLE.check(staff, "inspect")
        serial, text = (q.get("serial") or "").strip().upper(), (q.get("q") or "").strip()
        if not serial and not text:
            raise errors.InvalidInput({"q": "请填写一件事编号、姓名或身份证号"})
        limit, before = q.get("limit", 20), cursor_id(q.get("cursor"))
        serial = serial or (text.upper() if _SERIAL.match(text.upper()) else "")
        if serial:
            b = await self.store.by_serial(serial)
            found = [b] if b is not None and before is None else []
        else:
            people = await self.users.find(text)
            if before is None:
                await self.audit.record(actor=staff_actor(staff), action="bundle.search", target_type="resident",
                                        target_id=people[0].id if len(people) == 1 else None,
                                        details={"residents": len(people)}, ip=ip)
            found = await self.store.of_users([p.id for p in people], before=before, limit=limit + 1)
        more = len(found) > limit
        found = found[:limit]
        people_by_id = await self.users.get_many(sorted({b.user_id for b in found})) if found else {}
        return {"items": [await self._full(b, applicant=people_by_id.get(b.user_id)) for b in found],
                "next_cursor": found[-1].id if more else None}

    async def get_staff(self, staff: Staff, bundle_id: str) -> dict[str, Any]:
        b = await self.access.access_bundle(staff, bundle_id, "inspect")
        return await self._full(b, applicant=(await self.users.get_many([b.user_id])).get(b.user_id))

    # -- paying --------------------------------------------------------------------------------------

    async def raise_payment(self, staff: Staff, bundle_id: str, ip: str) -> dict[str, Any]:
        """One order for the whole bundle: each case's fee an item. Once: a second one while the
        first is open or paid is 409; a closed (expired) one may be replaced."""
        b = await self.access.access_bundle(staff, bundle_id, "pay")
        if b.payment_id is not None:
            existing = await self.payments.order_view(b.payment_id)
            if existing is not None and existing["status"] != "closed":
                raise BundlePaymentExists(details={"payment_id": existing["id"]})
        statuses = await self._statuses(b)
        # every case still going is charged what its guide charges; payments identifies each fee
        # (item code, payee unit) and refuses one another order already charges
        chargeable = [c.application_id for c, st in zip(b.cases, statuses, strict=True)
                      if st not in ("rejected", "withdrawn")]
        if not chargeable:
            raise NothingToPay()
        payment_id = ObjectId()
        if not await self.store.claim_payment(b, str(payment_id)):
            raise BundlePaymentExists()
        order: dict[str, Any] = await self.payments.create_bundle_order(
            staff, order_id=payment_id, bundle_id=b.id, serial=b.serial, title=b.name,
            payer_id=b.user_id, application_ids=chargeable, ip=ip)
        return order

    # -- the job ------------------------------------------------------------------------------------

    async def watch(self) -> int:
        """Tell residents whose bundles have every case finished, once; look at the others later.
        Reads only bundles due for a look (sparse index on ``check_at``)."""
        now = self.clock.now()
        told = 0
        for b in await self.store.checks_due(now):
            refs = await self._refs(b)
            statuses = [ref.status if ref is not None else "withdrawn" for ref in refs]
            if not all(s in TERMINAL for s in statuses):
                await self.store.check_later(b, now + dt.timedelta(seconds=self.cfg.recheck_seconds))
                continue
            overall = overall_status(statuses)

            outcomes = self._outcomes(refs)

            async def work(s: Any, b: Bundle = b, overall: Overall = overall,
                           outcomes: dict[str, int] = outcomes) -> bool:
                if not await self.store.finish(b, overall, now, s):
                    return False
                await self.outbox.emit("bundle.completed", user_id=b.user_id, session=s,
                                       dedupe_key=f"bundle:{b.id}:done", payload={
                                           "bundle_id": b.id, "serial": b.serial, "name": b.name,
                                           "status": str(overall), "count": len(b.cases), "outcomes": outcomes})
                return True
            if await self._tx(work):
                told += 1
        return told
