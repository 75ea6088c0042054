"""HTTP for resident identity. Thin: parse, call the service, answer."""
from __future__ import annotations

from backend.core.access import Resident, Staff
from backend.core.api import ApiHandler, operation, route
from backend.identity import schemas as s
from backend.identity.access import RESIDENTS
from backend.identity.assurance import FaceAssurance
from backend.identity.reclaim import RealnameReclaims
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
    @operation("实名认证：绑定姓名与身份证号（须本人人脸核身）", tags=TAGS, auth="resident", body=s.REALNAME,
               responses={200: s.REALNAME_RESULT}, errors=(400, 401, 403, 409, 429, 502),
               description="身份证号按 GB 11643 校验（地区码、出生日期、校验位）；verify_result 须是本人微信刚完成、"
                           "针对所填姓名和身份证号且通过的人脸核身，只能使用一次，否则 403 face_verification_required；"
                           "再经实名核验服务核验后加密保存，应答只含脱敏信息。一个身份证号只能绑定一个账号"
                           "（已被其他账号绑定时 409 id_number_already_bound，可到窗口办理实名找回）。")
    async def post(self) -> None:
        self.reply(await self.identity.bind_realname(
            self.resident, self.body["name"], self.body["id_number"], self.body.get("verify_result"),
            self.client_ip()))


class FaceVerificationsHandler(ApiHandler):
    assurance: FaceAssurance

    @operation("本人人脸核身（调取电子证照、申办须人脸核身的事项之前）", tags=TAGS, auth="resident",
               body=s.FACE_VERIFICATION, responses={201: s.FACE_VERIFIED}, errors=(400, 401, 403, 502),
               description="已实名的居民提交本人刚完成的人脸核身结果（针对其实名身份）；通过后在 valid_until 之前"
                           "可调取电子证照、申办须人脸核身的事项。")
    async def post(self) -> None:
        assert isinstance(self.principal, Resident)
        self.reply(await self.assurance.verify_own(self.principal, self.body["verify_result"]), 201)


class RealnameReclaimHandler(ApiHandler):
    reclaims: RealnameReclaims

    @operation("窗口实名找回：身份证号被其他账号绑定时，为到场的本人改绑（须本人人脸核身并核验身份证原件）",
               tags=("工作人员",), auth="staff", access=RESIDENTS.rule("reclaim"), body=s.RECLAIM,
               responses={200: s.RECLAIMED}, errors=(400, 401, 403, 409),
               description="居民先用本人微信在小程序实名认证页完成人脸核身（提示已被绑定时核身结果已记录），"
                           "工作人员核验身份证原件后填写姓名和身份证号：原账号的绑定解除、所有登录退出，"
                           "居民账号完成绑定，双方均收到通知，全程记入审计日志。")
    async def post(self) -> None:
        assert isinstance(self.principal, Staff)
        b = self.body
        self.reply(await self.reclaims.reclaim(self.principal, name=b["name"], id_number=b["id_number"],
                                               id_card_checked=b["id_card_checked"], ip=self.client_ip()))


default_handlers = [
    route("/api/v1/auth/wechat-login", WeChatLoginHandler),
    route("/api/v1/auth/refresh", RefreshHandler),
    route("/api/v1/auth/logout", LogoutHandler),
    route("/api/v1/me", MeHandler),
    route("/api/v1/me/realname", RealnameHandler),
    route("/api/v1/me/face-verifications", FaceVerificationsHandler),
]

desk_handlers = [route("/api/v1/staff/realname-reclaims", RealnameReclaimHandler)]
