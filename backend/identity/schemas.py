"""Request and response shapes of the resident identity endpoints."""
from backend.core.schema import DATETIME, boolean, integer, nullable, obj, string

WECHAT_LOGIN = obj({"code": string(minLength=1, maxLength=128, description="wx.login 返回的 code")}, ["code"])
REFRESH = obj({"refresh_token": string(minLength=16, maxLength=256)}, ["refresh_token"])
LOGOUT = obj({"everywhere": boolean(description="在所有设备上退出")})
OK = obj({"ok": boolean()}, ["ok"])
VERIFY_RESULT = string(minLength=1, maxLength=512,
                       description="wx.startFacialRecognitionVerify 返回的 verifyResult（人脸核身凭据，只能用一次）")
REALNAME = obj({
    "name": string(minLength=1, maxLength=30, description="姓名"),
    "id_number": string(minLength=1, maxLength=32, description="18位居民身份证号"),
    "verify_result": VERIFY_RESULT,
}, ["name", "id_number"])
FACE_VERIFICATION = obj({"verify_result": VERIFY_RESULT}, ["verify_result"])
FACE_VERIFIED = obj({
    "verified_at": DATETIME,
    "valid_until": {**DATETIME, "description": "在此之前可调取电子证照、申办须人脸核身的事项"},
}, ["verified_at", "valid_until"])
RECLAIM = obj({
    "name": string(minLength=1, maxLength=30, description="居民身份证原件上的姓名"),
    "id_number": string(minLength=1, maxLength=32, description="居民身份证原件上的身份证号"),
    "id_card_checked": boolean(description="已当面核验居民身份证原件与本人一致（须为 true）"),
}, ["name", "id_number", "id_card_checked"])

USER_BRIEF = obj({"id": string(), "realname_verified": boolean()}, ["id", "realname_verified"])
TOKENS = {
    "access_token": string(), "refresh_token": string(), "token_type": string(enum=["Bearer"]),
    "expires_in": integer(minimum=1),
}
LOGIN_RESULT = obj({**TOKENS, "user": USER_BRIEF}, ["access_token", "refresh_token", "expires_in", "user"])
ME = obj({
    "id": string(),
    "realname_verified": boolean(),
    "name_masked": nullable(string()),
    "id_number_masked": nullable(string()),
    "realname_verified_at": nullable(DATETIME),
    "created_at": nullable(DATETIME),
}, ["id", "realname_verified", "name_masked", "id_number_masked"])
REALNAME_RESULT = ME
RESIDENT_REF = obj({"id": string(), "realname_verified": boolean(), "name_masked": nullable(string()),
                    "id_number_masked": nullable(string())},
                   ["id", "realname_verified", "name_masked", "id_number_masked"])
RECLAIMED = obj({"user": RESIDENT_REF, "released": RESIDENT_REF, "reclaimed_at": DATETIME},
                ["user", "released", "reclaimed_at"])
