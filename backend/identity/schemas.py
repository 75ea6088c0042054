"""Request and response shapes of the resident identity endpoints."""
from backend.core.schema import DATETIME, boolean, integer, nullable, obj, string

WECHAT_LOGIN = obj({"code": string(minLength=1, maxLength=128, description="wx.login 返回的 code")}, ["code"])
REFRESH = obj({"refresh_token": string(minLength=16, maxLength=256)}, ["refresh_token"])
LOGOUT = obj({"everywhere": boolean(description="在所有设备上退出")})
OK = obj({"ok": boolean()}, ["ok"])
REALNAME = obj({
    "name": string(minLength=1, maxLength=30, description="姓名"),
    "id_number": string(minLength=1, maxLength=32, description="18位居民身份证号"),
}, ["name", "id_number"])

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
