"""E-licences as strong as e-receipts: 50-bit check codes compared whatever their case or spacing,
a licence checked offline from its published signature and key (with the `cryptography` library,
not the product's code), the human-readable page behind the QR code (no ID number on it), the
holder's own PDF naming the holder in full with true metadata, and licences issued before 50-bit
codes still verifying after their upgrade."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
from urllib.parse import urlsplit

import pytest
from bson import ObjectId
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pypdf import PdfReader

from tests.support import Api, AppServer, ResidentHandle, assert_error, staff_login
from tests.test_licences import issued_licence, verify

ALPHABET = set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")


@pytest.fixture(scope="module")
def staff(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver")}


@pytest.fixture(scope="module")
def held(server: AppServer, staff: dict[str, str]) -> tuple[ResidentHandle, dict]:
    return issued_licence(Api(server.base), staff)


def page(api: Api, number: str, check: str, ip: str = "198.51.100.21"):  # noqa: ANN201
    return api.get("/verify/licence", params={"number": number, "check": check}, headers={"X-Forwarded-For": ip})


def test_check_codes_are_50_bits_and_a_wrong_one_is_refused(api: Api, held: tuple[ResidentHandle, dict]) -> None:
    _, lic = held
    code = lic["check_code"]
    assert len(code) == 10 and set(code) <= ALPHABET  # 32 letters ** 10 = 2 ** 50
    assert verify(api, lic["number"], code).json()["valid"] is True
    assert verify(api, lic["number"], f" {code.lower()} ").json()["valid"] is True  # as a person types it
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    assert_error(verify(api, lic["number"], wrong), 404, "not_found")
    assert_error(verify(api, lic["number"], code[:6]), 404, "not_found")
    assert_error(verify(api, lic["number"], code + "2"), 404, "not_found")


def test_a_licence_verifies_offline_from_its_published_signature_and_key(
        api: Api, held: tuple[ResidentHandle, dict]) -> None:
    _, lic = held
    body = verify(api, lic["number"], lic["check_code"]).json()
    keys = {k["key_id"]: k for k in api.get("/api/v1/signing-keys").json()["items"] if k["purpose"] == "licences"}
    key = keys[body["key_id"]]
    assert key["algorithm"] == "Ed25519"
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key_b64"]))
    signed = body["signed"].encode("utf-8")
    public.verify(base64.b64decode(body["signature_b64"]), signed)  # raises when it does not verify
    content = json.loads(signed)
    assert content["number"] == lic["number"] and content["name"] == lic["name"]
    assert content["holder"] == lic["holder_masked"] and content["issuer"] == lic["issuer"]
    # The same check refuses a changed text: the test can fail.
    forged = json.dumps({**content, "expires_at": "2099-12-31"}, ensure_ascii=False, sort_keys=True,
                        separators=(",", ":")).encode("utf-8")
    with pytest.raises(InvalidSignature):
        public.verify(base64.b64decode(body["signature_b64"]), forged)


def test_the_qr_code_opens_a_page_for_people_with_no_id_number(api: Api, server: AppServer,
                                                               held: tuple[ResidentHandle, dict]) -> None:
    r, lic = held
    detail = api.get(f"/api/v1/me/licences/{lic['id']}", token=r.access_token).json()
    link = urlsplit(detail["verify_url"])
    assert link.path == "/verify/licence" and detail["qr_png_base64"]
    got = api.get(f"{link.path}?{link.query}", headers={"X-Forwarded-For": "198.51.100.22"})
    assert got.status_code == 200 and got.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in got.headers["Content-Security-Policy"]
    text = got.text
    assert 'name="viewport"' in text and "电子证照查验" in text and "有效" in text
    for shown in (lic["number"], lic["name"], lic["holder_masked"], lic["issuer"], "长期有效"):
        assert shown in text, shown
    masked_id = server.run(server.ctx.db["licences"].find_one({"_id": ObjectId(lic["id"])}))["content"]["holder_id"]
    for hidden in (r.name, r.id_number, masked_id, "证件号码"):
        assert hidden not in text, hidden
    assert r.id_number[-4:] not in text.replace(lic["number"], ""), "the ID number's last four digits"
    wrong = page(api, lic["number"], "2222222222")
    assert wrong.status_code == 404 and wrong.headers["Content-Type"].startswith("text/html")
    assert "未查到该证照" in wrong.text
    incomplete = api.get("/verify/licence", params={"number": lic["number"]},
                         headers={"X-Forwarded-For": "198.51.100.22"})
    assert incomplete.status_code == 400 and "查验信息不完整" in incomplete.text


def test_the_holders_pdf_names_them_in_full_with_true_metadata(api: Api, staff: dict[str, str],
                                                               held: tuple[ResidentHandle, dict]) -> None:
    r, lic = held
    resp = api.get(f"/api/v1/me/licences/{lic['id']}/pdf", token=r.access_token)
    assert resp.status_code == 200
    pdf = PdfReader(io.BytesIO(resp.content))
    text = "".join(pdf.pages[0].extract_text().split())
    for expected in (f"持证人：{r.name}", f"证件号码：{r.id_number}", lic["check_code"], "/verify/licence?"):
        assert expected in text, (expected, text)
    issued = dt.datetime.fromisoformat(lic["issued_at"]).astimezone(dt.timezone(dt.timedelta(hours=8)))
    meta = pdf.metadata
    assert meta["/CreationDate"] == issued.strftime("D:%Y%m%d%H%M%S+08'00'")
    assert meta["/CreationDate"] != "D:20000101000000+00'00'"
    assert meta["/Title"] == f"{lic['name']} {lic['number']}" and meta["/Author"] == lic["issuer"]
    assert "电子证照" in meta["/Subject"] and lic["number"] in meta["/Subject"]
    # What staff see of it stays masked.
    seen = api.get(f"/api/v1/staff/applications/{lic['application_id']}/licence", token=staff["clerk"])
    assert seen.status_code == 200 and seen.json()["holder_masked"] == lic["holder_masked"]
    assert r.name not in seen.text and r.id_number not in seen.text


def test_licences_issued_before_50_bit_codes_keep_verifying(api: Api, server: AppServer, make_server,  # noqa: ANN001
                                                            staff: dict[str, str]) -> None:
    r, lic = issued_licence(api, staff)
    licences = server.ctx.db["licences"]
    doc = server.run(licences.find_one({"_id": ObjectId(lic["id"])}))
    # As a licence was stored before: a 6-hex code taken from its signature.
    old = hashlib.sha256(doc["signature"].encode()).hexdigest()[:6].upper()
    server.run(licences.update_one({"_id": doc["_id"]}, {"$set": {"check_code": old}}))
    assert_error(verify(api, lic["number"], lic["check_code"]), 404, "not_found")
    assert server.run(server.ctx.service("licences").strengthen_check_codes()) >= 1
    upgraded = server.run(licences.find_one({"_id": doc["_id"]}))
    assert upgraded["legacy_check_code"] == old and len(upgraded["check_code"]) == 10
    assert upgraded["content"] == doc["content"] and upgraded["signature"] == doc["signature"]
    assert server.run(server.ctx.service("licences").strengthen_check_codes()) == 0  # a second run changes nothing
    assert server.run(licences.find_one({"_id": doc["_id"]}))["check_code"] == upgraded["check_code"]
    # The copies handed out before still verify; the holder's wallet shows the new code.
    assert verify(api, lic["number"], old).json()["valid"] is True
    assert verify(api, lic["number"], upgraded["check_code"]).json()["valid"] is True
    mine = api.get(f"/api/v1/me/licences/{lic['id']}", token=r.access_token).json()
    assert mine["check_code"] == upgraded["check_code"] and upgraded["check_code"] in mine["verify_url"]
    # Once the old copies are out of use, the operator stops accepting their codes.
    strict = make_server(licences={"accept_legacy_check_codes": False})
    strict.run(strict.ctx.db["licences"].insert_one(upgraded))
    other = Api(strict.base)
    assert_error(verify(other, lic["number"], old), 404, "not_found")
    # (that server signs with its own sandbox key, so the copied licence answers "invalid": found, not 404)
    assert verify(other, lic["number"], upgraded["check_code"]).json()["number"] == lic["number"]
    other.session.close()
