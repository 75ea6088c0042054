"""Resident identity: WeChat login through the stand-in, our tokens, real-name binding."""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import datetime as dt
import hashlib
import json
import time
import uuid

import jwt
import pytest
from bson import ObjectId

from tests.support import (
    Api,
    ResidentHandle,
    assert_error,
    at_window_start,
    bind_realname,
    face_verify,
    make_id_number,
    new_resident,
    staff_login,
)

LOGIN_ACCESS_LINE = '"path": "/api/v1/auth/wechat-login"'


def _login(api: Api, code: str):
    return api.post("/api/v1/auth/wechat-login", {"code": code})


# -- login ------------------------------------------------------------------------------------

def test_login_maps_test_codes_to_one_account(api: Api) -> None:
    code = f"test-{uuid.uuid4().hex[:8]}"
    first, again = _login(api, code).json(), _login(api, code).json()
    assert first["user"] == again["user"] and first["user"]["realname_verified"] is False
    assert first["expires_in"] == 900 and first["token_type"] == "Bearer"
    other = _login(api, f"test-{uuid.uuid4().hex[:8]}").json()
    assert other["user"]["id"] != first["user"]["id"]


def test_login_with_a_one_time_code_works_once(api: Api) -> None:
    code = api.post("/sandbox/wechat/login-codes", {"openid": f"o-real-{uuid.uuid4().hex[:6]}"}).json()["code"]
    assert _login(api, code).status_code == 200
    err = assert_error(_login(api, code), 401, "unauthenticated")
    assert err["details"]["wechat_errcode"] == 40163


@pytest.mark.parametrize("code,status,errcode,app_code", [
    ("not-a-code", 401, 40029, "unauthenticated"),
    ("used-abc", 401, 40163, "unauthenticated"),
    ("risky-abc", 403, 40226, "forbidden"),
    ("busy-abc", 429, 45011, "rate_limited"),
])
def test_wechat_errors_are_translated_by_meaning(api: Api, code: str, status: int, errcode: int, app_code: str) -> None:
    err = assert_error(_login(api, code), status, app_code)
    assert err["details"]["wechat_errcode"] == errcode


def test_wechat_unreachable_is_502(make_server) -> None:
    srv = make_server(wechat={"gateway": "http://127.0.0.1:9/"})
    r = Api(srv.base).post("/api/v1/auth/wechat-login", {"code": "test-x"})
    assert_error(r, 502, "provider_error")
    assert "127.0.0.1:9" not in r.text


# -- tokens -----------------------------------------------------------------------------------

def test_access_token_opens_me(api: Api) -> None:
    r = new_resident(api)
    me = api.get("/api/v1/me", token=r.access_token).json()
    assert me["id"] == r.id and me["realname_verified"] is False and me["id_number_masked"] is None


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_tampered_token_is_refused(api: Api) -> None:
    r = new_resident(api)
    head, body, sig = r.access_token.split(".")
    claims = _claims(r.access_token)
    claims["sub"] = "000000000000000000000000"
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    err = assert_error(api.get("/api/v1/me", token=f"{head}.{forged_body}.{sig}"), 401, "unauthenticated")
    assert err["details"]["reason"] == "token_invalid"
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    assert_error(api.get("/api/v1/me", token=f"{head}.{body}.{flipped}"), 401, "unauthenticated")


def test_alg_none_and_other_algorithms_are_refused(api: Api) -> None:
    r = new_resident(api)
    claims = _claims(r.access_token)
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_error(api.get("/api/v1/me", token=unsigned), 401, "unauthenticated")
    hs512 = jwt.encode(claims, "sandbox-only-jwt-secret-change-me-0123456789abcdef" * 2, algorithm="HS512")
    assert_error(api.get("/api/v1/me", token=hs512), 401, "unauthenticated")


def test_token_signed_with_another_secret_or_issuer_is_refused(api: Api) -> None:
    r = new_resident(api)
    claims = _claims(r.access_token)
    other = jwt.encode(claims, "another-secret-another-secret-another-secret", algorithm="HS256")
    assert_error(api.get("/api/v1/me", token=other), 401, "unauthenticated")
    wrong_iss = jwt.encode({**claims, "iss": "elsewhere"}, "sandbox-only-jwt-secret-change-me-0123456789abcdef",
                           algorithm="HS256")
    assert_error(api.get("/api/v1/me", token=wrong_iss), 401, "unauthenticated")


def test_expired_token_is_refused(api: Api, clock) -> None:
    r = new_resident(api)
    assert api.get("/api/v1/me", token=r.access_token).status_code == 200
    clock.advance(minutes=16)
    err = assert_error(api.get("/api/v1/me", token=r.access_token), 401, "unauthenticated")
    assert err["details"]["reason"] == "token_expired"


def test_resident_and_staff_tokens_do_not_open_each_others_endpoints(api: Api) -> None:
    r = new_resident(api)
    staff = staff_login(api, role="admin")
    assert_error(api.get("/api/v1/staff/me", token=r.access_token), 401, "unauthenticated")
    assert_error(api.get("/api/v1/staff/accounts", token=r.access_token), 401, "unauthenticated")
    assert_error(api.get("/api/v1/me", token=staff["access_token"]), 401, "unauthenticated")
    # Nor do their refresh tokens.
    assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": staff["refresh_token"]}), 401, "unauthenticated")
    assert_error(api.post("/api/v1/staff/refresh", {"refresh_token": r.refresh_token}), 401, "unauthenticated")


def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    r = new_resident(api)
    first = api.post("/api/v1/auth/refresh", {"refresh_token": r.refresh_token})
    assert first.status_code == 200
    new = first.json()
    assert new["refresh_token"] != r.refresh_token and new["user"]["id"] == r.id
    assert api.get("/api/v1/me", token=new["access_token"]).status_code == 200
    # The old refresh token is replayed: refused, and the whole session with it, access token included.
    err = assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": r.refresh_token}), 401, "unauthenticated")
    assert err["details"]["reason"] == "refresh_token_reused"
    err = assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": new["refresh_token"]}), 401,
                       "unauthenticated")
    assert err["details"] == {"reason": "session_ended", "ended_because": "refresh_token_reused"}
    err = assert_error(api.get("/api/v1/me", token=new["access_token"]), 401, "unauthenticated")
    assert err["details"] == {"reason": "session_ended", "ended_because": "refresh_token_reused"}
    # A new login starts a new, working family.
    again = _login(api, "test-" + r.openid[len("o-test-"):]).json()
    assert api.post("/api/v1/auth/refresh", {"refresh_token": again["refresh_token"]}).status_code == 200


def test_a_login_writes_its_session_and_refresh_token_as_one_document(api: Api, server) -> None:
    r = new_resident(api)
    sid = jwt.decode(r.access_token, options={"verify_signature": False})["sid"]
    session = server.run(server.ctx.db["sessions"].find_one({"_id": sid}))
    assert r.refresh_token.startswith(sid + ".")
    assert session["refresh"]["hash"] == hashlib.sha256(r.refresh_token.encode()).hexdigest()
    assert session["refresh"]["used"] == []
    assert r.refresh_token not in str(session)
    assert server.run(server.ctx.db["refresh_tokens"].count_documents({"subject": r.id})) == 0


def test_a_used_refresh_token_is_remembered_for_the_latest_rotations(api: Api) -> None:
    r = new_resident(api)
    tokens = [r.refresh_token]
    for _ in range(9):
        tokens.append(api.post("/api/v1/auth/refresh", {"refresh_token": tokens[-1]}).json()["refresh_token"])
    # The oldest, nine rotations back, is no longer remembered: refused, and it ends nothing.
    err = assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": tokens[0]}), 401, "unauthenticated")
    assert err["details"] == {"reason": "refresh_token_invalid"}
    assert api.get("/api/v1/me", token=r.access_token).status_code == 200
    # Eight back is: the session ends.
    err = assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": tokens[1]}), 401, "unauthenticated")
    assert err["details"]["reason"] == "refresh_token_reused"
    assert_error(api.get("/api/v1/me", token=r.access_token), 401, "unauthenticated")


def test_a_refresh_token_made_up_for_someone_elses_session_ends_nothing(api: Api) -> None:
    victim = new_resident(api)
    sid = jwt.decode(victim.access_token, options={"verify_signature": False})["sid"]
    for forged in (f"{sid}.{'A' * 43}", f"{sid}.", sid + victim.refresh_token[len(sid):-1] + "x"):
        err = assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": forged}), 401, "unauthenticated")
        assert err["details"] == {"reason": "refresh_token_invalid"}
    assert api.get("/api/v1/me", token=victim.access_token).status_code == 200
    assert api.post("/api/v1/auth/refresh", {"refresh_token": victim.refresh_token}).status_code == 200


def test_one_refresh_token_sent_twice_at_once_is_used_once_and_ends_the_session(api: Api) -> None:
    r = new_resident(api)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: api.post("/api/v1/auth/refresh", {"refresh_token": r.refresh_token}),
                                range(2)))
    assert sorted(a.status_code for a in answers) == [200, 401]
    winner = next(a.json() for a in answers if a.status_code == 200)
    # Two uses of one token look like a stolen one: the session ends, the winner's tokens with it.
    err = assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": winner["refresh_token"]}), 401,
                       "unauthenticated")
    assert err["details"]["ended_because"] == "refresh_token_reused"


def test_a_refresh_token_kept_on_its_own_is_honoured_once_and_its_session_keeps_the_next(api: Api, server) -> None:
    """Sessions opened before a session kept its refresh state have their tokens in
    ``refresh_tokens``: each still works once, and hands its session a token kept in it."""
    r = new_resident(api)
    sid = jwt.decode(r.access_token, options={"verify_signature": False})["sid"]
    db = server.ctx.db
    old = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
    now = dt.datetime.now(dt.UTC)
    server.run(db["sessions"].update_one({"_id": sid}, {"$unset": {"refresh": ""}}))
    server.run(db["refresh_tokens"].insert_one({
        "_id": hashlib.sha256(old.encode()).hexdigest(), "family": sid, "subject": r.id, "audience": "resident",
        "issued_at": now, "expires_at": now + dt.timedelta(days=30), "used_at": None, "revoked": False,
        "purge_at": now + dt.timedelta(days=37)}))
    assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": r.refresh_token}), 401, "unauthenticated")
    new = api.post("/api/v1/auth/refresh", {"refresh_token": old})
    assert new.status_code == 200
    token = new.json()["refresh_token"]
    assert token.startswith(sid + ".")
    assert server.run(db["sessions"].find_one({"_id": sid}))["refresh"]["hash"] == \
        hashlib.sha256(token.encode()).hexdigest()
    assert api.post("/api/v1/auth/refresh", {"refresh_token": token}).status_code == 200
    # The old one, used, is a replay: the session ends.
    err = assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": old}), 401, "unauthenticated")
    assert err["details"]["reason"] == "refresh_token_reused"
    assert_error(api.get("/api/v1/me", token=new.json()["access_token"]), 401, "unauthenticated")


def test_refresh_token_expires(api: Api, clock) -> None:
    r = new_resident(api)
    clock.advance(days=31)
    assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": r.refresh_token}), 401, "unauthenticated")


def test_unknown_refresh_token_is_refused(api: Api) -> None:
    assert_error(api.post("/api/v1/auth/refresh", {"refresh_token": "x" * 43}), 401, "unauthenticated")


# -- real name --------------------------------------------------------------------------------

def _bind(api: Api, r: ResidentHandle, name: str, id_number: str):
    return bind_realname(api, r, name, id_number)


def test_realname_binding_answers_only_masked_values(api: Api) -> None:
    r = new_resident(api)
    resp = _bind(api, r, "张三", "11010519491231002X")
    if resp.status_code == 409:  # the contract's test vector may be bound by an earlier run of this test
        r = new_resident(api)
        resp = _bind(api, r, "张三", make_id_number(born=dt.date(1949, 12, 31)))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["realname_verified"] is True
    assert body["name_masked"] == "张*"
    assert body["id_number_masked"].startswith("1101") and body["id_number_masked"][4:14] == "*" * 10
    me = api.get("/api/v1/me", token=r.access_token).json()
    assert me["realname_verified"] is True and me["name_masked"] == "张*"
    # A new login reports the account as verified.
    assert _login(api, "test-" + r.openid[len("o-test-"):]).json()["user"]["realname_verified"] is True


def test_lower_case_x_is_accepted_and_normalised(api: Api) -> None:
    r = new_resident(api)
    n = make_id_number()
    while not n.endswith("X"):
        n = make_id_number()
    assert _bind(api, r, "李四", n.lower()).json()["id_number_masked"].endswith("X")


@pytest.mark.parametrize("id_number,fragment", [
    ("11010519491231002", "18位"),            # too short
    ("1101051949123100XX", "18位"),           # X inside
    ("110105194912310021", "校验位"),          # wrong check digit
    ("000000194912310025", "地区码"),          # unknown region (check digit made right below)
    ("110105194902300028", "出生日期"),         # 30 February
    ("110105209901010000", "晚于今天"),         # born in the future
])
def test_bad_id_numbers_are_400_with_a_reason(api: Api, id_number: str, fragment: str) -> None:
    from backend.identity.idnumber import check_char
    if fragment != "18位" and fragment != "校验位":
        id_number = id_number[:17] + check_char(id_number[:17])
    r = new_resident(api)
    err = assert_error(_bind(api, r, "王五", id_number), 400, "invalid_input")
    assert fragment in err["details"]["fields"]["id_number"]
    assert api.get("/api/v1/me", token=r.access_token).json()["realname_verified"] is False


@pytest.mark.parametrize("name", ["A", "张", "张三1", "<b>张三</b>", "张 三", "", "张三" * 20,
                                  # Unicode edge cases: zero-width, bidi override, NUL, emoji,
                                  # a lone surrogate's replacement, combining marks, full-width Latin.
                                  "张\u200b三", "张\u202e三", "张\x00三", "张三😀", "张\ufffd", "张\u0301三",
                                  "ＺＨＡＮＧ"])
def test_bad_names_are_400(api: Api, name: str) -> None:
    r = new_resident(api)
    err = assert_error(_bind(api, r, name, make_id_number()), 400, "invalid_input")
    assert "name" in err["details"]["fields"]


def test_minority_and_rare_character_names_are_accepted(api: Api) -> None:
    for name in ("阿依古丽·买买提", "𠮷野家"):
        r = new_resident(api)
        assert _bind(api, r, name, make_id_number()).status_code == 200, name


def test_name_that_does_not_match_the_id_number_is_refused(api: Api) -> None:
    n = make_id_number()
    api.post("/sandbox/realname/people", {"name": "赵六", "id_number": n})
    r = new_resident(api)
    err = assert_error(_bind(api, r, "钱七", n), 400, "realname_mismatch")
    assert "name" in err["details"]["fields"]
    assert _bind(api, r, "赵六", n).status_code == 200


def test_one_id_number_binds_one_account(api: Api) -> None:
    n = make_id_number()
    api.post("/sandbox/realname/people", {"name": "孙八", "id_number": n})
    a, b = new_resident(api), new_resident(api)
    assert _bind(api, a, "孙八", n).status_code == 200
    # Whether a number is bound is told only after the provider confirmed the person.
    assert_error(_bind(api, b, "钱九", n), 400, "realname_mismatch")
    assert_error(_bind(api, b, "孙八", n), 409, "id_number_already_bound")
    # The same binding again is harmless; a different number is refused.
    assert _bind(api, a, "孙八", n).status_code == 200
    assert_error(_bind(api, a, "孙八", make_id_number()), 409, "realname_already_bound")


def test_racing_accounts_cannot_both_bind_one_id_number(api: Api) -> None:
    n = make_id_number()
    residents = [new_resident(api) for _ in range(5)]  # 5: the per-number hourly limit
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda r: _bind(Api(api.base), r, "周九", n).status_code, residents))
    assert sorted(answers) == [200] + [409] * 4


def test_bindings_asked_together_each_get_their_own_answer(api: Api, server) -> None:
    """A peak's bindings go to the database as one write; each caller still learns what became of
    its own: bound, the account already had an identity, or the number is another account's."""
    from pymongo.errors import DuplicateKeyError

    from backend.identity.service import sealed_realname
    identity = server.ctx.service("identity")
    users, cipher, now = identity.users, identity.cipher, identity.clock.now()
    fresh = [new_resident(api) for _ in range(4)]
    already = new_resident(api, verified=True)
    shared, own, again = make_id_number(), make_id_number(), make_id_number()

    def binding(r: ResidentHandle, n: str):
        return users.bind_realname(r.id, sealed_realname(cipher, r.id, "吴一", n, at=now, verified_by="test"))

    async def together():
        return await asyncio.gather(binding(fresh[0], shared), binding(fresh[1], shared), binding(fresh[2], own),
                                    binding(fresh[3], again), binding(fresh[3], make_id_number()),
                                    binding(already, make_id_number()), return_exceptions=True)
    a, b, c, d, e, f = server.run(together())
    assert {type(a), type(b)} == {bool, DuplicateKeyError} and True in (a, b)   # one number, one account
    assert c is True
    assert sorted([d, e]) == [False, True]      # one account, one identity: the first write wins
    assert f is False                           # it had one already
    for r, n in ((fresh[2], own),):
        doc = server.run(server.ctx.db["realnames"].find_one({"_id": ObjectId(r.id)}))
        assert cipher.open(doc["id_sealed"], aad=r.id) == n


def test_id_numbers_are_encrypted_at_rest(api: Api, server) -> None:
    r = new_resident(api, verified=True)
    account = server.run(server.ctx.db["users"].find_one({"openid": r.openid}))
    doc = server.run(server.ctx.db["realnames"].find_one({"_id": account["_id"]}))
    stored = json.dumps([account, doc], default=str, ensure_ascii=False)
    assert r.id_number not in stored and r.id_number[6:14] not in stored and r.name not in stored
    sealed = doc["id_sealed"]
    assert sealed["kid"] == "k1" and set(sealed) == {"kid", "nonce", "ct"}
    cipher = server.ctx.service("identity").cipher
    assert cipher.open(sealed, aad=str(doc["_id"])) == r.id_number
    # Bound to its record: the same ciphertext does not open for another account.
    from backend.identity.crypto import CipherError
    with pytest.raises(CipherError):
        cipher.open(sealed, aad="000000000000000000000000")


def test_full_id_number_never_appears_in_any_response_or_log_line(api: Api, log_capture) -> None:
    seen: list[str] = []
    r = new_resident(api)
    n = make_id_number()
    logins_before = log_capture.text().count(LOGIN_ACCESS_LINE)
    for resp in (
        _bind(api, r, "吴十", n[:17] + ("0" if n[17] != "0" else "1")),  # a failed attempt
        _bind(api, r, "吴十", n),
        api.get("/api/v1/me", token=r.access_token),
        _login(api, "test-" + r.openid[len("o-test-"):]),
    ):
        seen.append(resp.text)
    # the access line of the last request (a login) is written just after its answer is sent
    deadline = time.monotonic() + 5
    while log_capture.text().count(LOGIN_ACCESS_LINE) <= logins_before and time.monotonic() < deadline:
        time.sleep(0.02)
    everything = "\n".join(seen) + "\n" + log_capture.text()
    assert n not in everything and n[:17] not in everything


def test_realname_attempts_are_rate_limited_per_account(api: Api) -> None:
    r = new_resident(api)
    for _ in range(5):
        assert_error(_bind(api, r, "郑一", "110105194912310021"), 400, "invalid_input")
    resp = _bind(api, r, "郑一", make_id_number())
    err = assert_error(resp, 429, "rate_limited")
    assert int(resp.headers["Retry-After"]) > 0 and err["details"]["retry_after_seconds"] > 0


def test_failed_attempts_with_someone_elses_number_do_not_block_them(api: Api) -> None:
    n = make_id_number()
    api.post("/sandbox/realname/people", {"name": "冯二", "id_number": n})
    for _ in range(6):  # more than the per-number limit, each from a new account
        assert_error(_bind(api, new_resident(api), "陈三", n), 400, "realname_mismatch")
    assert _bind(api, new_resident(api), "冯二", n).status_code == 200


def test_refusals_of_a_bound_id_number_are_rate_limited(api: Api) -> None:
    n = make_id_number()
    api.post("/sandbox/realname/people", {"name": "冯二", "id_number": n})
    assert _bind(api, new_resident(api), "冯二", n).status_code == 200
    for _ in range(5):  # others who know the name and the number: refused 5 times an hour
        assert_error(_bind(api, new_resident(api), "冯二", n), 409, "id_number_already_bound")
    assert_error(_bind(api, new_resident(api), "冯二", n), 429, "rate_limited")


def test_realname_attempts_are_rate_limited_per_address(make_server) -> None:
    srv = make_server(ratelimit={"realname_per_ip_per_minute": 2})
    api = Api(srv.base)
    at_window_start(srv)
    hall = {"X-Forwarded-For": "203.0.113.50"}
    for _ in range(2):
        r = new_resident(api)
        assert bind_realname(api, r, "韩梅", make_id_number(), headers=hall).status_code == 200
    r = new_resident(api)
    assert_error(bind_realname(api, r, "韩梅", make_id_number(), headers=hall), 429, "rate_limited")
    assert bind_realname(api, r, "韩梅", make_id_number(),
                         headers={"X-Forwarded-For": "203.0.113.51"}).status_code == 200


def test_login_is_rate_limited_per_ip_and_per_openid(make_server) -> None:
    srv = make_server(ratelimit={"login_per_ip_per_minute": 3, "login_per_openid_per_minute": 2})
    api = Api(srv.base)
    at_window_start(srv)
    ip = {"X-Forwarded-For": "203.0.113.7"}
    for i in range(3):
        assert api.post("/api/v1/auth/wechat-login", {"code": f"test-ip{i}"}, headers=ip).status_code == 200
    assert_error(api.post("/api/v1/auth/wechat-login", {"code": "test-ip9"}, headers=ip), 429, "rate_limited")
    # Another hall's address is not affected; one person logging in too often is.
    other = {"X-Forwarded-For": "203.0.113.8"}
    assert api.post("/api/v1/auth/wechat-login", {"code": "test-same"}, headers=other).status_code == 200
    assert api.post("/api/v1/auth/wechat-login", {"code": "test-same"},
                    headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    assert_error(api.post("/api/v1/auth/wechat-login", {"code": "test-same"},
                          headers={"X-Forwarded-For": "203.0.113.10"}),
                 429, "rate_limited")


def test_forwarded_for_is_ignored_without_a_trusted_proxy(make_server) -> None:
    srv = make_server(server={"trusted_proxies": []}, ratelimit={"login_per_ip_per_minute": 2})
    api = Api(srv.base)
    at_window_start(srv)
    for i in range(2):
        api.post("/api/v1/auth/wechat-login", {"code": f"test-spoof{i}"},
                 headers={"X-Forwarded-For": f"198.51.100.{i}"})
    assert_error(api.post("/api/v1/auth/wechat-login", {"code": "test-spoof9"},
                          headers={"X-Forwarded-For": "198.51.100.99"}), 429, "rate_limited")


# -- the WeChat access token, shared through the database ----------------------------------------

@pytest.mark.parametrize("keep_seconds", [0.0, 60.0])
def test_wechat_clients_share_one_access_token_and_refresh_it_once(make_server, keep_seconds: float) -> None:
    """Two wechatpy clients on separate storages (as two processes hold them) over one database:
    the login one and the subscribe-message one use the same token, and after WeChat expires it
    exactly one new token is fetched, even when both find out at the same moment."""
    from backend.core.store import WeChatTokenStore
    from backend.core.wechat import DatabaseSessionStorage
    from backend.db.mongo import connect
    from backend.identity.providers import WeChatPyLogin
    from notify.channels import WeChatSubscribe

    srv = make_server()  # its own stand-in: nothing else fetches tokens from it
    api = Api(srv.base)
    cfg = srv.config

    def issued() -> int:
        return api.get("/sandbox/wechat/tokens").json()["issued"]

    async def clients() -> tuple:
        db = connect(cfg.database.uri)[f"zjb_wx_{uuid.uuid4().hex[:8]}"]
        args = (cfg.wechat.appid, cfg.wechat.secret, srv.base + "/sandbox/wechat", 5.0)
        # keep_seconds: each process reuses the token it read; an expired one is still replaced once.
        return (db, WeChatPyLogin(*args, DatabaseSessionStorage(WeChatTokenStore(db), keep_seconds=keep_seconds)),
                WeChatSubscribe(*args, DatabaseSessionStorage(WeChatTokenStore(db), keep_seconds=keep_seconds)))

    db, login, push = srv.run(clients())
    try:
        _share_and_refresh_once(srv, api, issued, login, push)
    finally:
        login.close_connections()
        push.close_connections()
        srv.run(db.client.close())


def test_threads_that_find_the_kept_token_too_old_read_it_once(server) -> None:
    """At a peak every provider thread finds the kept token too old at the same moment: one reads
    it from the database, the others take what it read."""
    from backend.core.store import WeChatTokenStore
    from backend.core.wechat import DatabaseSessionStorage

    reads: list[str] = []

    class CountingStore(WeChatTokenStore):
        async def usable_token(self, key: str, now: dt.datetime) -> str | None:
            reads.append(key)
            await asyncio.sleep(0.05)   # long enough for every thread to be waiting at once
            return await super().usable_token(key, now)

    storage = DatabaseSessionStorage(CountingStore(server.ctx.db), keep_seconds=60)

    async def bind() -> None:
        storage.bind(asyncio.get_running_loop())
    server.run(bind())
    key = f"wx-{uuid.uuid4().hex[:6]}_access_token"
    storage.set(key, "token-1", 7200)   # nothing kept in memory yet
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        got = list(pool.map(lambda _: storage.get(key), range(16)))
    assert got == ["token-1"] * 16 and reads == [key]


def _share_and_refresh_once(srv, api: Api, issued, login, push) -> None:  # noqa: ANN001
    import asyncio

    before = issued()
    assert srv.run(login.code_to_session("test-shared")).openid == "o-test-shared"
    assert issued() == before + 1
    assert srv.run(push.send("o-test-shared", "tpl", {"k": {"value": "v"}}, "pages/x")).outcome == "no_consent"
    assert issued() == before + 1  # the second client used the first one's token

    assert api.post("/sandbox/wechat/faults", {"expire_tokens": True}).status_code == 200

    async def both_at_once() -> list:
        return await asyncio.gather(push.send("o-test-shared", "tpl", {"k": {"value": "v"}}, "pages/x"),
                                    login.code_to_session("test-shared"),
                                    push.send("o-test-shared", "tpl", {"k": {"value": "v"}}, "pages/x"))
    sent, session, sent_again = srv.run(both_at_once())
    assert (sent.outcome, session.openid, sent_again.outcome) == ("no_consent", "o-test-shared", "no_consent")
    assert issued() == before + 2


def test_a_binding_the_database_refuses_fails_alone_and_the_others_in_its_write_still_count(make_server) -> None:  # noqa: ANN001,E501
    """One binding of a peak's write refused for a reason of its own (here a stricter validator that
    admits only men) is that request's failure; the others written with it are bound."""
    from pymongo.errors import WriteError

    from backend.identity.service import sealed_realname
    from backend.identity.store import COLLECTIONS
    srv = make_server()
    api = Api(srv.base)
    identity = srv.ctx.service("identity")
    users, cipher, now = identity.users, identity.cipher, identity.clock.now()
    db = srv.ctx.db
    spec = next(c for c in COLLECTIONS if c.name == "realnames")
    strict = {"$jsonSchema": {**spec.validator["$jsonSchema"], "properties": {
        **spec.validator["$jsonSchema"]["properties"], "gender": {"enum": ["male"]}}}}
    srv.run(db.command({"collMod": "realnames", "validator": strict, "validationLevel": "strict"}))
    numbers = [make_id_number(seq=s) for s in range(1, 40)]
    men = [n for n in numbers if int(n[16]) % 2]
    woman = next(n for n in numbers if not int(n[16]) % 2)
    people = [new_resident(api) for _ in range(3)]

    async def together():
        return await asyncio.gather(*(users.bind_realname(r.id, sealed_realname(cipher, r.id, "吴一", n, at=now,
                                                                                 verified_by="test"))
                                      for r, n in zip(people, (men[0], woman, men[1]), strict=True)),
                                    return_exceptions=True)
    first, second, third = srv.run(together())
    assert first is True and third is True
    assert isinstance(second, WriteError) and second.code == 121
    held = {r.openid: srv.run(db["realnames"].find_one({"_id": ObjectId(r.id)})) for r in people}
    assert held[people[1].openid] is None and held[people[0].openid] and held[people[2].openid]


def test_a_binding_reads_the_account_once_with_its_token_check(api: Api, server) -> None:  # noqa: ANN001
    """The request's token check reads the (not yet verified) account; the binding uses that read
    and does not ask for the account again."""
    users = server.ctx.service("identity").users
    r = new_resident(api)
    n = make_id_number()
    verify_result = face_verify(api, r.openid, "郑十", n)
    asked: list[str] = []
    read = users.by_id

    async def counted(user_id: str):  # noqa: ANN202
        asked.append(user_id)
        return await read(user_id)
    users.by_id = counted
    try:
        bound = api.post("/api/v1/me/realname", {"name": "郑十", "id_number": n, "verify_result": verify_result},
                         token=r.access_token)
    finally:
        del users.by_id
    assert bound.status_code == 200, bound.text
    assert bound.json()["realname_verified"] is True and bound.json()["created_at"]
    assert asked.count(r.id) == 1
