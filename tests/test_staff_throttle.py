"""The staff password throttle under concurrency: every try is reserved in the database before its
password is checked, so parallel tries — in two app processes on one database — check at most the
allowed number; the password change counts in the same throttle; made-up usernames never lock
real staff out of a shared address."""
from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from backend.staff.store import StaffStore
from backend.staff.values import AttemptRule, Reserved, ThrottleKind
from tests.support import Api, AppServer, assert_error, staff_login

FREE = 5  # [staff] login_free_failures


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def _address() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{n // 250 % 250 + 1}.{n // 62500 % 250 + 1}"


def _new_staff(api: Api, admin: str, *, roles: list[str], password: str = "Strong-pass-2026") -> dict:
    username = f"u{uuid.uuid4().hex[:10]}"
    r = api.post("/api/v1/staff/accounts", {"username": username, "password": password, "roles": roles,
                                            "display_name": "测试"}, token=admin)
    assert r.status_code == 201, r.text
    return {**r.json(), "password": password}


def _login(base: str, username: str, password: str, address: str) -> requests.Response:
    return Api(base).post("/api/v1/staff/login", {"username": username, "password": password},
                          headers=_from(address))


def _checked(api: Api, admin: str, action: str, staff_id: str) -> list[str]:
    """The outcomes of the password checks audited for an account (every checked try is audited)."""
    items = api.get(f"/api/v1/staff/audit?action={action}&target_id={staff_id}&limit=200", token=admin).json()["items"]
    return [e["outcome"] for e in items]


def test_sixty_parallel_logins_in_two_processes_check_at_most_the_free_tries(
        api: Api, server: AppServer, make_server) -> None:
    other = make_server(database={"uri": server.config.database.uri, "name": server.config.database.name})
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["clerk"])
    address = _address()
    bases = [server.base, other.base]
    with ThreadPoolExecutor(max_workers=60) as pool:
        answers = list(pool.map(lambda i: _login(bases[i % 2], s["username"], f"wrong-guess-{i}", address),
                                range(60)))
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {401, 429} and codes.count(401) <= FREE - 1, codes
    checked = _checked(api, admin, "staff.login", s["id"])
    assert 1 <= len(checked) <= FREE and set(checked) <= {"failed", "throttled"}, checked
    # The allowance is spent: the right password from that address waits too ...
    r = _login(server.base, s["username"], s["password"], address)
    assert_error(r, 429, "rate_limited")
    assert len(_checked(api, admin, "staff.login", s["id"])) == len(checked)
    # ... while the owner at another address logs in at once, and that is not taken from anyone.
    assert _login(other.base, s["username"], s["password"], _address()).status_code == 200


def test_a_right_password_among_parallel_wrong_ones_is_one_of_the_free_tries(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["clerk"])
    address = _address()
    passwords = [f"wrong-guess-{i}" for i in range(40)] + [s["password"]]
    with ThreadPoolExecutor(max_workers=41) as pool:
        answers = list(pool.map(lambda p: _login(api.base, s["username"], p, address), passwords))
    right = answers[-1]
    checked = _checked(api, admin, "staff.login", s["id"])
    assert len(checked) <= FREE, checked
    if right.status_code == 200:  # it came among the admitted tries: a real login, audited as one
        assert "ok" in checked
    else:
        assert_error(right, 429, "rate_limited")
        assert "ok" not in checked


def test_one_person_signing_in_on_several_desks_at_once_is_never_throttled(api: Api) -> None:
    """Right passwords from one address at once, fewer than the free tries (each is counted as a
    failure until its password is checked): each success clears the key the others are counting
    under, and none of them is turned away for it."""
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["clerk"])
    address = _address()
    for _ in range(4):
        with ThreadPoolExecutor(max_workers=FREE - 1) as pool:
            answers = list(pool.map(lambda _i: _login(api.base, s["username"], s["password"], address),
                                    range(FREE - 1)))
        assert [r.status_code for r in answers] == [200] * (FREE - 1), [r.text for r in answers]
    assert set(_checked(api, admin, "staff.login", s["id"])) == {"ok"}


def test_a_try_whose_key_is_cleared_right_after_it_was_counted_is_still_admitted(server: AppServer) -> None:
    """The moment between counting a try and reading its key back: another desk's success (or an
    admin) clears the key there. The try was admitted, and is checked."""
    db = server.ctx.db
    store = StaffStore(db)
    throttles = db["login_throttles"]
    key = f"test-{uuid.uuid4().hex[:8]}"

    class ClearedInBetween:
        async def update_one(self, *args: Any, **kwargs: Any) -> Any:
            result = await throttles.update_one(*args, **kwargs)
            await throttles.delete_one({"_id": key})   # the other desk's success
            return result

        def __getattr__(self, name: str) -> Any:
            return getattr(throttles, name)

    store._throttles = ClearedInBetween()  # type: ignore[assignment]
    rule = AttemptRule(free=FREE, delay_seconds=30, max_delay_seconds=900, window=dt.timedelta(minutes=15))
    got = server.run(store.reserve_attempt(key, ThrottleKind.ACCOUNT_ADDRESS, "clerk", "10.0.0.9", rule,
                                           server.clock.now(), "t1"))
    assert isinstance(got, Reserved) and got.started_delay is None, got
    server.run(store.release_attempt(got))   # taking it back finds nothing to take
    assert server.run(throttles.find_one({"_id": key})) is None


def test_the_password_change_counts_in_the_login_throttle(api: Api, clock) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["finance"])
    address = _address()
    session = Api(api.base)
    token = session.post("/api/v1/staff/login", {"username": s["username"], "password": s["password"]},
                         headers=_from(address)).json()["access_token"]

    def change(current: str) -> requests.Response:
        return session.post("/api/v1/staff/me/password", {"current_password": current,
                                                          "new_password": "Brand-new-pass-7"},
                            token=token, headers=_from(address))
    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(lambda i: change(f"not-mine-{i}"), range(25)))
    assert {r.status_code for r in answers} <= {400, 429}
    assert [r.json()["error"]["code"] for r in answers].count("wrong_password") <= FREE - 1
    checked = _checked(api, admin, "staff.password.change", s["id"])
    assert 1 <= len(checked) <= FREE and set(checked) <= {"failed", "throttled"}, checked
    # The right current password now waits, and so does a login from that address.
    err = assert_error(change(s["password"]), 429, "rate_limited")
    assert err["message"].startswith("密码错误次数过多") and err["details"]["reason"] == "login_throttled"
    assert_error(_login(api.base, s["username"], s["password"], address), 429, "rate_limited")
    clock.advance(seconds=31)
    assert change(s["password"]).status_code == 200
    assert _checked(api, admin, "staff.password.change", s["id"])[0] == "ok"


def test_a_wrong_current_password_tells_what_is_left(api: Api) -> None:
    admin = staff_login(api, role="admin")["access_token"]
    s = _new_staff(api, admin, roles=["clerk"])
    address = _address()
    token = Api(api.base).post("/api/v1/staff/login", {"username": s["username"], "password": s["password"]},
                               headers=_from(address)).json()["access_token"]
    body = {"current_password": "not-mine-1", "new_password": "Brand-new-pass-7"}
    for _ in range(FREE - 1):
        assert_error(api.post("/api/v1/staff/me/password", body, token=token, headers=_from(address)),
                     400, "wrong_password")
    assert_error(api.post("/api/v1/staff/me/password", body, token=token, headers=_from(address)),
                 429, "rate_limited")


def test_made_up_usernames_never_lock_real_staff_out_of_a_shared_address(make_server) -> None:
    srv = make_server(staff={"address_free_failures": 3})
    api = Api(srv.base)
    admin = staff_login(api, role="admin")["access_token"]
    real = [_new_staff(api, admin, roles=["clerk"]) for _ in range(4)]
    hall = _address()
    # A script tries made-up names from the hall's address, in parallel: three are checked.
    with ThreadPoolExecutor(max_workers=31) as pool:
        answers = list(pool.map(lambda i: _login(srv.base, f"ghost{i}x", "wrong-one-1", hall), range(31)))
    assert [r.status_code for r in answers].count(401) <= 3
    assert_error(_login(srv.base, "ghost99x", "wrong-one-1", hall), 429, "rate_limited")
    # The real staff at that hall still log in.
    assert _login(srv.base, real[0]["username"], real[0]["password"], hall).status_code == 200
    # Wrong passwords for existing accounts from one address are counted for that address.
    for s in real[1:]:
        assert_error(_login(srv.base, s["username"], "wrong-one-1", hall), *(
            (429, "rate_limited") if s is real[-1] else (401, "unauthenticated")))
    assert_error(_login(srv.base, real[0]["username"], real[0]["password"], hall), 429, "rate_limited")
    assert _login(srv.base, real[0]["username"], real[0]["password"], _address()).status_code == 200
    kinds = {t["kind"] for t in api.get("/api/v1/staff/login-throttles", token=admin).json()["items"]
             if t["ip"] == hall}
    assert kinds == {"account_address", "address", "unknown_address"}


def test_successful_logins_are_taken_back_from_the_address_count(make_server) -> None:
    srv = make_server(staff={"address_free_failures": 3})
    api = Api(srv.base)
    admin = staff_login(api, role="admin")["access_token"]
    staff = [_new_staff(api, admin, roles=["clerk"]) for _ in range(6)]
    hall = _address()
    for s in staff:  # more logins than the address's allowance, none wrong: none delayed
        assert _login(srv.base, s["username"], s["password"], hall).status_code == 200
    listed = [t for t in api.get("/api/v1/staff/login-throttles", token=admin).json()["items"] if t["ip"] == hall]
    assert listed == []
