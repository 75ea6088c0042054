"""A resident's own data (我的数据): everything held about them, exported, and the account cancelled
(注销) — what the law keeps stays and verifies, detached from the WeChat identity; everything else
goes; the sessions end at once; the same WeChat identity later starts a new account."""
from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from typing import Any
from urllib.parse import unquote

from bson import ObjectId

from tests.support import Api, AppServer, ResidentHandle, assert_error, bind_realname, new_resident, staff_login
from tests.support_appointments import book, day_ahead, make_bookable, open_day, slots
from tests.support_cases import eventually
from tests.support_files import pdf_bytes, uploaded
from tests.support_payments import confirm_wechat, create_order, db_find, pay_wechat, prepay_id


def _sections(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {s["key"]: s["items"] for s in doc["sections"]}


def _remaining(api: Api, b: Any, day: Any, slot_id: str) -> int:
    return next(s["remaining"] for s in slots(api, b, day) if s["id"] == slot_id)


def _inbox_rows(server: AppServer, user_id: str) -> list[dict[str, Any]]:
    return db_find(server, "inbox", {"user_id": user_id})


def _resident_with_records(api: Api, server: AppServer, b: Any, day: Any) -> dict[str, Any]:
    """A verified resident with a booking, a case with a paid order (and its receipt), messages
    and two files (one attached to nothing)."""
    r = new_resident(api, verified=True)
    slot = slots(api, b, day)[0]
    booked = book(api, r.access_token, slot["id"])
    assert booked.status_code == 201, booked.text
    _, order = create_order(api, server, resident=r)
    confirm_wechat(api, prepay_id(pay_wechat(api, r, order["id"])))
    paid = eventually(lambda: (p := api.get(f"/api/v1/payments/{order['id']}", token=r.access_token).json())
                      ["status"] == "paid" and p.get("receipt_id") and p)
    receipt = api.get(f"/api/v1/receipts/{paid['receipt_id']}", token=r.access_token).json()
    eventually(lambda: len(_inbox_rows(server, r.id)) >= 2)
    loose = uploaded(api, r, pdf_bytes("loose scan"), name="草稿扫描件.pdf", content_type="application/pdf")
    return {"resident": r, "slot_id": slot["id"], "appointment": booked.json(), "order": paid,
            "case_id": paid["application_id"], "receipt": receipt, "loose_file": loose}


def test_export_holds_every_record_of_the_caller_and_none_of_another(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=3)
    day = day_ahead(server, 3)
    open_day(api, b, day)
    a = _resident_with_records(api, server, b, day)
    other = _resident_with_records(api, server, b, day)
    ra: ResidentHandle = a["resident"]

    resp = api.get("/api/v1/me/data", token=ra.access_token)
    assert resp.status_code == 200, resp.text
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]).startswith("我的数据-") and disposition.endswith(".json")
    doc = resp.json()
    found = _sections(doc)
    assert doc["resident_id"] == ra.id
    assert found["account"][0]["name_masked"] and "*" in found["account"][0]["id_number_masked"]
    assert ra.id_number not in resp.text and ra.openid not in resp.text      # masked, never in full
    assert [x["id"] for x in found["appointments"]] == [a["appointment"]["id"]]
    assert a["case_id"] in {x["id"] for x in found["applications"]}
    assert [x["id"] for x in found["payments"]] == [a["order"]["id"]]
    assert [x["id"] for x in found["receipts"]] == [a["receipt"]["id"]]
    assert found["messages"] and {x["id"] for x in found["files"]} == {a["loose_file"]["id"]}
    kept = {s["key"]: s["kept"] for s in doc["sections"]}
    assert kept["payments"] and kept["receipts"] and kept["applications"] and not kept["messages"]
    # nothing of the other resident's, whichever of the two asks
    ro: ResidentHandle = other["resident"]
    for their in (ro.id, other["appointment"]["id"], other["case_id"], other["order"]["id"], other["receipt"]["id"],
                  other["loose_file"]["id"]):
        assert their not in resp.text
    theirs = api.get("/api/v1/me/data", token=ro.access_token).text
    for mine in (ra.id, a["appointment"]["id"], a["case_id"], a["order"]["id"], a["receipt"]["id"]):
        assert mine not in theirs

    # the ZIP: the same document and the files' bytes
    z = api.get("/api/v1/me/data/archive", token=ra.access_token)
    assert z.status_code == 200 and z.headers["Content-Type"] == "application/zip"
    assert unquote(z.headers["Content-Disposition"].split("''", 1)[1]).endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        names = zf.namelist()
        inner = json.loads(zf.read("我的数据.json"))
        file_name = next(n for n in names if a["loose_file"]["id"] in n)
        assert zf.read(file_name).startswith(b"%PDF-")
    assert _sections(inner)["payments"][0]["id"] == a["order"]["id"]
    assert not [n for n in names if other["loose_file"]["id"] in n]

    # every export is in the audit log, for the admin
    admin = staff_login(api, role="admin")["access_token"]
    entries = api.get("/api/v1/staff/audit", params={"action": "resident.data.export", "target_id": ra.id},
                      token=admin).json()["items"]
    assert len(entries) == 2


def test_cancellation_keeps_what_the_law_keeps_detached_and_deletes_the_rest(api: Api, server: AppServer) -> None:
    b = make_bookable(api, capacity=2)
    day = day_ahead(server, 3)
    open_day(api, b, day)
    a = _resident_with_records(api, server, b, day)
    r: ResidentHandle = a["resident"]
    assert _remaining(api, b, day, a["slot_id"]) == 1
    assert db_find(server, "pay_attempts", {"payment_id": ObjectId(a["order"]["id"])})[0]["payer_openid"] == r.openid

    assert_error(api.post("/api/v1/me/cancel", {"confirm": False}, token=r.access_token), 400,
                 "cancellation_not_confirmed")
    assert api.get("/api/v1/me/cancel", token=r.access_token).json() == {"can_cancel": True, "reasons": []}
    done = api.post("/api/v1/me/cancel", {"confirm": True}, token=r.access_token)
    assert done.status_code == 200 and done.json() == {"cancelled": True}

    # the sessions end at once: the access and the refresh token are refused
    gone = api.get("/api/v1/me", token=r.access_token)
    assert gone.status_code == 401 and "注销" in gone.json()["error"]["message"]
    assert api.post("/api/v1/auth/refresh", {"refresh_token": r.refresh_token}).status_code == 401
    # the booking is cancelled and its place free again
    assert _remaining(api, b, day, a["slot_id"]) == 2
    assert db_find(server, "appointments", {"_id": ObjectId(a["appointment"]["id"])})[0]["status"] == "cancelled"
    # the receipt still verifies; the payment and the case are there, with no WeChat identity left
    rc = a["receipt"]
    v = api.get("/api/v1/receipts/verify", params={"code": rc["code"], "number": rc["number"],
                                                   "check": rc["check_code"]})
    assert v.status_code == 200 and v.json()["valid"] is True
    assert db_find(server, "payments", {"_id": ObjectId(a["order"]["id"])})[0]["status"] == "paid"
    assert [x["payer_openid"] for x in db_find(server, "pay_attempts", {"payment_id": ObjectId(a["order"]["id"])})] \
        == [None]
    clerk = staff_login(api, role="clerk")["access_token"]
    assert api.get(f"/api/v1/staff/applications/{a['case_id']}", token=clerk).status_code == 200
    account = db_find(server, "users", {"_id": ObjectId(r.id)})[0]
    assert account["status"] == "cancelled" and account["openid"] != r.openid and "unionid" not in account
    assert db_find(server, "users", {"openid": r.openid}) == []
    # the inbox, the consents and the loose file are gone
    assert _inbox_rows(server, r.id) == [] and db_find(server, "subscriptions", {"user_id": r.id}) == []
    assert db_find(server, "files", {"_id": ObjectId(a["loose_file"]["id"])}) == []

    # the same WeChat identity starts a new account, with none of the old records
    again = api.post("/api/v1/auth/wechat-login", {"code": r.openid[2:]})
    assert again.status_code == 200
    fresh = again.json()
    assert fresh["user"]["id"] != r.id and fresh["user"]["realname_verified"] is False
    found = _sections(api.get("/api/v1/me/data", token=fresh["access_token"]).json())
    assert not any(found[k] for k in ("appointments", "applications", "payments", "receipts", "messages", "files"))
    # ...and the person may verify the new account with the same ID number
    again_handle = ResidentHandle(id=fresh["user"]["id"], access_token=fresh["access_token"],
                                  refresh_token=fresh["refresh_token"], openid=r.openid)
    assert bind_realname(api, again_handle, r.name, r.id_number).status_code == 200

    admin = staff_login(api, role="admin")["access_token"]
    entries = api.get("/api/v1/staff/audit", params={"action": "resident.account.cancel", "target_id": r.id},
                      token=admin).json()["items"]
    assert [e["outcome"] for e in entries] == ["ok"]


def test_cancellation_waits_for_a_payment_being_paid(api: Api, server: AppServer) -> None:
    r, order = create_order(api, server)
    pay = pay_wechat(api, r, order["id"])           # paying: an open attempt at WeChat Pay
    check = api.get("/api/v1/me/cancel", token=r.access_token).json()
    assert check["can_cancel"] is False and "正在支付" in check["reasons"][0]
    err = assert_error(api.post("/api/v1/me/cancel", {"confirm": True}, token=r.access_token), 409,
                       "cancellation_blocked")
    assert "正在支付" in err["message"] and err["details"]["reasons"]
    # nothing changed: the account works, and once paid it may be cancelled
    assert api.get("/api/v1/me", token=r.access_token).status_code == 200
    confirm_wechat(api, prepay_id(pay))
    eventually(lambda: api.get(f"/api/v1/payments/{order['id']}", token=r.access_token).json()["status"] == "paid")
    eventually(lambda: api.get("/api/v1/me/cancel", token=r.access_token).json()["can_cancel"])
    assert api.post("/api/v1/me/cancel", {"confirm": True}, token=r.access_token).status_code == 200

    admin = staff_login(api, role="admin")["access_token"]
    entries = api.get("/api/v1/staff/audit", params={"action": "resident.account.cancel", "target_id": r.id},
                      token=admin).json()["items"]
    assert sorted(e["outcome"] for e in entries) == ["denied", "ok"]


def test_my_data_is_only_for_a_signed_in_resident(api: Api) -> None:
    assert_error(api.get("/api/v1/me/data"), 401, "unauthenticated")
    assert_error(api.post("/api/v1/me/cancel", {"confirm": True}), 401, "unauthenticated")
    staff = staff_login(api, role="admin")["access_token"]
    assert api.get("/api/v1/me/data", token=staff).status_code == 401
    r = new_resident(api)
    assert_error(api.post("/api/v1/me/cancel", {}, token=r.access_token), 400, "invalid_input")
    assert_error(api.post("/api/v1/me/cancel", {"confirm": "yes"}, token=r.access_token), 400, "invalid_input")


def test_the_account_shows_its_last_login_and_a_login_leaves_the_account_document_alone(
        api: Api, server: AppServer, clock: Any) -> None:
    code = f"test-{uuid.uuid4().hex[:12]}"
    r = new_resident(api, code=code, verified=True)
    account = db_find(server, "users", {"_id": ObjectId(r.id)})[0]
    logins = []
    for hours in (20, 30):   # the next mornings
        clock.advance(hours=hours)
        again = api.post("/api/v1/auth/wechat-login", {"code": code})
        assert again.status_code == 200 and again.json()["user"]["id"] == r.id, again.text
        logins.append(clock.now())
    assert db_find(server, "users", {"_id": ObjectId(r.id)}) == [account]   # not rewritten by a login
    shown = _sections(api.get("/api/v1/me/data", token=again.json()["access_token"]).json())["account"][0]
    seen = dt.datetime.fromisoformat(shown["last_login_at"])
    assert abs(seen - logins[-1]) < dt.timedelta(seconds=5) and seen > logins[0] + dt.timedelta(hours=29)


def test_a_cancellation_that_died_half_way_is_finished_and_frees_the_id_number(api: Api, server: AppServer) -> None:
    """The account marked cancelled but its identity's lookup hash not yet retired (the process
    died between the two writes): the erasure job finishes it, and the person may verify a new
    account with the same number."""
    r = new_resident(api, verified=True)
    assert api.post("/api/v1/me/cancel", {"confirm": True}, token=r.access_token).status_code == 200
    oid = ObjectId(r.id)
    held = db_find(server, "realnames", {"_id": oid})[0]
    assert held["id_hash"].startswith("retired:")
    original = held["id_hash"].rsplit(":", 1)[1]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)

    async def die_half_way() -> None:
        db = server.ctx.db
        await db["realnames"].update_one({"_id": oid}, {"$set": {"id_hash": original}})
        await db["users"].update_one({"_id": oid}, {"$set": {"erasure_due": long_ago}})
    server.run(die_half_way())
    other = new_resident(api)
    assert_error(bind_realname(api, other, r.name, r.id_number), 409, "id_number_already_bound")

    assert server.run(server.ctx.service("mydata").finish_erasures()) >= 1
    assert db_find(server, "realnames", {"_id": oid})[0]["id_hash"].startswith("retired:")
    assert "erasure_due" not in db_find(server, "users", {"_id": oid})[0]
    assert bind_realname(api, other, r.name, r.id_number).status_code == 200
