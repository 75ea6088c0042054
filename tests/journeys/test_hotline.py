"""Journey 5, through HTTP only: a resident reports to 12345 → the hotline assigns it → the
department replies → the resident is not satisfied → the department replies again → closed. At each
step: what the resident reads (inbox, WeChat push and the page it opens) and what the console's calls
return to the hotline, the department and the supervisor."""
from __future__ import annotations

from tests.support import Api, new_resident, staff_login
from tests.support_cases import consent
from tests.support_journeys import pushed, read


def test_a_report_to_12345_is_answered_reopened_once_and_closed(api: Api) -> None:
    staff = {role: staff_login(api, role=role)["access_token"] for role in ("hotline", "clerk", "supervisor")}
    r = new_resident(api, verified=True)
    consent(api, r, "case_progress", n=10)
    page = None

    # The resident reports a problem; the hotline's list shows it to assign.
    c = api.post("/api/v1/complaints", {"category": "complaint", "content": "市民中心停车场出口道闸坏了三天没人修",
                                        "location": "龙沙区卜奎大街 100 号", "contact_ok": True},
                 token=r.access_token)
    assert c.status_code == 201, c.text
    c = c.json()
    page = f"pages/complaint/detail/index?id={c['id']}"
    got = read(api, r, "complaint.received")[0]
    assert got["title"] == "诉求已登记" and f"工单编号 {c['serial']}" in got["text"]
    p = pushed(api, r, "phrase2", "已登记")
    assert p["page"] == page and p["data"]["character_string3"]["value"] == c["serial"]
    queue = api.get("/api/v1/staff/complaints", params={"status": "received"}, token=staff["hotline"]).json()
    assert c["id"] in [x["id"] for x in queue["items"]]

    # The hotline assigns it to the department; the resident is told who and by when.
    dep = next(d for d in api.get("/api/v1/departments").json()["items"] if d["code"] == "REAL")
    a = api.post(f"/api/v1/staff/complaints/{c['id']}/assign", {"department_id": dep["id"]}, token=staff["hotline"])
    assert a.status_code == 200, a.text
    got = read(api, r, "complaint.assigned")[0]
    assert got["title"] == "工单已转交办理" and dep["name"] in got["text"] and c["serial"] in got["text"]
    assert pushed(api, r, "phrase2", "办理中")["page"] == page
    mine = api.get("/api/v1/staff/complaints", params={"department_id": dep["id"], "status": "assigned"},
                   token=staff["clerk"]).json()["items"]
    assert c["id"] in [x["id"] for x in mine]

    # The department replies; the resident reads the reply and is asked whether satisfied.
    rep = api.post(f"/api/v1/staff/complaints/{c['id']}/reply", {"reply": "道闸已于今日修复，感谢您的监督。"},
                   token=staff["clerk"])
    assert rep.status_code == 200 and rep.json()["status"] == "replied"
    got = read(api, r, "complaint.replied")[0]
    assert got["title"] == "工单已答复" and "道闸已于今日修复" in got["text"] and "是否满意" in got["text"]
    assert pushed(api, r, "phrase2", "已答复")["page"] == page
    seen = api.get(f"/api/v1/complaints/{c['id']}", token=r.access_token).json()
    assert seen["can_feedback"] is True and seen["reply"]["text"].startswith("道闸已于今日修复")

    # Not satisfied: back to the department, with a new due date the resident reads.
    back = api.post(f"/api/v1/complaints/{c['id']}/feedback", {"satisfied": False, "comment": "晚上还是抬不起来"},
                    token=r.access_token)
    assert back.status_code == 200 and back.json()["status"] == "assigned"
    got = read(api, r, "complaint.reopened")[0]
    assert got["title"] == "工单已重新办理" and "不满意" in got["text"] and "再次答复" in got["text"]
    assert pushed(api, r, "phrase2", "重新办理")["page"] == page

    # The second reply; the resident answers once more and the ticket is closed.
    rep2 = api.post(f"/api/v1/staff/complaints/{c['id']}/reply", {"reply": "已更换道闸控制器，夜间已测试正常。"},
                    token=staff["clerk"])
    assert rep2.status_code == 200
    replies = read(api, r, "complaint.replied", n=2)
    assert "已更换道闸控制器" in replies[1]["text"]
    done = api.post(f"/api/v1/complaints/{c['id']}/feedback", {"satisfied": True}, token=r.access_token)
    assert done.status_code == 200 and done.json()["status"] == "closed"
    got = read(api, r, "complaint.closed")[0]
    assert got["title"] == "工单已办结" and c["serial"] in got["text"]
    assert pushed(api, r, "phrase2", "已办结")["page"] == page
    timeline = api.get(f"/api/v1/complaints/{c['id']}", token=r.access_token).json()["timeline"]
    assert [e["status"] for e in timeline] == ["received", "assigned", "replied", "assigned", "replied", "closed"]

    # The supervisor's figures count it for the department.
    summary = api.get("/api/v1/staff/complaints/summary", token=staff["supervisor"])
    assert summary.status_code == 200, summary.text
    assert any(row.get("department_id") == dep["id"] for row in summary.json()["items"])
