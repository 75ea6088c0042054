"""电子监察: open cases go green → yellow (within 2 working days of the deadline) → red (past
it), staff are alerted once per change, and a correction stops the clock."""
from __future__ import annotations

import datetime as dt

from bson import ObjectId

from tests.support import Api, AppServer, new_resident, staff_login
from tests.support_cases import move, submit


def _light(api: Api, token: str, case_id: str) -> str:
    return api.get(f"/api/v1/staff/applications/{case_id}", token=token).json()["light"]


def test_lights_follow_the_deadline_and_alert_staff(api: Api, server: AppServer, clock) -> None:  # noqa: ANN001
    sup = staff_login(api, role="supervisor")["access_token"]
    clerk = staff_login(api, role="clerk")["access_token"]
    r = new_resident(api, verified=True)
    case = submit(api, r)
    paused = submit(api, new_resident(api, verified=True))
    move(api, clerk, paused["id"], "correction_requested", missing=["户口簿"])
    server.run(server.ctx.service("cases").supervise())
    assert _light(api, sup, case["id"]) == "green"
    deadline = dt.datetime.fromisoformat(case["deadline"])
    clock.advance(seconds=(deadline - clock.now()).total_seconds() - 3600)  # an hour before the deadline
    server.run(server.ctx.service("cases").supervise())
    sup = staff_login(api, role="supervisor")["access_token"]
    assert _light(api, sup, case["id"]) == "yellow"
    clock.advance(hours=2)
    server.run(server.ctx.service("cases").supervise())
    server.run(server.ctx.service("cases").supervise())  # twice: one alert per change
    sup = staff_login(api, role="supervisor")["access_token"]
    assert _light(api, sup, case["id"]) == "red"
    assert _light(api, sup, paused["id"]) == "green"  # waiting for the resident: the clock is stopped
    red = api.get("/api/v1/staff/supervision/cases", params={"light": "red"}, token=sup).json()["items"]
    assert case["id"] in [c["id"] for c in red] and paused["id"] not in [c["id"] for c in red]
    alerts = [a for a in api.get("/api/v1/staff/inbox", token=sup).json()["items"] if a["application_id"] == case["id"]]
    assert sorted(a["kind"] for a in alerts) == ["supervision.red", "supervision.yellow"]
    summary = api.get("/api/v1/staff/supervision/summary", token=sup).json()["items"]
    assert next(x for x in summary if x["department_id"] == case["department_id"])["red"] >= 1


def test_the_job_looks_only_at_cases_whose_light_is_due_and_plans_unplanned_ones(api: Api, server: AppServer) -> None:
    case = submit(api, new_resident(api, verified=True))
    cases = server.ctx.service("cases")

    async def light_due() -> dt.datetime | None:
        doc = await server.ctx.db["cases"].find_one({"_id": ObjectId(case["id"])})
        return doc.get("light_due_at", "absent")
    due = server.run(light_due())
    deadline = dt.datetime.fromisoformat(case["deadline"])
    assert server.clock.now() < due < deadline  # the day it turns yellow, not every tick before
    server.run(server.ctx.db["cases"].update_one({"_id": ObjectId(case["id"])},
                                                        {"$unset": {"light_due_at": ""}}))
    server.run(cases.plan_lights())
    assert server.run(light_due()) == due
