"""Field names in a request body are names the database can store and a person would type: a
NUL byte, a leading "$", a "." or a 100,000-character name is a 400 naming the field (cut short),
and nothing is created."""
from __future__ import annotations

import pytest

from tests.support import Api, assert_error, new_resident
from tests.support_cases import service, submit


@pytest.mark.parametrize("key", ["原因\x00", "$where", "a.b", "k" * 100_000, "", "tab\there"])
def test_a_form_key_nobody_could_type_is_refused_and_nothing_is_filed(api: Api, key: str) -> None:
    resident = new_resident(api, verified=True)
    svc = service(api)
    before = api.get("/api/v1/applications", token=resident.access_token).json()["items"]
    err = assert_error(api.post("/api/v1/applications", {"service_id": svc["id"], "form": {key: "投靠配偶"}},
                                token=resident.access_token), 400, "invalid_input")
    [(field, reason)] = err["details"]["fields"].items()
    assert field.startswith("form.") and len(field) < 40 and "字段名" in reason
    assert api.get("/api/v1/applications", token=resident.access_token).json()["items"] == before


def test_ordinary_form_keys_in_letters_digits_or_chinese_are_accepted(api: Api) -> None:
    resident = new_resident(api, verified=True)
    case = submit(api, resident, form={"reason": "投靠配偶", "迁入地址": "东城区", "k" * 64: "x"})
    assert case["form"]["迁入地址"] == "东城区" and case["form"]["k" * 64] == "x"
