"""Keys that outlive a year: the signing keys of receipts and licences rotate, and what the old key
signed still verifies through HTTP (checked again offline over the returned signed text with the
key GET /signing-keys publishes); a retired key does not vouch for a document dated after its
retirement; malformed or overlapping keys stop start-up. The key that encrypts ID numbers rotates
by a resumable job: interrupted half-way and resumed (and run twice at once), every record stays
readable and ends on the new key, and /me shows the masked number throughout."""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
import json
import tomllib
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, Iterator

import pytest
from bson import ObjectId
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backend.cli import main
from backend.config import ConfigError, load_config
from tests.support import Api, AppServer, assert_error, bind_realname, fetch_licences, make_id_number, new_resident
from tests.support_payments import paid_order
from tests.test_licences import issued_licence

NEW_ID_KEY = base64.b64encode(b"rotated-id-key-for-tests-32bytes").decode()


@pytest.fixture
def started() -> Iterator[list[AppServer]]:
    """App servers on another's database (a restart with a rotated configuration); stopped after."""
    servers: list[AppServer] = []
    yield servers
    for s in servers:
        s.stop()


def restart(started: list[AppServer], old: AppServer, **sections: dict[str, Any]) -> AppServer:
    srv = AppServer(old.config.with_overrides(**sections)).start()
    started.append(srv)
    return srv


def rotation(old: AppServer, tmp_path: Path, purpose: str, takes_over: str) -> dict[str, Any]:
    """The configuration lines ``keys new-signing-key`` prints, as a section of overrides."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["keys", "new-signing-key", "--for", purpose, "--out", str(tmp_path / f"{purpose}.pem"),
                     "--data-dir", old.config.data_dir, "--takes-over", takes_over]) == 0
    return tomllib.loads(out.getvalue())[purpose]


def paid_receipt(api: Api, server: AppServer) -> dict[str, Any]:
    resident, p = paid_order(api, server)
    r = api.get(f"/api/v1/receipts/{p['receipt_id']}", token=resident.access_token)
    assert r.status_code == 200, r.text
    return r.json()


def staff_tokens(api: Api) -> dict[str, str]:
    from tests.support import staff_login
    return {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver", "finance")}


def key_of(api: Api, key_id: str, purpose: str) -> Ed25519PublicKey:
    items = api.get("/api/v1/signing-keys").json()["items"]
    [item] = [i for i in items if i["key_id"] == key_id and i["purpose"] == purpose]
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(item["public_key_b64"]))


def check_offline(api: Api, answer: dict[str, Any], purpose: str) -> None:
    """The signature over the returned text verifies with the published key of the named id."""
    key_of(api, answer["key_id"], purpose).verify(base64.b64decode(answer["signature_b64"]),
                                                  answer["signed"].encode("utf-8"))


def verify_receipt(api: Api, r: dict[str, Any], ip: str) -> Any:
    return api.get("/api/v1/receipts/verify", params={"code": r["code"], "number": r["number"],
                                                      "check": r["check_code"]}, headers={"X-Forwarded-For": ip})


def verify_licence(api: Api, lic: dict[str, Any], ip: str) -> Any:
    return api.get("/api/v1/licences/verify", params={"number": lic["number"], "check": lic["check_code"]},
                   headers={"X-Forwarded-For": ip})


def test_receipts_and_licences_signed_before_a_rotation_verify_after_it(make_server, started: list[AppServer],
                                                                         tmp_path: Path) -> None:
    old = make_server()
    api = Api(old.base)
    staff = staff_tokens(api)
    receipt = paid_receipt(api, old)
    _, lic = issued_licence(api, staff)
    before_r = verify_receipt(api, receipt, "198.51.100.1").json()
    before_l = verify_licence(api, lic, "198.51.100.1").json()
    assert before_r["key_id"] == "zjb-receipts-sandbox-1" and before_l["key_id"] == "zjb-licences-sandbox-1"
    assert json.loads(before_r["signed"])["number"] == receipt["number"]
    assert json.loads(before_l["signed"])["number"] == lic["number"]
    check_offline(api, before_r, "receipts")
    check_offline(api, before_l, "licences")

    # Rotate both keys: new files, the old keys retired from now (after what they signed).
    takes_over = (old.clock.now().replace(microsecond=0) + dt.timedelta(seconds=2)).isoformat()
    new = restart(started, old, receipts=rotation(old, tmp_path, "receipts", takes_over),
                  licences=rotation(old, tmp_path, "licences", takes_over))
    api = Api(new.base)
    keys = api.get("/api/v1/signing-keys").json()["items"]
    by_id = {(k["purpose"], k["key_id"]): k for k in keys}
    assert set(by_id) >= {("receipts", "zjb-receipts-sandbox-1"), ("licences", "zjb-licences-sandbox-1")}
    assert len(keys) == 4 and all(k["algorithm"] == "Ed25519" for k in keys)
    retired = by_id[("receipts", "zjb-receipts-sandbox-1")]
    assert retired["retired_at"] and dt.datetime.fromisoformat(retired["retired_at"]) \
        == dt.datetime.fromisoformat(takes_over)
    public = api.get("/api/v1/receipts/public-key").json()
    assert public["key_id"] != "zjb-receipts-sandbox-1" and public["public_key_pem"].startswith("-----BEGIN")
    assert [k["key_id"] for k in public["keys"]] == [public["key_id"], "zjb-receipts-sandbox-1"]
    assert "retired_at" not in public["keys"][0]

    after_r = verify_receipt(api, receipt, "198.51.100.2")
    after_l = verify_licence(api, lic, "198.51.100.2")
    assert after_r.status_code == 200 and after_l.status_code == 200, (after_r.text, after_l.text)
    assert after_r.json() == before_r and after_l.json()["valid"] is True
    assert after_l.json()["key_id"] == "zjb-licences-sandbox-1"
    check_offline(api, after_r.json(), "receipts")
    check_offline(api, after_l.json(), "licences")

    # What is signed after the rotation names the new key and verifies with it.
    staff = staff_tokens(api)
    receipt2 = paid_receipt(api, new)
    _, lic2 = issued_licence(api, staff)
    new_r = verify_receipt(api, receipt2, "198.51.100.3").json()
    new_l = verify_licence(api, lic2, "198.51.100.3").json()
    assert new_r["key_id"] == public["key_id"] and new_l["key_id"] != "zjb-licences-sandbox-1"
    check_offline(api, new_r, "receipts")
    check_offline(api, new_l, "licences")


def test_a_retired_key_does_not_vouch_for_what_is_dated_after_its_retirement(make_server, started: list[AppServer],
                                                                              tmp_path: Path) -> None:
    old = make_server()
    api = Api(old.base)
    receipt = paid_receipt(api, old)
    _, lic = issued_licence(api, staff_tokens(api))
    # The configuration says the old keys retired long before these were signed.
    receipts = rotation(old, tmp_path, "receipts", "2026-01-02T00:00:00+08:00")
    licences = rotation(old, tmp_path, "licences", "2026-01-02T00:00:00+08:00")
    new = restart(started, old, receipts=receipts, licences=licences)
    api = Api(new.base)
    assert_error(verify_receipt(api, receipt, "198.51.100.4"), 404, "not_found")
    assert verify_licence(api, lic, "198.51.100.4").json() == {"valid": False, "status": "invalid",
                                                               "number": lic["number"]}
    # The same documents verify on the server whose configuration has the old key current.
    assert verify_receipt(Api(old.base), receipt, "198.51.100.5").status_code == 200


def test_malformed_or_overlapping_signing_keys_stop_start_up(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from backend.core.signing import public_key_b64
    pub = [public_key_b64(Ed25519PrivateKey.generate().public_key()) for _ in range(2)]

    def problems(**receipts: Any) -> list[str]:
        with pytest.raises(ConfigError) as e:
            load_config(None, env={}, overrides={"receipts": receipts})
        return e.value.problems

    assert load_config(None, env={}, overrides={"receipts": {
        "key_valid_from": "2027-01-04T09:00:00+08:00",
        "retired_keys": {"r2026": f"{pub[0]} 2026-01-01 2027-01-04T09:00:00+08:00"}}}).receipts.retired_keys
    [p] = problems(key_valid_from="2027-01-04", retired_keys={"a": f"{pub[0]} 2026-01-01 2026-07-01",
                                                                 "b": f"{pub[1]} 2026-06-01 2027-01-01"})
    assert "receipts.retired_keys: a" in p and "overlap" in p
    [p] = problems(retired_keys={"a": f"{pub[0]} 2026-01-01 2027-01-04"})
    assert p.startswith("receipts.key_valid_from:") and "a retired" in p
    [p] = problems(retired_keys={"a": "not-base64 2025-01-01 2025-06-01"})
    assert p.startswith("receipts.retired_keys.a:") and "public key" in p
    [p] = problems(retired_keys={"a": f"{pub[0]} 2025-13-01 2025-06-01"})
    assert p.startswith("receipts.retired_keys.a:") and "date-time" in p
    [p] = problems(retired_keys={"a": f"{pub[0]} 2025-01-01"})
    assert p.startswith("receipts.retired_keys.a:")
    [p] = problems(retired_keys={"zjb-receipts-sandbox-1": f"{pub[0]} 2025-01-01 2025-06-01"})
    assert "current receipts.key_id" in p
    [p] = problems(retired_keys={"a": f"{pub[0]} 2025-01-01 2025-03-01", "b": f"{pub[0]} 2025-03-01 2025-06-01"})
    assert "same public key" in p
    [p] = problems(key_valid_from="soon")
    assert p.startswith("receipts.key_valid_from:")
    # The current key listed as retired: refused when the key file is read, at start-up.
    from backend.core.signing import Ed25519Signer, SigningKeyRing
    from backend.signing.rotation import write_private_key
    key = write_private_key(tmp_path / "k.pem")
    with pytest.raises(ValueError, match="receipts.retired_keys.old: is the current signing key"):
        SigningKeyRing(Ed25519Signer((tmp_path / "k.pem").read_text(), "new"), valid_from="2026-01-01",
                       retired={"old": f"{public_key_b64(key.public_key())} 2025-01-01 2025-06-01"},
                       where="receipts")


# -- the key that encrypts ID numbers ---------------------------------------------------------------


def kids(server: AppServer) -> dict[str, str]:
    async def run() -> dict[str, str]:
        assert server.ctx is not None
        docs = await server.ctx.db["realnames"].find({}).to_list(None)
        return {str(d["_id"]): d["id_sealed"]["kid"] + d["name_sealed"]["kid"] for d in docs}
    return server.run(run())


def checkpoint(server: AppServer, kid: str) -> dict[str, Any]:
    assert server.ctx is not None
    return server.run(server.ctx.db["identity_upkeep"].find_one({"_id": f"reseal:{kid}"}))


def readable(api: Api, residents: list[Any]) -> None:
    """Each resident's /me shows the masked number, and their ID number still opens: the
    e-licence library is asked with it and answers the licence given to that number."""
    for r in residents:
        me = api.get("/api/v1/me", token=r.access_token)
        assert me.status_code == 200, me.text
        masked = me.json()["id_number_masked"]
        assert masked[:4] == r.id_number[:4] and masked[-4:] == r.id_number[-4:] and "*" in masked
        got = fetch_licences(api, r, {"purpose": "wallet"})
        assert got.status_code == 200, got.text
        assert [i["number"] for i in got.json()["items"] if i["source"] == "library"] == [r.licence]


def test_the_id_number_key_rotates_by_a_resumable_job_and_every_record_stays_readable(
        make_server, started: list[AppServer], tmp_path: Path) -> None:
    first = base64.b64encode(b"first-id-key-for-tests-32-bytes!").decode()
    old = make_server(security={"id_encryption_keys": {"k1": first}, "id_active_key": "k1"})
    api = Api(old.base)
    late = [new_resident(api) for _ in range(2)]  # logged in first, bound only after the walk passed them
    residents = []
    for _ in range(5):
        r = new_resident(api, verified=True)
        r.licence = api.post("/sandbox/licences", {"id_number": r.id_number, "type": "id_card"}).json()["number"]
        residents.append(r)
    keys = dict(old.config.security.id_encryption_keys)
    new = restart(started, old, security={"id_encryption_keys": {**keys, "k2": NEW_ID_KEY}, "id_active_key": "k2"})
    api = Api(new.base)
    assert set(kids(new).values()) == {"k1k1"}

    # Interrupted after one batch of two: those two are on k2, the rest still on k1, all readable.
    assert new.ctx is not None
    report = new.run(new.ctx.service("identity").reseal(batch_size=2, max_batches=1))
    assert (report.resealed, report.remaining, report.done) == (2, 3, False)
    ordered = sorted(kids(new), key=ObjectId)
    assert [kids(new)[i] for i in ordered] == ["k2k2", "k2k2", "k1k1", "k1k1", "k1k1"]
    assert checkpoint(new, "k2")["after"] == ObjectId(ordered[1])
    readable(api, residents)

    # Resumed where it stopped (the checkpoint is in the database): the rest, nothing twice.
    report = new.run(new.ctx.service("identity").reseal(batch_size=2))
    assert (report.resealed, report.remaining, report.done) == (3, 0, True)
    assert set(kids(new).values()) == {"k2k2"} and checkpoint(new, "k2")["finished_at"]
    readable(api, residents)

    # A process still on the old key binds two accounts behind the walk; two runners at once
    # re-encrypt each of them once.
    for r in late:
        r.name, r.id_number = "张伟", make_id_number()
        assert bind_realname(Api(old.base), r, r.name, r.id_number).status_code == 200
        r.licence = api.post("/sandbox/licences", {"id_number": r.id_number, "type": "id_card"}).json()["number"]
    assert sorted(kids(new).values()) == ["k1k1", "k1k1"] + ["k2k2"] * 5

    async def twice() -> list[Any]:
        identity = new.ctx.service("identity")
        return list(await asyncio.gather(identity.reseal(batch_size=1), identity.reseal(batch_size=1)))
    reports = new.run(twice())
    assert sum(r.resealed for r in reports) == 2 and all(r.done for r in reports)
    assert set(kids(new).values()) == {"k2k2"}

    # The old key can go: every record opens with k2 alone.
    only_new = restart(started, new, security={"id_encryption_keys": {"k2": NEW_ID_KEY}, "id_active_key": "k2"})
    readable(Api(only_new.base), residents + late)
