"""Staff: login, lockout, roles, account administration, personal-data reveals, audit log."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import requests
import requests.adapters

from tests.conftest import ROOT
from tests.support import DEMO_BY_ROLE, Api, AppServer, assert_error, cli_staff, new_resident, staff_login


def _new_staff(api: Api, admin_token: str, *, roles: list[str], password: str = "Strong-pass-2026") -> dict:
    username = f"u{uuid.uuid4().hex[:10]}"
    r = api.post("/api/v1/staff/accounts", {"username": username, "password": password, "roles": roles,
                                            "display_name": "测试"}, token=admin_token)
    assert r.status_code == 201, r.text
    return {**r.json(), "password": password}


@pytest.mark.parametrize("role", sorted(DEMO_BY_ROLE))
def test_every_demo_role_can_log_in(api: Api, role: str) -> None:
    body = staff_login(api, role=role)
    assert role in body["staff"]["roles"] and "password_hash" not in body["staff"]
    me = api.get("/api/v1/staff/me", token=body["access_token"]).json()
    assert me["username"] == DEMO_BY_ROLE[role]


def test_sandbox_lists_the_demo_staff(api: Api) -> None:
    body = api.get("/sandbox/staff").json()
    assert {s["username"] for s in body["items"]} >= set(DEMO_BY_ROLE.values()) and body["password"]


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connections whose client socket is bound to one loopback address (127.0.0.x)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _api_from(api: Api, address: str) -> Api:
    other = Api(api.base)
    other.session.mount("http://", _FromAddress(address))
    return other


def _login(api: Api, username: str, password: str) -> requests.Response:
    return api.post("/api/v1/staff/login", {"username": username, "password": password})


def test_failures_from_one_address_never_lock_the_owner_out(api: Api, clock) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["finance"])
    attacker, owner = _api_from(api, "127.0.0.2"), _api_from(api, "127.0.0.3")
    for remaining in (4, 3, 2, 1):
        err = assert_error(_login(attacker, s["username"], "wrong-one-1"), 401, "unauthenticated")
        assert err["details"] == {"reason": "invalid_credentials", "remaining_attempts": remaining}
    r = _login(attacker, s["username"], "wrong-one-1")
    err = assert_error(r, 429, "rate_limited")
    assert err["details"]["reason"] == "login_throttled" and int(r.headers["Retry-After"]) == 31
    # That address now waits, even with the right password ...
    assert_error(_login(attacker, s["username"], s["password"]), 429, "rate_limited")
    # ... while the owner, from an address that has not failed, logs in at once.
    assert _login(owner, s["username"], s["password"]).status_code == 200
    # The delays grow for the address that keeps failing: 30 s, then 60 s, then 120 s.
    clock.advance(seconds=31)
    r = _login(attacker, s["username"], "wrong-one-1")
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) == 61
    clock.advance(seconds=61)
    assert int(_login(attacker, s["username"], "wrong-one-1").headers["Retry-After"]) == 121
    clock.advance(seconds=121)
    assert _login(attacker, s["username"], s["password"]).status_code == 200


def test_admin_sees_and_clears_login_throttles(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["clerk"])
    desk = _api_from(api, "127.0.0.6")
    for _ in range(5):
        _login(desk, s["username"], "wrong-one-1")
    assert_error(_login(desk, s["username"], s["password"]), 429, "rate_limited")
    items = api.get("/api/v1/staff/login-throttles", token=admin).json()["items"]
    mine = [t for t in items if t["username"] == s["username"]]
    assert len(mine) == 1 and mine[0]["ip"] == "127.0.0.6" and mine[0]["failures"] == 5
    assert mine[0]["kind"] == "account_address" and mine[0]["blocked_until"]
    address = [t for t in items if t["kind"] == "address" and t["ip"] == "127.0.0.6"]
    assert len(address) == 1 and address[0]["username"] is None and address[0]["blocked_until"] is None
    clerk = staff_login(api, role="clerk")["access_token"]
    assert_error(api.get("/api/v1/staff/login-throttles", token=clerk), 403, "forbidden")
    assert api.post(f"/api/v1/staff/login-throttles/{mine[0]['id']}/clear", {}, token=admin).status_code == 200
    assert _login(desk, s["username"], s["password"]).status_code == 200
    assert_error(api.post(f"/api/v1/staff/login-throttles/{mine[0]['id']}/clear", {}, token=admin), 404, "not_found")
    entries = api.get("/api/v1/staff/audit?action=staff.login_throttle.clear", token=admin).json()["items"]
    assert entries[0]["target"]["id"] == mine[0]["id"]


def test_admin_can_unlock(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["clerk"])
    for _ in range(5):
        api.post("/api/v1/staff/login", {"username": s["username"], "password": "wrong-one-1"})
    assert_error(api.post("/api/v1/staff/login", {"username": s["username"], "password": s["password"]}),
                 429, "rate_limited")
    assert api.post(f"/api/v1/staff/accounts/{s['id']}/unlock", {}, token=admin).status_code == 200
    assert api.post("/api/v1/staff/login", {"username": s["username"], "password": s["password"]}).status_code == 200


def test_unknown_usernames_answer_like_known_ones(api: Api) -> None:
    name = f"ghost{uuid.uuid4().hex[:6]}"
    err = assert_error(api.post("/api/v1/staff/login", {"username": name, "password": "whatever-123"}),
                       401, "unauthenticated")
    assert err["details"] == {"reason": "invalid_credentials", "remaining_attempts": 4}


def test_roles_guard_staff_endpoints(api: Api) -> None:
    clerk = staff_login(api, role="clerk")["access_token"]
    err = assert_error(api.get("/api/v1/staff/accounts", token=clerk), 403, "forbidden")
    assert err["details"]["required_roles"] == ["admin"]
    assert_error(api.get("/api/v1/staff/audit", token=clerk), 403, "forbidden")
    supervisor = staff_login(api, role="supervisor")["access_token"]
    assert api.get("/api/v1/staff/audit", token=supervisor).status_code == 200


def test_admin_manages_accounts_and_everything_is_audited(api: Api, server: AppServer) -> None:
    admin = staff_login(api, role="admin")
    token = admin["access_token"]
    s = _new_staff(api, token, roles=["clerk"])
    assert_error(api.post("/api/v1/staff/accounts", {"username": s["username"], "password": "Another-pass-1",
                                                     "roles": ["clerk"]}, token=token), 409, "username_taken")
    err = assert_error(api.post("/api/v1/staff/accounts", {"username": "Bad Name", "password": "short",
                                                           "roles": ["clerk"]}, token=token), 400, "invalid_input")
    assert set(err["details"]["fields"]) == {"username", "password"}
    assert_error(api.post("/api/v1/staff/accounts", {"username": "okname", "password": "Strong-pass-2026",
                                                     "roles": ["root"]}, token=token), 400, "invalid_input")
    login = staff_login(api, username=s["username"], password=s["password"])
    # Roles change, by an administrator who never set the account's password: the old session is
    # revoked, the new roles apply.
    other = cli_staff(server, api, roles=["admin"])["access_token"]
    r = api.patch(f"/api/v1/staff/accounts/{s['id']}", {"roles": ["clerk", "hall_manager"]}, token=other)
    assert r.status_code == 200 and r.json()["roles"] == ["clerk", "hall_manager"]
    assert_error(api.post("/api/v1/staff/refresh", {"refresh_token": login["refresh_token"]}), 401, "unauthenticated")
    # Disabled: tokens stop working at once and login is refused.
    api.patch(f"/api/v1/staff/accounts/{s['id']}", {"status": "disabled"}, token=token)
    assert_error(api.get("/api/v1/staff/me", token=login["access_token"]), 401, "unauthenticated")
    assert_error(api.post("/api/v1/staff/login", {"username": s["username"], "password": s["password"]}),
                 403, "account_disabled")
    # An admin cannot lock themselves out.
    assert_error(api.patch(f"/api/v1/staff/accounts/{admin['staff']['id']}", {"status": "disabled"}, token=token),
                 409, "self_lockout")
    audit = api.get(f"/api/v1/staff/audit?target_id={s['id']}&limit=50", token=token).json()["items"]
    actions = [(e["action"], e.get("outcome")) for e in audit]
    assert ("staff.create", "ok") in actions and ("staff.update", "ok") in actions
    assert ("staff.login", "ok") in actions and ("staff.login", "failed") in actions


def test_account_ids_in_paths_are_normalised(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["clerk"])
    r = api.patch(f"/api/v1/staff/accounts/{s['id'].upper()}", {"display_name": "大写"}, token=admin)
    assert r.status_code == 200 and r.json()["id"] == s["id"]
    entries = api.get(f"/api/v1/staff/audit?action=staff.update&target_id={s['id']}", token=admin).json()["items"]
    assert len(entries) == 1
    resident = new_resident(api)
    view = api.get(f"/api/v1/staff/residents/{resident.id.upper()}",
                   token=staff_login(api, role="clerk")["access_token"])
    assert view.status_code == 200 and view.json()["id"] == resident.id


def test_password_reset_revokes_sessions(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["finance"])
    login = staff_login(api, username=s["username"], password=s["password"])
    assert_error(api.post(f"/api/v1/staff/accounts/{s['id']}/password", {"password": "short"}, token=admin),
                 400, "invalid_input")
    assert api.post(f"/api/v1/staff/accounts/{s['id']}/password", {"password": "New-strong-pass-9"},
                    token=admin).status_code == 200
    assert_error(api.post("/api/v1/staff/refresh", {"refresh_token": login["refresh_token"]}), 401, "unauthenticated")
    staff_login(api, username=s["username"], password="New-strong-pass-9")


def test_staff_refresh_and_logout(api: Api) -> None:
    login = staff_login(api, role="clerk")
    r = api.post("/api/v1/staff/refresh", {"refresh_token": login["refresh_token"]})
    assert r.status_code == 200
    new = r.json()
    assert api.post("/api/v1/staff/logout", {"refresh_token": new["refresh_token"]},
                    token=new["access_token"]).status_code == 200
    assert_error(api.post("/api/v1/staff/refresh", {"refresh_token": new["refresh_token"]}), 401, "unauthenticated")


def test_a_logout_with_another_persons_refresh_token_ends_only_ones_own_session(api: Api) -> None:
    mine, theirs = staff_login(api, role="clerk"), staff_login(api, role="approver")
    assert api.post("/api/v1/staff/logout", {"refresh_token": theirs["refresh_token"]},
                    token=mine["access_token"]).status_code == 200
    assert_error(api.get("/api/v1/staff/me", token=mine["access_token"]), 401, "unauthenticated")
    assert api.get("/api/v1/staff/me", token=theirs["access_token"]).status_code == 200
    assert api.post("/api/v1/staff/refresh", {"refresh_token": theirs["refresh_token"]}).status_code == 200


def test_residents_are_shown_masked_and_reveals_are_audited(api: Api) -> None:
    from tests.support_cases import move, submit
    resident = new_resident(api, verified=True)
    clerk = staff_login(api, role="clerk")
    admin = staff_login(api, role="admin")["access_token"]
    view = api.get(f"/api/v1/staff/residents/{resident.id}", token=clerk["access_token"]).json()
    assert resident.id_number not in str(view) and view["id_number_masked"].endswith(resident.id_number[-4:])
    assert_error(api.post(f"/api/v1/staff/residents/{resident.id}/reveal", {}, token=clerk["access_token"]),
                 400, "invalid_input")

    def reveal(token: str, reason: str = "核对窗口办件申请人身份") -> requests.Response:
        return api.post(f"/api/v1/staff/residents/{resident.id}/reveal", {"reason": reason}, token=token)
    # No case, booking or payment of this resident: no reveal.
    assert_error(reveal(clerk["access_token"]), 403, "not_handling")
    case = submit(api, resident)
    # An open case waiting for clerks is not handled by every clerk: only by one who acted on it.
    err = assert_error(reveal(clerk["access_token"]), 403, "not_handling")
    assert "经手" in err["message"]
    assert move(api, clerk["access_token"], case["id"], "accepted").status_code == 200
    r = reveal(clerk["access_token"])
    assert r.json() == {"id": resident.id, "name": resident.name, "id_number": resident.id_number}
    # Another clerk, and the approver who has not acted on it, still may not.
    s = _new_staff(api, admin, roles=["clerk"])
    bystander = staff_login(api, username=s["username"], password=s["password"])["access_token"]
    assert_error(reveal(bystander, "审批核对"), 403, "not_handling")
    approver = staff_login(api, role="approver")["access_token"]
    assert_error(reveal(approver, "审批核对"), 403, "not_handling")
    assert move(api, approver, case["id"], "in_review").status_code == 200
    assert reveal(approver, "审批核对").status_code == 200
    finance = staff_login(api, role="finance")["access_token"]
    assert_error(reveal(finance, "想看看"), 403, "forbidden")
    entries = api.get(f"/api/v1/staff/audit?action=resident.identity.reveal&target_id={resident.id}",
                      token=admin).json()["items"]
    assert [e["outcome"] for e in entries] == ["ok", "denied", "denied", "ok", "denied", "denied"]
    e = entries[-3]
    assert e["actor"]["username"] == "clerk1" and e["details"] == {"reason": "核对窗口办件申请人身份",
                                                                   "handling": f"case:{case['serial']}"}
    assert entries[-1]["details"] == {"reason": "核对窗口办件申请人身份", "refused": "not_handling"}
    assert resident.id_number not in str(entries)
    assert_error(api.get("/api/v1/staff/residents/nonexistent", token=clerk["access_token"]), 404, "not_found")


def test_audit_log_pages_with_a_cursor_and_searches_literally(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    page1 = api.get("/api/v1/staff/audit?limit=2", token=admin).json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = api.get(f"/api/v1/staff/audit?limit=2&cursor={page1['next_cursor']}", token=admin).json()
    assert not {e["id"] for e in page1["items"]} & {e["id"] for e in page2["items"]}
    assert api.get("/api/v1/staff/audit?q=.*", token=admin).json()["items"] == []
    assert_error(api.get("/api/v1/staff/audit?limit=0", token=admin), 400, "invalid_input")
    assert_error(api.get("/api/v1/staff/audit?limit=abc", token=admin), 400, "invalid_input")


def test_cli_creates_staff(api: Api, server) -> None:
    username = f"cli{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}
    env.update(ZJB_DATABASE_URI=server.config.database.uri, ZJB_DATABASE_NAME=server.config.database.name)
    proc = subprocess.run([sys.executable, "-m", "backend", "staff", "create", "--username", username,
                           "--roles", "clerk,hall_manager", "--display-name", "命令行", "--password-stdin"],
                          input="Cli-created-pass-1\n", cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"created staff {username}" in proc.stdout
    body = staff_login(api, username=username, password="Cli-created-pass-1")
    assert body["staff"]["roles"] == ["clerk", "hall_manager"]
    again = subprocess.run([sys.executable, "-m", "backend", "staff", "create", "--username", username,
                            "--roles", "clerk", "--password-stdin"], input="Cli-created-pass-1\n", cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "用户名已存在" in again.stderr
