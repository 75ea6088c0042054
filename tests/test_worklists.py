"""Worklists and search through the API: every role's list counts what waits for it and lists it
oldest first; cases, payment orders and complaints are found by serial, by the resident's full name
or by their ID number (matched by its keyed hash, never by reading every record), and only by staff
whose roles read that list."""
from __future__ import annotations

from typing import Any

from tests.support import Api, AppServer, assert_error, make_id_number, staff_login
from tests.support_cases import move, submit
from tests.support_people import verified


def get(api: Api, path: str, token: str, **params: Any) -> dict[str, Any]:
    r = api.get(path, params=params, token=token)
    assert r.status_code == 200, r.text
    return r.json()


def count(counts: dict[str, Any], status: str) -> int:
    return next(x["count"] for x in counts["items"] if x["status"] == status)


def walk(api: Api, path: str, token: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, page by page through its cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = get(api, path, token, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def audit(api: Api, action: str) -> list[dict[str, Any]]:
    token = staff_login(api, role="supervisor")["access_token"]
    return get(api, "/api/v1/staff/audit", token, action=action, limit=100)["items"]


def test_case_worklists_count_what_waits_and_list_it_oldest_first(api: Api, server: AppServer) -> None:
    clerk = staff_login(api, role="clerk")["access_token"]
    before = get(api, "/api/v1/staff/applications/counts", clerk)
    assert {x["status"] for x in before["items"]} == {"submitted", "accepted", "in_review", "correction_requested",
                                                      "approved"}
    made = [submit(api, verified(api)) for _ in range(3)]
    assert move(api, clerk, made[2]["id"], "accepted").status_code == 200
    after = get(api, "/api/v1/staff/applications/counts", clerk)
    assert count(after, "submitted") == count(before, "submitted") + 2
    assert count(after, "accepted") == count(before, "accepted") + 1
    submitted = next(x for x in after["items"] if x["status"] == "submitted")
    assert submitted["oldest_at"] is not None and submitted["oldest_at"] <= made[0]["created_at"]

    # Oldest first, page after page (the cursor goes on after the last case shown), and the newest
    # first as before: the same cases in the opposite order.
    oldest = [c["id"] for c in walk(api, "/api/v1/staff/applications", clerk, status="submitted", order="oldest",
                                    limit=2)]
    newest = [c["id"] for c in walk(api, "/api/v1/staff/applications", clerk, status="submitted", limit=2)]
    assert oldest == list(reversed(newest))
    assert len(oldest) == count(after, "submitted")
    assert [i for i in oldest if i in (made[0]["id"], made[1]["id"])] == [made[0]["id"], made[1]["id"]]

    # Approvers read the same counts; a hall manager or a resident does not.
    approver = staff_login(api, role="approver")["access_token"]
    assert count(get(api, "/api/v1/staff/applications/counts", approver), "accepted") == count(after, "accepted")
    hall = staff_login(api, role="hall_manager")["access_token"]
    assert_error(api.get("/api/v1/staff/applications/counts", token=hall), 403, "forbidden")
    assert_error(api.get("/api/v1/staff/applications/counts"), 401, "unauthenticated")
    assert_error(api.get("/api/v1/staff/applications", params={"order": "sideways"}, token=clerk),
                 400, "invalid_input")


def test_a_case_search_by_id_number_finds_that_residents_cases_only(api: Api, server: AppServer) -> None:
    person = verified(api)
    namesake = verified(api, name=person.name)
    mine = [submit(api, person), submit(api, person, code="BDC-BF")]
    theirs = submit(api, namesake)
    approver = staff_login(api, role="approver")["access_token"]
    found = get(api, "/api/v1/staff/applications", approver, q=person.id_number)["items"]
    assert {c["id"] for c in found} == {c["id"] for c in mine}
    assert {c["applicant"]["id"] for c in found} == {person.id}
    by_name = get(api, "/api/v1/staff/applications", approver, q=person.name)["items"]
    assert {c["id"] for c in by_name} == {*(c["id"] for c in mine), theirs["id"]}
    # A name is matched whole (five characters here): its first four find neither of them.
    partial = get(api, "/api/v1/staff/applications", approver, q=person.name[:4])["items"]
    assert not {c["applicant"]["id"] for c in partial} & {person.id, namesake.id}
    hall = staff_login(api, role="hall_manager")["access_token"]
    assert_error(api.get("/api/v1/staff/applications", params={"q": person.id_number}, token=hall), 403, "forbidden")
    hotline = staff_login(api, role="hotline")["access_token"]
    assert_error(api.get("/api/v1/staff/applications", params={"q": person.id_number}, token=hotline),
                 403, "forbidden")


def _order(api: Api, finance: str, case_id: str) -> dict[str, Any]:
    items = [{"name": "工本费", "amount_fen": 500}]
    r = api.post("/api/v1/staff/payments", {"application_id": case_id, "items": items}, token=finance)
    assert r.status_code == 201, r.text
    return r.json()


def test_payment_orders_are_found_by_serial_name_or_id_number(api: Api, server: AppServer) -> None:
    person = verified(api)
    namesake = verified(api, name=person.name)
    finance = staff_login(api, role="finance")["access_token"]
    before = get(api, "/api/v1/staff/payments/counts", finance)
    case = submit(api, person, code="BDC-BF")
    other = submit(api, namesake, code="BDC-BF")
    mine, theirs = _order(api, finance, case["id"]), _order(api, finance, other["id"])

    by_id = get(api, "/api/v1/staff/payments", finance, q=person.id_number)["items"]
    assert [p["id"] for p in by_id] == [mine["id"]]
    assert by_id[0]["payer"]["id"] == person.id
    by_name = get(api, "/api/v1/staff/payments", finance, q=person.name)["items"]
    assert {p["id"] for p in by_name} == {mine["id"], theirs["id"]}
    by_serial = get(api, "/api/v1/staff/payments", finance, q=f" {case['serial'].lower()} ")["items"]
    assert [p["id"] for p in by_serial] == [mine["id"]]
    assert get(api, "/api/v1/staff/payments", finance, q=make_id_number())["items"] == []
    # The answers and the audit entries never carry what was typed.
    text = api.get("/api/v1/staff/payments", params={"q": person.id_number}, token=finance).text
    assert person.id_number not in text and person.name not in text
    entries = [e for e in audit(api, "payment.search") if e["target"]["id"] == person.id]
    assert entries and not any(person.id_number in str(e) or person.name in str(e) for e in entries)

    # Counts of what waits: both orders are unpaid; the oldest unpaid first.
    after = get(api, "/api/v1/staff/payments/counts", finance)
    assert count(after, "unpaid") == count(before, "unpaid") + 2
    oldest = [p["id"] for p in walk(api, "/api/v1/staff/payments", finance, status="unpaid", order="oldest",
                                    limit=100)]
    assert len(oldest) == count(after, "unpaid")
    assert oldest.index(mine["id"]) < oldest.index(theirs["id"])

    # Clerks read orders too (on a case's page); others do not.
    clerk = staff_login(api, role="clerk")["access_token"]
    assert [p["id"] for p in get(api, "/api/v1/staff/payments", clerk, q=person.id_number)["items"]] == [mine["id"]]
    for role in ("hall_manager", "hotline"):
        token = staff_login(api, role=role)["access_token"]
        assert_error(api.get("/api/v1/staff/payments", params={"q": person.id_number}, token=token), 403, "forbidden")
        assert_error(api.get("/api/v1/staff/payments/counts", token=token), 403, "forbidden")
    assert_error(api.get("/api/v1/staff/payments", params={"q": "x"}, token=finance), 400, "invalid_input")


def _complain(api: Api, token: str) -> dict[str, Any]:
    r = api.post("/api/v1/complaints", {"category": "complaint", "content": "市民中心停车场出口道闸坏了三天没人修",
                                        "location": "龙沙区卜奎大街 100 号"}, token=token)
    assert r.status_code == 201, r.text
    return r.json()


def test_complaints_are_counted_and_found_by_serial_name_or_id_number(api: Api, server: AppServer) -> None:
    person = verified(api)
    namesake = verified(api, name=person.name)
    hotline = staff_login(api, role="hotline")["access_token"]
    before = get(api, "/api/v1/staff/complaints/counts", hotline)
    first, second = _complain(api, person.access_token), _complain(api, namesake.access_token)
    after = get(api, "/api/v1/staff/complaints/counts", hotline)
    assert count(after, "received") == count(before, "received") + 2
    received = [c["id"] for c in walk(api, "/api/v1/staff/complaints", hotline, status="received", order="oldest",
                                      limit=50)]
    assert len(received) == count(after, "received")
    assert received.index(first["id"]) < received.index(second["id"])

    assert [c["id"] for c in get(api, "/api/v1/staff/complaints", hotline, q=person.id_number)["items"]] \
        == [first["id"]]
    assert {c["id"] for c in get(api, "/api/v1/staff/complaints", hotline, q=person.name)["items"]} \
        == {first["id"], second["id"]}
    assert [c["id"] for c in get(api, "/api/v1/staff/complaints", hotline, q=first["serial"].lower())["items"]] \
        == [first["id"]]
    assert get(api, "/api/v1/staff/complaints", hotline, q=make_id_number())["items"] == []
    assert any(e["target"]["id"] == person.id for e in audit(api, "complaint.search"))
    for role in ("finance", "hall_manager"):
        token = staff_login(api, role=role)["access_token"]
        assert_error(api.get("/api/v1/staff/complaints", params={"q": person.id_number}, token=token),
                     403, "forbidden")
        assert_error(api.get("/api/v1/staff/complaints/counts", token=token), 403, "forbidden")


def test_bundles_are_found_by_serial_name_or_id_number_and_the_search_is_audited(api: Api,
                                                                                  server: AppServer) -> None:
    from tests.test_bundles import _fee_event, apply

    event_id = _fee_event(api)
    person = verified(api)
    namesake = verified(api, name=person.name)
    form = {"property_address": "建华区新明大街 28 号 1 单元 602 室", "contact_phone": "13700003333"}
    materials = ["ids", "cert", "contract", "tax", "id_card", "notice"]
    made = []
    for who in (person, namesake):
        r = apply(api, who, event_id, form, materials)
        assert r.status_code == 201, r.text
        made.append(r.json())
    mine, theirs = made
    clerk = staff_login(api, role="clerk")["access_token"]

    by_id = get(api, "/api/v1/staff/bundles", clerk, q=person.id_number)["items"]
    assert [b["id"] for b in by_id] == [mine["id"]]
    assert by_id[0]["applicant"]["id"] == person.id and by_id[0]["applicant"]["name_masked"]
    assert [c["serial"] for c in by_id[0]["applications"]] == [c["serial"] for c in mine["applications"]]
    by_name = get(api, "/api/v1/staff/bundles", clerk, q=person.name)["items"]
    assert [b["id"] for b in by_name] == [theirs["id"], mine["id"]]  # newest first
    paged = get(api, "/api/v1/staff/bundles", clerk, q=person.name, limit=1)
    assert [b["id"] for b in paged["items"]] == [theirs["id"]] and paged["next_cursor"]
    rest = get(api, "/api/v1/staff/bundles", clerk, q=person.name, cursor=paged["next_cursor"])
    assert [b["id"] for b in rest["items"]] == [mine["id"]] and rest["next_cursor"] is None
    by_serial = get(api, "/api/v1/staff/bundles", clerk, q=f" {mine['serial'].lower()} ")["items"]
    assert [b["id"] for b in by_serial] == [mine["id"]]
    assert get(api, "/api/v1/staff/bundles", clerk, serial=mine["serial"])["items"][0]["id"] == mine["id"]
    assert get(api, "/api/v1/staff/bundles", clerk, q=make_id_number())["items"] == []
    assert get(api, "/api/v1/staff/bundles", clerk, q=person.name[:-1])["items"] == []  # whole names only

    # The answers and the audit entries never carry what was typed; the search by a person is audited.
    text = api.get("/api/v1/staff/bundles", params={"q": person.id_number}, token=clerk).text
    assert person.id_number not in text and person.name not in text
    entries = [e for e in audit(api, "bundle.search") if e["target"]["id"] == person.id]
    assert entries and not any(person.id_number in str(e) or person.name in str(e) for e in entries)

    # Neither a serial nor a q, or a role that does not read bundles: refused.
    assert_error(api.get("/api/v1/staff/bundles", token=clerk), 400, "invalid_input")
    hotline = staff_login(api, role="hotline")["access_token"]
    assert_error(api.get("/api/v1/staff/bundles", params={"q": person.id_number}, token=hotline), 403, "forbidden")
