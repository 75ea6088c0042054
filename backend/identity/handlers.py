"""HTTP for resident identity. Thin: parse, call the service, answer."""
from __future__ import annotations

from backend.core.access import Resident
from backend.core.api import ApiHandler, operation, route
from backend.identity import schemas as s
from backend.identity.service import IdentityService

TAGS = ("居民身份",)


class IdentityHandler(ApiHandler):
    """A handler of the identity domain, with the service its builder binds."""
    identity: IdentityService

    @property
    def resident(self) -> Resident:
        """The signed-in resident (``auth="resident"`` operations only)."""
        assert isinstance(self.principal, Resident)
        return self.principal


class WeChatLoginHandler(IdentityHandler):
    @operation("微信登录：用 wx.login 的 code 换取令牌", tags=TAGS, body=s.WECHAT_LOGIN,
               responses={200: s.LOGIN_RESULT}, errors=(400, 401, 403, 429, 502))
    async def post(self) -> None:
        user, pair = await self.identity.wechat_login(self.body["code"], self.client_ip())
        self.reply({**pair.as_dict(), "user": {"id": user.id, "realname_verified": user.realname is not None}})


class RefreshHandler(IdentityHandler):
    @operation("刷新令牌（旧的刷新令牌随即失效）", tags=TAGS, body=s.REFRESH,
               responses={200: s.LOGIN_RESULT}, errors=(400, 401))
    async def post(self) -> None:
        user, pair = await self.identity.refresh(self.body["refresh_token"])
        self.reply({**pair.as_dict(), "user": {"id": user.id, "realname_verified": user.realname is not None}})


class LogoutHandler(IdentityHandler):
    @operation("退出登录：本次登录的令牌随即失效（everywhere 为 true 时所有设备一并退出）", tags=TAGS, auth="resident",
               body=s.LOGOUT, responses={200: s.OK}, errors=(400, 401))
    async def post(self) -> None:
        await self.identity.logout(self.resident, everywhere=self.body.get("everywhere", False))
        self.reply({"ok": True})


class MeHandler(IdentityHandler):
    @operation("我的账号（仅脱敏信息）", tags=TAGS, auth="resident", responses={200: s.ME}, errors=(401,))
    async def get(self) -> None:
        self.reply(await self.identity.me(self.resident))


class RealnameHandler(IdentityHandler):
    @operation("实名认证：绑定姓名与身份证号", tags=TAGS, auth="resident", body=s.REALNAME,
               responses={200: s.REALNAME_RESULT}, errors=(400, 401, 409, 429, 502),
               description="身份证号按 GB 11643 校验（地区码、出生日期、校验位），经实名核验服务核验后加密保存；"
                           "应答只含脱敏信息。一个身份证号只能绑定一个账号。")
    async def post(self) -> None:
        self.reply(await self.identity.bind_realname(
            self.resident, self.body["name"], self.body["id_number"], self.client_ip()))


default_handlers = [
    route("/api/v1/auth/wechat-login", WeChatLoginHandler),
    route("/api/v1/auth/refresh", RefreshHandler),
    route("/api/v1/auth/logout", LogoutHandler),
    route("/api/v1/me", MeHandler),
    route("/api/v1/me/realname", RealnameHandler),
]
