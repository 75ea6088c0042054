"""Identity assurance with WeChat face verification (人脸核身): binding a real name, fetching from the
e-licence library and filing a high-assurance service need one that passed, was made by the caller's
own WeChat account for exactly the identity given, is fresh and is used once; an identity bound to
someone else is reclaimed at the window by its holder in person."""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest

from tests.support import (
    Api,
    AppServer,
    ResidentHandle,
    assert_error,
    bind_realname,
    face_verify,
    fetch_licences,
    make_id_number,
    new_resident,
    prove_face,
    staff_login,
)
from tests.support_cases import eventually, outbox_rows, relogin

REALNAME = "/api/v1/me/realname"
RECLAIM = "/api/v1/staff/realname-reclaims"


def _me(api: Api, r: ResidentHandle) -> dict[str, Any]:
    resp = api.get("/api/v1/me", token=r.access_token)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _bind_with(api: Api, r: ResidentHandle, name: str, id_number: str, verify_result: str | None):
    body = {"name": name, "id_number": id_number}
    if verify_result is not None:
        body["verify_result"] = verify_result
    return api.post(REALNAME, body, token=r.access_token)


def _refused(resp, reason: str) -> dict[str, Any]:
    err = assert_error(resp, 403, "face_verification_required")
    assert err["details"]["reason"] == reason, err
    return err


# -- binding a real name -------------------------------------------------------------------------

def test_binding_needs_a_passing_face_verification_and_a_refusal_changes_nothing(api: Api) -> None:
    r = new_resident(api)
    n = make_id_number()
    _refused(_bind_with(api, r, "林一", n, None), "missing")
    failed = face_verify(api, r.openid, "林一", n, passed=False, identify_ret=10002)
    err = _refused(_bind_with(api, r, "林一", n, failed), "failed")
    assert err["details"]["identify_ret"] == 10002 and "人脸特征检测失败" in err["message"]
    _refused(_bind_with(api, r, "林一", n, "not-a-verify-result"), "invalid")
    assert _me(api, r)["realname_verified"] is False
    ok = _bind_with(api, r, "林一", n, face_verify(api, r.openid, "林一", n))
    assert ok.status_code == 200, ok.text
    assert _me(api, r)["realname_verified"] is True


def test_a_verify_result_is_accepted_once(api: Api) -> None:
    r = new_resident(api)
    n = make_id_number()
    vr = face_verify(api, r.openid, "林二", n)
    assert _bind_with(api, r, "林二", n, vr).status_code == 200
    # The same verify_result again, as the proof a library fetch needs: already used.
    _refused(api.post("/api/v1/me/face-verifications", {"verify_result": vr}, token=r.access_token), "used")
    other = new_resident(api)
    m = make_id_number()
    vr2 = face_verify(api, other.openid, "林三", m)
    assert _bind_with(api, other, "林三", m, vr2).status_code == 200
    third = new_resident(api)
    _refused(_bind_with(api, third, "林三", m, vr2), "other_account")


def test_another_accounts_verification_is_refused(api: Api) -> None:
    """A leaked name and number with someone else's face verification do not bind."""
    victim, attacker = new_resident(api), new_resident(api)
    n = make_id_number()
    vr = face_verify(api, victim.openid, "林四", n)
    _refused(_bind_with(api, attacker, "林四", n, vr), "other_account")
    assert _me(api, attacker)["realname_verified"] is False
    assert _bind_with(api, victim, "林四", n, vr).status_code == 200  # untouched by the refusal


def test_a_verification_of_another_name_or_number_is_refused(api: Api) -> None:
    r = new_resident(api)
    n = make_id_number()
    _refused(_bind_with(api, r, "林五", n, face_verify(api, r.openid, "林六", n)), "mismatch")
    _refused(_bind_with(api, r, "林五", n, face_verify(api, r.openid, "林五", make_id_number())), "mismatch")
    # The number's final X upper- or lower-case is the same number.
    x = next(v for v in iter(make_id_number, None) if v.endswith("X"))
    assert _bind_with(api, r, "林五", x.lower(), face_verify(api, r.openid, "林五", x)).status_code == 200


def test_a_stale_verification_is_refused(api: Api, clock) -> None:  # noqa: ANN001
    r = new_resident(api)
    n = make_id_number()
    vr = face_verify(api, r.openid, "林七", n)
    clock.advance(minutes=11)  # the configured 10 minutes, by the product clock
    err = _refused(_bind_with(api, r, "林七", n, vr), "stale")
    assert "10分钟" in err["message"]


def test_the_standin_checks_the_access_token_and_answers_wechats_shape(api: Api, server: AppServer) -> None:
    bad = api.post("/sandbox/wechat/cityservice/face/identify/getinfo?access_token=nope", {"verify_result": "x"})
    assert bad.json()["errcode"] == 40001
    r = new_resident(api)
    vr = face_verify(api, r.openid, "林八", "11010519491231002X")
    standin = server.ctx.wired.sandbox.standins["wechat"]
    token = standin.token(server.config.wechat.appid, server.config.wechat.secret, "client_credential")
    got = api.post(f"/sandbox/wechat/cityservice/face/identify/getinfo?access_token={token['access_token']}",
                   {"verify_result": vr}).json()
    assert got["errcode"] == 0 and got["identify_ret"] == 0 and got["openid"] == r.openid
    assert got["id_card_number_md5"] == hashlib.md5(b"11010519491231002X").hexdigest()
    assert got["name_utf8_md5"] == hashlib.md5("林八".encode()).hexdigest()
    assert {"identify_time", "validate_data", "user_id_key", "errmsg"} <= set(got)


# -- the library and high-assurance services ------------------------------------------------------

def test_a_library_fetch_needs_a_fresh_face_verification(api: Api, clock) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    assert api.post("/sandbox/licences", {"id_number": r.id_number, "type": "hukou"}).status_code == 201
    clock.advance(minutes=11)  # the face verification made to bind is no longer recent
    relogin(api, r)
    _refused(api.post("/api/v1/me/licences/refresh", {"purpose": "wallet"}, token=r.access_token), "needed")
    got = fetch_licences(api, r, {"purpose": "wallet"})
    assert got.status_code == 200 and [i["type"] for i in got.json()["items"]] == ["hukou"]
    clock.advance(minutes=11)
    relogin(api, r)
    _refused(api.post("/api/v1/me/licences/refresh", {"purpose": "wallet"}, token=r.access_token), "needed")
    # The unbound are told to bind first.
    _refused(api.post("/api/v1/me/face-verifications", {"verify_result": "x"},
                      token=new_resident(api).access_token), "needed")


def test_a_high_assurance_service_needs_a_fresh_face_verification(api: Api, clock) -> None:  # noqa: ANN001
    manager = staff_login(api, role="hall_manager")["access_token"]
    dept = api.post("/api/v1/staff/departments", {"code": "F-" + uuid.uuid4().hex[:6].upper(), "name": "核身测试局"},
                    token=manager)
    assert dept.status_code == 201, dept.text
    svc = api.post("/api/v1/staff/services", {
        "code": "F-" + uuid.uuid4().hex[:6].upper(), "name": "核身测试事项", "department_id": dept.json()["id"],
        "high_assurance": True, "guide": {"materials": [], "fee_fen": 0, "statutory_days": 5, "promised_days": 3,
                                          "online": True, "bookable": False, "visit_required": False,
                                          "max_visits": 0}}, token=manager)
    assert svc.status_code == 201, svc.text
    assert svc.json()["high_assurance"] is True
    r = new_resident(api, verified=True)
    clock.advance(minutes=11)  # the face verification made to bind is no longer recent
    relogin(api, r)
    body = {"service_id": svc.json()["id"], "form": {}, "materials": []}
    _refused(api.post("/api/v1/applications", body, token=r.access_token), "needed")
    prove_face(api, r)
    filed = api.post("/api/v1/applications", body, token=r.access_token)
    assert filed.status_code == 201, filed.text


# -- reclaim at the window -------------------------------------------------------------------------

@pytest.fixture
def taken(api: Api) -> dict[str, Any]:
    """An attacker bound a leaked name and number; the real person then tries to bind them."""
    name, n = "郭明", make_id_number()
    attacker = new_resident(api, verified=True, name=name, id_number=n)
    person = new_resident(api)
    err = assert_error(bind_realname(api, person, name, n), 409, "id_number_already_bound")
    assert "窗口" in err["message"]
    return {"name": name, "id_number": n, "attacker": attacker, "person": person}


def test_reclaim_moves_the_identity_ends_the_old_sessions_and_tells_both(
        api: Api, server: AppServer, taken: dict[str, Any]) -> None:
    clerk = staff_login(api, role="clerk")["access_token"]
    attacker, person = taken["attacker"], taken["person"]
    body = {"name": taken["name"], "id_number": taken["id_number"], "id_card_checked": True}
    assert_error(api.post(RECLAIM, {**body, "id_card_checked": False}, token=clerk), 400, "invalid_input")
    assert _me(api, attacker)["realname_verified"] is True  # nothing changed
    got = api.post(RECLAIM, body, token=clerk)
    assert got.status_code == 200, got.text
    out = got.json()
    assert out["user"]["id"] == person.id and out["user"]["realname_verified"] is True
    assert out["released"]["id"] == attacker.id and out["released"]["realname_verified"] is False
    assert taken["id_number"] not in got.text

    # The old binding's sessions end at once; the person's account holds the identity.
    assert_error(api.get("/api/v1/me", token=attacker.access_token), 401, "unauthenticated")
    assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": attacker.refresh_token}), 401, "unauthenticated")
    assert _me(api, person)["realname_verified"] is True
    # Both accounts are told, in Chinese.
    told = {row["kind"]: row for row in eventually(
        lambda: outbox_rows(server, attacker.id) + outbox_rows(server, person.id))}
    assert {"identity.realname_released", "identity.realname_reclaimed"} <= set(told)
    assert told["identity.realname_released"]["user_id"] == attacker.id
    assert told["identity.realname_reclaimed"]["user_id"] == person.id
    # Audited with who did it and the card check.
    admin = staff_login(api, role="admin")["access_token"]
    entries = api.get("/api/v1/staff/audit", params={"action": "resident.realname.reclaim", "limit": 5},
                      token=admin).json()["items"]
    mine = [e for e in entries if e["target"].get("id") == person.id]
    assert mine and mine[0]["details"]["released_from"] == attacker.id and mine[0]["details"]["id_card_checked"]
    # Done: the number is the person's now; a second reclaim has nothing to do for the same claim.
    assert_error(api.post(RECLAIM, body, token=clerk), 403, "face_verification_required")


def test_reclaim_needs_the_persons_own_recent_face_verification(api: Api, clock, taken: dict[str, Any]) -> None:  # noqa: ANN001
    clerk = staff_login(api, role="clerk")["access_token"]
    body = {"name": taken["name"], "id_number": taken["id_number"], "id_card_checked": True}
    clock.advance(minutes=11)
    assert_error(api.post(RECLAIM, body, token=clerk), 403, "face_verification_required")
    assert _me(api, taken["attacker"])["realname_verified"] is True
    assert_error(api.post(RECLAIM, {**body, "name": "郭亮"}, token=clerk), 403, "face_verification_required")
    assert_error(api.post(RECLAIM, {"name": "郭亮", "id_number": make_id_number(), "id_card_checked": True},
                          token=clerk), 409, "nothing_to_reclaim")
    for role in ("finance", "supervisor", "approver"):
        assert_error(api.post(RECLAIM, body, token=staff_login(api, role=role)["access_token"]), 403, "forbidden")
    assert_error(api.post(RECLAIM, body, token=taken["person"].access_token), 401, "unauthenticated")
