"""Request and response shapes of grants (帮办代办) and the identity code (办事码)."""
from backend.core.schema import DATETIME, ID, array, integer, list_of, nullable, obj, string

GRANT_IN = obj({
    "grantee": obj({
        "type": string(enum=["staff", "resident"], description="staff 帮办员；resident 另一位实名居民"),
        "username": string(minLength=3, maxLength=32, description="帮办员工号（type=staff）"),
        "id_number": string(minLength=18, maxLength=18, description="被授权居民的身份证号（type=resident）"),
    }, ["type"]),
    "service_ids": array(ID, maxItems=20, uniqueItems=True, description="授权办理的事项；不填为全部事项"),
    "days": integer(minimum=1, maximum=365, description="授权天数"),
}, ["grantee", "days"])
SERVICE_REF = obj({"id": string(), "name": string()}, ["id", "name"])
GRANT = obj({
    "id": string(), "status": string(enum=["active", "revoked", "expired"]),
    "grantee": obj({"type": string(enum=["staff", "resident"]), "name_masked": string(), "username": string()},
                   ["type", "name_masked"]),
    "grantor": obj({"name_masked": string()}, ["name_masked"]),
    "service_ids": nullable(array(string())), "services": nullable(array(SERVICE_REF)), "days": integer(),
    "created_at": DATETIME, "expires_at": DATETIME, "revoked_at": nullable(DATETIME),
}, ["id", "status", "grantee", "service_ids", "expires_at"])
GRANTS = list_of(GRANT)
CODE = obj({"code": string(), "expires_at": DATETIME, "valid_seconds": integer(),
            "qr_png_base64": string(description="办事码二维码（PNG，base64）")}, ["code", "expires_at"])
RESIDENT = obj({"id": string(), "name_masked": nullable(string()), "id_number_masked": nullable(string()),
                "realname_verified": {"type": "boolean"}, "grants": array(GRANT)},
               ["id", "name_masked", "id_number_masked", "grants"])
RESIDENTS = list_of(RESIDENT)
FIND_QUERY = obj({"q": string(minLength=2, maxLength=40, description="身份证号、办件编号或姓名")}, ["q"])
GRANTOR_LICENCE = obj({"id": string(), "type": string(), "name": string(), "number": string(),
                       "holder_masked": string(), "issuer": string(), "expires_at": nullable(DATETIME),
                       "status": string()}, ["id", "type", "name", "number"])
GRANTOR_LICENCES = list_of(GRANTOR_LICENCE)
IDENTIFY = obj({"identity_code": string(minLength=10, maxLength=200, description="居民出示的办事码")},
               ["identity_code"])
