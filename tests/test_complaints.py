"""12345 / 找茬 through the API: every status, due dates in working days, lights and alerts, the
single reopen, the 7-day close, duplicates merged, and the supervisor's figures."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.core.clock import TZ
from tests.support import Api, AppServer, ResidentHandle, assert_error, new_resident, staff_login
from tests.support_cases import eventually, relogin
from tests.support_files import jpeg_bytes, uploaded


def logins(api: Api) -> dict[str, str]:
    return {role: staff_login(api, role=role)["access_token"]
            for role in ("hotline", "clerk", "approver", "supervisor")}


@pytest.fixture
def staff(api: Api) -> dict[str, str]:
    return logins(api)


def department(api: Api, code: str = "REAL") -> dict[str, Any]:
    return next(d for d in api.get("/api/v1/departments").json()["items"] if d["code"] == code)


def complain(api: Api, resident: ResidentHandle, **body: Any) -> dict[str, Any]:
    r = api.post("/api/v1/complaints", {"category": "complaint", "content": "市民中心停车场出口道闸坏了三天没人修",
                                        "location": "龙沙区卜奎大街 100 号", "contact_ok": True, **body},
                 token=resident.access_token)
    assert r.status_code == 201, r.text
    return r.json()


def supervise(server: AppServer) -> int:
    return server.run(server.ctx.service("complaints").supervise())


def messages(server: AppServer, user_id: str, kind: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        return await server.ctx.db["outbox"].find({"user_id": user_id, "kind": kind}).to_list(None)
    return server.run(read())


def local(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).astimezone(TZ)


def move_to(clock, when: dt.datetime) -> None:  # noqa: ANN001
    """Move the server's clock forward to ``when`` (never back)."""
    assert when > clock.now()
    clock.offset += when - clock.now()


def test_every_status_and_the_single_reopen(api: Api, server: AppServer, staff: dict[str, str]) -> None:
    r = new_resident(api)
    c = complain(api, r)
    assert c["status"] == "received" and c["serial"].startswith("GD") and c["light"] == "green"
    assert c["stage"] == "assign" and c["due"] and c["reply"] is None and c["can_feedback"] is False
    assert [e["status"] for e in c["timeline"]] == ["received"] and "actor" not in c["timeline"][0]
    assert messages(server, r.id, "complaint.received")

    # Only the hotline assigns; the resident cannot give feedback before a reply.
    dep = department(api)
    assert_error(api.post(f"/api/v1/staff/complaints/{c['id']}/assign", {"department_id": dep["id"]},
                          token=staff["clerk"]), 403, "forbidden")
    assert_error(api.post(f"/api/v1/complaints/{c['id']}/feedback", {"satisfied": True}, token=r.access_token),
                 409, "invalid_state")
    assert_error(api.post(f"/api/v1/staff/complaints/{c['id']}/assign", {"department_id": "0" * 24},
                          token=staff["hotline"]), 400, "invalid_input")
    a = api.post(f"/api/v1/staff/complaints/{c['id']}/assign", {"department_id": dep["id"], "note": "属不动产中心管理"},
                 token=staff["hotline"])
    assert a.status_code == 200, a.text
    a = a.json()
    assert a["status"] == "assigned" and a["department_name"] == dep["name"] and a["stage"] == "reply"
    assert local(a["due"]) > local(c["due"])
    assert a["timeline"][-1]["actor"]["name"] == "吴热线"

    # The department replies; the hotline may not answer an assigned one.
    listed = api.get("/api/v1/staff/complaints", params={"department_id": dep["id"], "status": "assigned"},
                     token=staff["clerk"]).json()["items"]
    assert c["id"] in [x["id"] for x in listed]
    assert_error(api.post(f"/api/v1/staff/complaints/{c['id']}/reply", {"reply": "已安排维修"},
                          token=staff["hotline"]), 403, "forbidden")
    rep = api.post(f"/api/v1/staff/complaints/{c['id']}/reply", {"reply": "道闸已于今日修复，感谢您的监督。"},
                   token=staff["clerk"]).json()
    assert rep["status"] == "replied" and rep["reply"]["by"] == dep["name"] and rep["due"] is None
    assert rep["on_time"] is True and rep["close_at"]
    assert_error(api.post(f"/api/v1/staff/complaints/{c['id']}/reply", {"reply": "再次答复内容"},
                          token=staff["clerk"]), 409, "invalid_state")

    # Not satisfied: back to the department once, with a new due time.
    mine = api.get(f"/api/v1/complaints/{c['id']}", token=r.access_token).json()
    assert mine["can_feedback"] is True and mine["reply"]["text"].startswith("道闸已于今日修复")
    back = api.post(f"/api/v1/complaints/{c['id']}/feedback", {"satisfied": False, "comment": "晚上还是抬不起来"},
                    token=r.access_token)
    assert back.status_code == 200, back.text
    back = back.json()
    assert back["status"] == "assigned" and back["reopened"] is True and back["reply"] is None and back["due"]
    assert back["timeline"][-1]["note"] == "群众不满意，退回重新办理：晚上还是抬不起来"
    rep2 = api.post(f"/api/v1/staff/complaints/{c['id']}/reply", {"reply": "已更换道闸控制器，夜间已测试正常。"},
                    token=staff["approver"]).json()
    assert rep2["status"] == "replied"

    # Not satisfied a second time: closed, not reopened again.
    done = api.post(f"/api/v1/complaints/{c['id']}/feedback", {"satisfied": False}, token=r.access_token).json()
    assert done["status"] == "closed" and done["feedback"]["satisfied"] is False and done["can_feedback"] is False
    assert_error(api.post(f"/api/v1/complaints/{c['id']}/feedback", {"satisfied": True}, token=r.access_token),
                 409, "invalid_state")
    assert [e["status"] for e in done["timeline"]] == ["received", "assigned", "replied", "assigned", "replied",
                                                        "closed"]
    # Nobody else sees it.
    other = new_resident(api)
    assert_error(api.get(f"/api/v1/complaints/{c['id']}", token=other.access_token), 404, "not_found")
    assert c["id"] not in [x["id"] for x in api.get("/api/v1/complaints", token=other.access_token).json()["items"]]


def test_satisfied_closes_and_the_hotline_answers_directly(api: Api, staff: dict[str, str]) -> None:
    r = new_resident(api)
    c = complain(api, r, category="consultation", content="请问新生儿落户需要带哪些材料？", location=None)
    ans = api.post(f"/api/v1/staff/complaints/{c['id']}/reply",
                   {"reply": "请携带出生医学证明、父母双方身份证和户口簿，可在小程序“新生儿出生一件事”一次办理。"},
                   token=staff["hotline"]).json()
    assert ans["status"] == "replied" and ans["reply"]["by"] == "12345热线" and ans["department_id"] is None
    ok = api.post(f"/api/v1/complaints/{c['id']}/feedback", {"satisfied": True, "comment": "很清楚"},
                  token=r.access_token).json()
    assert ok["status"] == "closed" and ok["feedback"]["satisfied"] is True


def test_duplicates_are_merged_and_hear_the_reply(api: Api, server: AppServer, staff: dict[str, str]) -> None:
    first, second = new_resident(api), new_resident(api)
    master = complain(api, first, content="人民路与中华路交叉口红绿灯不亮")
    dup = complain(api, second, content="中华路路口的信号灯坏了，很危险")
    assert_error(api.post(f"/api/v1/staff/complaints/{dup['id']}/merge", {"into": dup["serial"]},
                          token=staff["hotline"]), 400, "invalid_input")
    m = api.post(f"/api/v1/staff/complaints/{dup['id']}/merge", {"into": master["serial"]}, token=staff["hotline"])
    assert m.status_code == 200, m.text
    assert m.json()["status"] == "closed" and m.json()["merged_into"]["serial"] == master["serial"]
    dep = department(api, "PSB-HJ")
    api.post(f"/api/v1/staff/complaints/{master['id']}/assign", {"department_id": dep["id"]}, token=staff["hotline"])
    api.post(f"/api/v1/staff/complaints/{master['id']}/reply", {"reply": "交警部门已抢修，信号灯已恢复。"},
             token=staff["clerk"])
    seen = api.get(f"/api/v1/complaints/{dup['id']}", token=second.access_token).json()
    assert seen["status"] == "closed" and seen["reply"]["text"] == "交警部门已抢修，信号灯已恢复。"
    assert seen["merged_into"] == {"serial": master["serial"]}
    assert messages(server, second.id, "complaint.merged") and messages(server, second.id, "complaint.replied")


def test_due_dates_skip_weekends_and_holidays(make_server) -> None:  # noqa: ANN001
    # A calendar of our own: the Monday after next Friday is a public holiday.
    today = dt.datetime.now(TZ).date()
    friday = today + dt.timedelta(days=(4 - today.weekday()) % 7 + 7)
    monday = friday + dt.timedelta(days=3)
    srv: AppServer = make_server(calendar={"holidays": [monday.isoformat()], "workdays": []})
    api = Api(srv.base)
    move_to(srv.clock, dt.datetime.combine(friday, dt.time(16, 30), TZ))
    r = new_resident(api)
    c = complain(api, r)
    # One working day to assign: not Saturday, Sunday or the holiday Monday, but Tuesday.
    assert local(c["due"]) == dt.datetime.combine(friday + dt.timedelta(days=4), dt.time(23, 59, 59), TZ)
    move_to(srv.clock, dt.datetime.combine(friday + dt.timedelta(days=4), dt.time(9, 0), TZ))  # Tuesday
    hotline = staff_login(api, role="hotline")["access_token"]
    a = api.post(f"/api/v1/staff/complaints/{c['id']}/assign", {"department_id": department(api)["id"]},
                 token=hotline).json()
    # Five working days to reply from Tuesday: Wed, Thu, Fri, (weekend), Mon, Tue.
    assert local(a["due"]) == dt.datetime.combine(friday + dt.timedelta(days=11), dt.time(23, 59, 59), TZ)


def test_lights_turn_and_alert_the_responsible_staff(api: Api, server: AppServer, clock) -> None:  # noqa: ANN001
    r = new_resident(api)
    c = complain(api, r)
    due = local(c["due"])

    def light() -> str:
        return api.get(f"/api/v1/staff/complaints/{c['id']}", token=logins(api)["hotline"]).json()["light"]
    supervise(server)
    assert light() == "green"
    move_to(clock, dt.datetime.combine(due.date(), dt.time(8, 0), TZ))  # the due day: yellow
    supervise(server)
    assert light() == "yellow"
    staff = logins(api)
    yellow = api.get("/api/v1/staff/complaints", params={"light": "yellow", "status": "received"},
                     token=staff["supervisor"]).json()["items"]
    assert c["id"] in [x["id"] for x in yellow]
    move_to(clock, due + dt.timedelta(minutes=1))  # past due: red
    supervise(server)
    supervise(server)  # a second run changes nothing and alerts nobody twice
    assert light() == "red"
    staff = logins(api)

    def alerts() -> list[str]:
        return [a["text"] for a in api.get("/api/v1/staff/inbox", token=staff["supervisor"]).json()["items"]
                if c["serial"] in a["text"]]
    found = eventually(lambda: alerts() if len(alerts()) == 2 else None)
    assert any("已超过分派时限" in t for t in found) and any("到期" in t for t in found)
    # Assigned: a new stage with its own due time, green again.
    a = api.post(f"/api/v1/staff/complaints/{c['id']}/assign", {"department_id": department(api)["id"]},
                 token=staff["hotline"]).json()
    assert a["light"] == "green" and local(a["due"]) > due


def test_a_reply_nobody_answers_closes_after_seven_days(api: Api, server: AppServer, clock,  # noqa: ANN001
                                                        staff: dict[str, str]) -> None:
    r = new_resident(api)
    c = complain(api, r, category="suggestion", content="建议大厅增设老年人专用等候区")
    api.post(f"/api/v1/staff/complaints/{c['id']}/reply", {"reply": "已在一楼增设爱心等候区，感谢建议。"},
             token=staff["hotline"])
    clock.advance(days=6, hours=23)
    supervise(server)
    relogin(api, r)
    assert api.get(f"/api/v1/complaints/{c['id']}", token=r.access_token).json()["status"] == "replied"
    clock.advance(hours=1, seconds=1)
    supervise(server)
    relogin(api, r)
    done = api.get(f"/api/v1/complaints/{c['id']}", token=r.access_token).json()
    assert done["status"] == "closed" and done["feedback"] is None and done["can_feedback"] is False
    assert done["timeline"][-1]["note"] == "答复后 7 天未评价，自动办结"
    assert messages(server, r.id, "complaint.closed")


def test_supervisor_figures_per_department(api: Api, staff: dict[str, str]) -> None:
    dep = department(api, "SAMR")
    before = {x["department_id"]: x for x in api.get("/api/v1/staff/complaints/summary",
                                                      token=staff["supervisor"]).json()["items"]}.get(dep["id"])
    r = new_resident(api)
    for satisfied in (True, False):
        c = complain(api, r, content="个体户营业执照办理进度查询不到")
        api.post(f"/api/v1/staff/complaints/{c['id']}/assign", {"department_id": dep["id"]}, token=staff["hotline"])
        for _ in range(1 if satisfied else 2):  # not satisfied: reopened once, replied again, still not
            api.post(f"/api/v1/staff/complaints/{c['id']}/reply", {"reply": "已核实，执照已办结，可到窗口领取。"},
                     token=staff["clerk"])
            api.post(f"/api/v1/complaints/{c['id']}/feedback", {"satisfied": satisfied}, token=r.access_token)
        assert api.get(f"/api/v1/complaints/{c['id']}", token=r.access_token).json()["status"] == "closed"
    complain(api, r, content="另一个尚未处理的问题描述")
    row = next(x for x in api.get("/api/v1/staff/complaints/summary", token=staff["supervisor"]).json()["items"]
               if x["department_id"] == dep["id"])
    base = before or {"received": 0, "on_time": 0, "feedback": 0, "satisfied": 0}
    assert row["department_name"] == dep["name"]
    assert row["received"] - base["received"] == 2 and row["on_time"] - base["on_time"] == 2
    assert row["feedback"] - base["feedback"] == 2 and row["satisfied"] - base["satisfied"] == 1
    assert_error(api.get("/api/v1/staff/complaints/summary", token=staff["hotline"]), 403, "forbidden")


def test_attachments_must_be_the_residents_own_files(api: Api) -> None:
    r = new_resident(api)
    assert_error(api.post("/api/v1/complaints", {"category": "complaint", "content": "路灯不亮已经一周",
                                                 "attachments": ["0" * 24]}, token=r.access_token),
                 400, "invalid_input")
    assert_error(api.post("/api/v1/complaints", {"category": "praise", "content": "路灯不亮已经一周"},
                          token=r.access_token), 400, "invalid_input")


def test_a_complaints_photo_is_kept_with_it(api: Api) -> None:
    r = new_resident(api, verified=True)
    photo = uploaded(api, r, jpeg_bytes())
    other = uploaded(api, new_resident(api, verified=True), jpeg_bytes(colour=(10, 200, 30)))
    assert_error(api.post("/api/v1/complaints", {"category": "complaint", "content": "路灯不亮已经一周",
                                                 "attachments": [other["id"]]}, token=r.access_token),
                 400, "invalid_input")
    c = api.post("/api/v1/complaints", {"category": "complaint", "content": "路灯不亮已经一周",
                                        "attachments": [photo["id"]]}, token=r.access_token)
    assert c.status_code == 201, c.text
    assert c.json()["attachments"] == [photo["id"]]
    # Referenced by the complaint, so the orphan sweep keeps it.
    assert api.get(f"/api/v1/files/{photo['id']}", token=r.access_token).json()["attached"] is True


def test_the_staff_handling_complaints_see_its_photos_and_no_one_else_does(api: Api) -> None:
    r = new_resident(api, verified=True)
    photo = uploaded(api, r, jpeg_bytes())
    loose = uploaded(api, r, jpeg_bytes(colour=(10, 200, 30)))   # uploaded, attached to nothing
    c = api.post("/api/v1/complaints", {"category": "complaint", "content": "大厅二楼空调坏了很热",
                                        "attachments": [photo["id"]]}, token=r.access_token)
    assert c.status_code == 201, c.text
    for role in ("hotline", "supervisor", "clerk", "approver"):
        token = staff_login(api, role=role)["access_token"]
        thumb = api.get(f"/api/v1/staff/files/{photo['id']}/thumbnail", token=token)
        assert thumb.status_code == 200 and thumb.headers["Content-Type"].startswith("image/"), (role, thumb.text)
        assert api.get(f"/api/v1/staff/files/{photo['id']}/content", token=token).status_code == 200
        assert_error(api.get(f"/api/v1/staff/files/{loose['id']}/content", token=token), 404, "not_found")
    finance = staff_login(api, role="finance")["access_token"]
    assert_error(api.get(f"/api/v1/staff/files/{photo['id']}/content", token=finance), 404, "not_found")


def test_a_phone_left_for_contact_is_masked_and_shown_in_full_only_on_an_audited_look(
        api: Api, server: AppServer) -> None:
    r = new_resident(api)
    hotline = staff_login(api, role="hotline")["access_token"]
    assert_error(api.post("/api/v1/complaints", {"category": "request", "content": "家门口的路灯坏了一周",
                                                 "contact_ok": True, "contact_phone": "12345"},
                          token=r.access_token), 400, "invalid_input")
    c = api.post("/api/v1/complaints", {"category": "request", "content": "家门口的路灯坏了一周", "contact_ok": True,
                                        "contact_phone": "13800138000"}, token=r.access_token).json()
    assert "contact_phone_masked" not in c and "13800138000" not in str(c)   # the resident's own view
    staff_view = api.get(f"/api/v1/staff/complaints/{c['id']}", token=hotline).json()
    assert staff_view["contact_phone_masked"] == "138****8000" and "13800138000" not in str(staff_view)
    shown = api.post(f"/api/v1/staff/complaints/{c['id']}/contact", token=hotline)
    assert shown.status_code == 200 and shown.json() == {"phone": "13800138000", "serial": c["serial"]}
    logged = server.run(server.ctx.db["audit_log"].find_one({"action": "complaint.contact.reveal",
                                                             "target.id": c["id"]}))
    assert logged is not None and logged["actor"]["type"] == "staff"
    # Not agreeing to be contacted: no phone is kept, whatever was sent.
    quiet = api.post("/api/v1/complaints", {"category": "request", "content": "家门口的路灯坏了一周",
                                            "contact_ok": False, "contact_phone": "13800138000"},
                     token=r.access_token).json()
    assert api.get(f"/api/v1/staff/complaints/{quiet['id']}", token=hotline).json()["contact_phone_masked"] is None
    assert_error(api.post(f"/api/v1/staff/complaints/{quiet['id']}/contact", token=hotline), 404, "not_found")
