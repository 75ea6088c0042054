"""Journey 7, through HTTP only: 好差评. A finished case invites a rating (a push that opens the
rating page) → the resident gives 差评 → a rectification order (整改) opens and the department is
alerted → the department replies → the resident reads the reply → the supervisor closes it. At each
step what the resident reads and what the console's calls return."""
from __future__ import annotations

from tests.support import Api, assert_error, new_resident, staff_login
from tests.support_cases import consent, move, submit, waive_promises
from tests.support_journeys import pushed, read


def test_a_bad_rating_is_rectified_answered_and_closed(api: Api) -> None:
    staff = {role: staff_login(api, role=role)["access_token"] for role in ("clerk", "approver", "supervisor")}
    r = new_resident(api, verified=True)
    consent(api, r, "rating", n=2)
    case = submit(api, r)
    for to, who in (("accepted", "clerk"), ("in_review", "clerk"), ("approved", "approver"), ("completed", "clerk")):
        assert move(api, staff[who], case["id"], to, **waive_promises(to)).status_code == 200

    # Finished: the resident is invited to rate; the push opens the rating page of this case.
    invited = read(api, r, "rating.invited")[0]
    assert invited["title"] == "请为本次服务评价"
    assert f"（办件编号 {case['serial']}）已办结，欢迎对本次服务进行评价" in invited["text"]
    p = pushed(api, r, "phrase3", "已办结")
    assert p["page"] == f"pages/case/rate/index?id={case['id']}"
    assert p["data"]["character_string2"]["value"] == case["serial"]

    # 差评: a rectification order, due in working days, and an alert on the department's list.
    rated = api.post(f"/api/v1/applications/{case['id']}/rating",
                     {"score": 1, "comment": "窗口等候太久", "indicators": ["办事效率"]}, token=r.access_token)
    assert rated.status_code == 201, rated.text
    rated = rated.json()
    assert rated["level"] == "非常不满意" and rated["rectification_id"]
    assert_error(api.post(f"/api/v1/applications/{case['id']}/rating", {"score": 5}, token=r.access_token),
                 409, "already_rated")
    rects = api.get("/api/v1/staff/rectifications", params={"status": "open"}, token=staff["clerk"]).json()
    rect = next(x for x in rects["items"] if x["id"] == rated["rectification_id"])
    assert rect["serial"] == case["serial"] and rect["score"] == 1 and rect["comment"] == "窗口等候太久"
    assert rect["overdue"] is False
    alerts = api.get("/api/v1/staff/inbox", token=staff["supervisor"]).json()["items"]
    alert = next(a for a in alerts if a["application_id"] == case["id"] and a["kind"] == "rectification.opened")
    assert f"办件 {case['serial']}" in alert["text"] and "收到差评（1 分）" in alert["text"]
    rows = api.get("/api/v1/staff/ratings", token=staff["supervisor"]).json()["items"]
    assert any(x["application_id"] == case["id"] and x["level"] == "非常不满意" for x in rows)

    # The supervisor cannot close an order nobody answered; the department replies.
    assert_error(api.post(f"/api/v1/staff/rectifications/{rect['id']}/close", {}, token=staff["supervisor"]),
                 409, "invalid_state")
    reply = api.post(f"/api/v1/staff/rectifications/{rect['id']}/reply",
                     {"reply": "已在高峰时段增开两个窗口，等候时间缩短到二十分钟以内。"}, token=staff["clerk"])
    assert reply.status_code == 200 and reply.json()["status"] == "replied"

    # The resident reads the department's answer, once.
    told = read(api, r, "case.rectification_reply")[0]
    assert told["title"] == "评价整改答复" and case["serial"] in told["text"]
    assert "已在高峰时段增开两个窗口" in told["text"] and told["ref"]["application_id"] == case["id"]

    # The supervisor closes it; the resident hears nothing more of it.
    closed = api.post(f"/api/v1/staff/rectifications/{rect['id']}/close", {"note": "回访群众，认可整改"},
                      token=staff["supervisor"])
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    left = api.get("/api/v1/staff/rectifications", params={"status": "open"}, token=staff["clerk"]).json()
    open_ids = [x["id"] for x in left["items"]]
    assert rect["id"] not in open_ids
    assert len(read(api, r, "case.rectification_reply")) == 1
    mine = api.get(f"/api/v1/applications/{case['id']}", token=r.access_token).json()
    assert mine["rated"] is True and mine["status"] == "completed" and mine["outcome"] is None
