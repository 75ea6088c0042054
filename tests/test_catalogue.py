"""The catalogue through the API: public reading, hall managers' editing, the working calendar."""
from __future__ import annotations

import uuid
from collections.abc import Callable

from backend.core.http import KeptJson
from tests.support import Api, assert_error, new_resident, staff_login


def _code() -> str:
    return "T-" + uuid.uuid4().hex[:8].upper()


def test_seeded_catalogue_has_halls_departments_and_guides(api: Api) -> None:
    halls = api.get("/api/v1/halls").json()["items"]
    assert len(halls) >= 2 and all(h["windows"] for h in halls)
    depts = api.get("/api/v1/departments").json()["items"]
    names = {d["name"] for d in depts}
    assert {"市公安局户政", "市人力资源和社会保障局", "市不动产登记中心", "市市场监督管理局"} <= names
    services = api.get("/api/v1/services").json()
    assert services["next_cursor"] is None and len(services["items"]) >= 8
    assert len({s["department_id"] for s in services["items"]}) >= 5
    passport = next(s for s in services["items"] if s["code"] == "CRJ-HZ")
    guide = api.get(f"/api/v1/services/{passport['id']}").json()["guide"]
    assert guide["fee_fen"] == 12000 and guide["promised_days"] <= guide["statutory_days"]
    assert guide["materials"] and guide["location"] and guide["max_visits"] == 1
    assert any(m["tolerable"] for s in services["items"] for m in s["guide"]["materials"])


def test_filters_and_search(api: Api) -> None:
    items = api.get("/api/v1/services", params={"q": "护照"}).json()["items"]
    assert [s["code"] for s in items] == ["CRJ-HZ"]
    # A pattern or an operator in the search text is only ever a literal.
    assert api.get("/api/v1/services", params={"q": ".*"}).json()["items"] == []
    assert_error(api.get("/api/v1/services", params={"q[$ne]": "x"}), 400, "invalid_input")
    hpf = next(d for d in api.get("/api/v1/departments").json()["items"] if d["code"] == "HPF")
    by_dept = api.get("/api/v1/services", params={"department_id": hpf["id"]}).json()["items"]
    assert by_dept and all(s["department_id"] == hpf["id"] for s in by_dept)
    frequent = api.get("/api/v1/services", params={"frequent": "true"}).json()["items"]
    assert frequent and all(s["frequent"] for s in frequent)
    assert_error(api.get("/api/v1/services", params={"frequent": "maybe"}), 400, "invalid_input")


def test_unknown_ids_are_404(api: Api) -> None:
    assert_error(api.get("/api/v1/services/000000000000000000000000"), 404, "not_found")
    assert_error(api.get("/api/v1/services/not-an-id"), 404, "not_found")
    assert_error(api.get("/api/v1/halls/not-an-id"), 404, "not_found")


def _service_body(dept_id: str, **kw) -> dict:
    return {"code": _code(), "name": "测试事项", "department_id": dept_id, "guide": {
        "materials": [{"key": "id_card", "name": "居民身份证", "required": True}],
        "fee_fen": 0, "statutory_days": 20, "promised_days": 5, "online": True, "bookable": True,
        "visit_required": True, "max_visits": 1, "location": "一楼"}, **kw}


def test_hall_manager_manages_the_catalogue_and_it_is_audited(api: Api) -> None:
    token = staff_login(api, role="hall_manager")["access_token"]
    dept = api.post("/api/v1/staff/departments", {"code": _code(), "name": "测试局"}, token=token)
    assert dept.status_code == 201, dept.text
    hall = api.post("/api/v1/staff/halls", {
        "code": _code(), "name": "测试大厅", "address": "测试路 1 号",
        "opening_hours": [{"weekday": 1, "start": "09:00", "end": "12:00"}]}, token=token)
    assert hall.status_code == 201, hall.text
    svc = api.post("/api/v1/staff/services", _service_body(dept.json()["id"], hall_ids=[hall.json()["id"]]),
                   token=token)
    assert svc.status_code == 201, svc.text
    assert svc.json()["department_name"] == "测试局" and svc.json()["guide"]["materials"][0]["tolerable"] is False
    sid = svc.json()["id"]
    r = api.patch(f"/api/v1/staff/halls/{hall.json()['id']}", {"windows": [
        {"number": "01", "name": "综合窗口", "area_prefix": "A", "service_ids": [sid]}]}, token=token)
    assert r.status_code == 200, r.text
    window = r.json()["windows"][0]
    # Keeping a window's id keeps the window; an unknown id is refused.
    r = api.patch(f"/api/v1/staff/halls/{hall.json()['id']}", {"windows": [{**window, "name": "综合受理窗口"}]},
                  token=token)
    assert r.json()["windows"][0]["id"] == window["id"]
    assert_error(api.patch(f"/api/v1/staff/halls/{hall.json()['id']}", {"windows": [{**window, "id": "nope"}]},
                           token=token), 400, "invalid_input")
    # Withdrawing a service hides it from the public.
    assert api.patch(f"/api/v1/staff/services/{sid}", {"status": "inactive"}, token=token).status_code == 200
    assert_error(api.get(f"/api/v1/services/{sid}"), 404, "not_found")
    admin = staff_login(api, role="admin")["access_token"]
    audit = api.get("/api/v1/staff/audit", params={"target_id": sid}, token=admin).json()["items"]
    actions = {e["action"] for e in audit}
    assert actions == {"catalogue.service.create", "catalogue.service.update"}


def test_catalogue_edits_are_validated_and_guarded(api: Api) -> None:
    token = staff_login(api, role="hall_manager")["access_token"]
    dept_id = api.get("/api/v1/departments").json()["items"][0]["id"]
    err = assert_error(api.post("/api/v1/staff/services", _service_body("000000000000000000000000"), token=token),
                       400, "invalid_input")
    assert "department_id" in err["details"]["fields"]
    body = _service_body(dept_id)
    body["guide"]["promised_days"] = 30
    assert_error(api.post("/api/v1/staff/services", body, token=token), 400, "invalid_input")
    hall = {"code": _code(), "name": "x", "address": "y",
            "opening_hours": [{"weekday": 8, "start": "9:00", "end": "12:00"}]}
    err = assert_error(api.post("/api/v1/staff/halls", hall, token=token), 400, "invalid_input")
    assert set(err["details"]["fields"]) == {"opening_hours.0.weekday", "opening_hours.0.start"}
    assert_error(api.post("/api/v1/staff/halls", {"code": _code(), "name": "x", "address": "y",
                                                   "opening_hours": [{"weekday": 1, "start": "12:00", "end": "09:00"}]},
                          token=token), 400, "invalid_input")
    code = _code()
    assert api.post("/api/v1/staff/departments", {"code": code, "name": "甲"}, token=token).status_code == 201
    assert_error(api.post("/api/v1/staff/departments", {"code": code, "name": "乙"}, token=token), 409, "code_taken")
    # Only hall managers edit; residents' tokens never open staff endpoints.
    clerk = staff_login(api, role="clerk")["access_token"]
    assert_error(api.post("/api/v1/staff/departments", {"code": _code(), "name": "丙"}, token=clerk), 403, "forbidden")
    resident = new_resident(api)
    assert_error(api.post("/api/v1/staff/departments", {"code": _code(), "name": "丁"}, token=resident.access_token),
                 401, "unauthenticated")


def test_ids_in_paths_are_normalised(api: Api) -> None:
    svc = api.get("/api/v1/services").json()["items"][0]
    upper = api.get(f"/api/v1/services/{svc['id'].upper()}")
    assert upper.status_code == 200 and upper.json()["id"] == svc["id"]
    hall = api.get("/api/v1/halls").json()["items"][0]
    assert api.get(f"/api/v1/halls/{hall['id'].upper()}").json()["id"] == hall["id"]
    for bad in ("x" * 24, svc["id"][:-1], svc["id"] + "0", " " + svc["id"][1:]):
        assert_error(api.get(f"/api/v1/services/{bad}"), 404, "not_found")


def test_home_page_lists_kept_encoded_show_a_change_at_once(api: Api) -> None:
    """The departments and services lists are encoded once per kept list (``KeptJson``); a change
    made through this process is in the very next answer, not the encoding kept from before."""
    token = staff_login(api, role="hall_manager")["access_token"]
    first = api.get("/api/v1/departments")
    assert first.status_code == 200 and api.get("/api/v1/departments").text == first.text
    dept = api.post("/api/v1/staff/departments", {"code": _code(), "name": "编码测试局"}, token=token).json()
    assert dept["id"] in [d["id"] for d in api.get("/api/v1/departments").json()["items"]]

    svc = api.post("/api/v1/staff/services", _service_body(dept["id"]), token=token).json()
    listed = api.get("/api/v1/services", params={"department_id": dept["id"]}).json()["items"]
    assert [s["name"] for s in listed] == ["测试事项"]
    assert api.patch(f"/api/v1/staff/services/{svc['id']}", {"name": "改名后的事项"}, token=token).status_code == 200
    listed = api.get("/api/v1/services", params={"department_id": dept["id"]}).json()["items"]
    assert [s["name"] for s in listed] == ["改名后的事项"]


def test_kept_json_encodes_each_kept_value_once() -> None:
    kept_json = KeptJson(limit=2)
    encoded: list[str] = []

    def encode(value: object) -> Callable[[], str]:
        def go() -> str:
            encoded.append(repr(value))
            return repr(value)
        return go
    a, b, c = ["a"], ["a"], ["c"]
    assert [kept_json.text(a, encode(a)) for _ in range(3)] == ["['a']"] * 3
    assert kept_json.text(b, encode(b)) == "['a']", "an equal value is another kept value"
    assert len(encoded) == 2
    kept_json.text(c, encode(c))                 # past the limit: the old entries go
    kept_json.text(a, encode(a))
    assert len(encoded) == 4
