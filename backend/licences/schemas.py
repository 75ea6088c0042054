"""Request and response shapes of e-licences."""
from backend.core.schema import DATETIME, ID, array, boolean, integer, list_of, nullable, obj, string
from backend.licences.types import CODES
from backend.signing.schemas import SIGNED, SIGNING_KEY

STATUS = string(enum=["valid", "revoked", "expired"], description="valid 有效、revoked 已撤销、expired 已过期")
LICENCE = obj({
    "id": string(), "type": string(enum=CODES), "type_name": string(), "name": string(), "number": string(),
    "holder_masked": string(), "issuer": string(), "issued_at": DATETIME, "expires_at": nullable(DATETIME),
    "status": STATUS, "check_code": string(),
    "source": string(enum=["issued", "library"], description="issued 本中心颁发；library 电子证照库调取"),
    "application_id": nullable(string()), "application_serial": nullable(string(description="颁发该证照的办件编号")),
    "verify_url": string(description="查验页面（二维码内容）"),
    "qr_png_base64": string(description="查验二维码 PNG（base64），仅详情"),
}, ["id", "type", "name", "number", "holder_masked", "issuer", "issued_at", "expires_at", "status", "check_code"])
LICENCES = list_of(LICENCE)
LIST_QUERY = obj({"cursor": string(maxLength=64), "limit": integer(minimum=1, maximum=100)})
REGISTRY_QUERY = obj({"status": STATUS, "q": string(minLength=1, maxLength=40, description="证照编号或办件编号"),
                      "cursor": string(maxLength=64), "limit": integer(minimum=1, maximum=100)})
REFRESH = obj({"purpose": string(enum=["wallet", "application"], description="调取用途：查看证照或申办事项"),
               "service_id": ID}, ["purpose"])
VERIFY_QUERY = obj({"number": string(minLength=1, maxLength=40), "check": string(minLength=1, maxLength=16)},
                   ["number", "check"])
VERIFIED = obj({
    "valid": boolean(), "status": string(enum=["valid", "revoked", "expired", "invalid"],
                                         description="invalid：内容与签名不符（被篡改）"),
    "number": string(), "type": string(), "name": string(), "holder_masked": string(), "issuer": string(),
    "issued_at": DATETIME, "expires_at": nullable(DATETIME), "source": string(), **SIGNED,
}, ["valid", "status", "number"])
FETCHES = list_of(obj({"at": DATETIME, "purpose": string(), "purpose_text": string(),
                       "service_name": nullable(string()), "count": integer(), "outcome": string()},
                      ["at", "purpose", "purpose_text", "count", "outcome"]))
PUBLIC_KEY = obj({"algorithm": string(), "key_id": string(description="当前签名密钥"), "public_key_pem": string(),
                  "canonical_form": string(),
                  "keys": array(SIGNING_KEY, description="当前与已停用的证照签名密钥及其有效期")},
                 ["algorithm", "key_id", "public_key_pem", "keys"])
REVOKE = obj({"reason": string(minLength=2, maxLength=200, description="撤销理由")}, ["reason"])
