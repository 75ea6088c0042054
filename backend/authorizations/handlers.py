"""HTTP for 帮办代办: residents' grants and 办事码; the clerk's desk to find who they act for."""
from __future__ import annotations

from backend.authorizations import schemas as s
from backend.authorizations.access import GRANT
from backend.authorizations.service import AgencyDesk
from backend.core.api import CallerHandler, operation, route
from backend.core.ratelimit import RateLimiter

TAGS = ("帮办代办",)
STAFF_TAGS = ("工作人员：帮办代办",)


class AgencyHandler(CallerHandler):
    """What every handler of 帮办代办 is given (``build.py`` binds it) and who called it."""
    agency: AgencyDesk
    limiter: RateLimiter


class MyGrantsHandler(AgencyHandler):
    @operation("授权他人代办：指定帮办员（工号）或另一位实名居民（身份证号），可限定事项和天数", tags=TAGS,
               auth="resident", access=GRANT.rule("give"), body=s.GRANT_IN, responses={201: s.GRANT},
               errors=(400, 401, 403, 409))
    async def post(self) -> None:
        self.reply(await self.agency.grant(self.resident, self.body, self.client_ip()), 201)

    @operation("我给出的授权", tags=TAGS, auth="resident", access=GRANT.rule("list"), responses={200: s.GRANTS},
               errors=(401,))
    async def get(self) -> None:
        self.reply(await self.agency.list_given(self.resident))


class ReceivedGrantsHandler(AgencyHandler):
    @operation("别人给我的代办授权（可代其申报）", tags=TAGS, auth="resident",
               access=GRANT.rule("list"), responses={200: s.GRANTS}, errors=(401,))
    async def get(self) -> None:
        self.reply(await self.agency.list_received(self.resident))


class RevokeHandler(AgencyHandler):
    @operation("撤销授权（立即生效）", tags=TAGS, auth="resident", access=GRANT.rule("revoke"),
               responses={200: s.GRANT}, errors=(401, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.agency.revoke(self.resident, id, self.client_ip()))


class IdentityCodeHandler(AgencyHandler):
    @operation("我的办事码（动态身份码，约一分钟有效，在窗口出示）", tags=TAGS, auth="resident",
               access=GRANT.rule("code"), responses={200: s.CODE}, errors=(401, 403, 429),
               description="每位居民每 10 分钟可获取的次数有上限（默认 30 次），"
                           "超出为 429 rate_limited，Retry-After 为可再获取的秒数。")
    async def get(self) -> None:
        await self.limiter.per_resident("identity_codes", self.resident.id)
        self.reply(await self.agency.identity_code(self.resident))


class FindResidentsHandler(AgencyHandler):
    @operation("帮办：按身份证号、办件编号或姓名查找居民及其给本人的有效授权", tags=STAFF_TAGS, auth="staff",
               access=GRANT.rule("desk"), query=s.FIND_QUERY, responses={200: s.RESIDENTS}, errors=(400, 401, 403),
               description="身份证号和姓名按密钥散列匹配；每次查找记入审计日志。")
    async def get(self) -> None:
        self.reply(await self.agency.find_residents(self.staff, self.query["q"], self.client_ip()))


class IdentifyHandler(AgencyHandler):
    @operation("核验居民出示的办事码", tags=STAFF_TAGS, auth="staff", access=GRANT.rule("desk"),
               body=s.IDENTIFY, responses={200: s.RESIDENT}, errors=(400, 401, 403))
    async def post(self) -> None:
        self.reply(await self.agency.identify(self.staff, self.body["identity_code"], self.client_ip()))


class GrantorLicencesHandler(AgencyHandler):
    @operation("代办人：授权人的有效电子证照（代其申报时用作材料）", tags=TAGS, auth="resident",
               responses={200: s.GRANTOR_LICENCES}, errors=(401, 403, 404),
               description="仅限有效且未过期授权的被授权人；每次查看记入审计日志。")
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.agency.grantor_licences(self.resident, id, self.client_ip()))


class StaffGrantorLicencesHandler(AgencyHandler):
    @operation("帮办员：授权人的有效电子证照（窗口代办时用作材料）", tags=STAFF_TAGS, auth="staff",
               access=GRANT.rule("licences"), responses={200: s.GRANTOR_LICENCES}, errors=(401, 403, 404),
               description="仅限授权给本人的有效授权；每次查看记入审计日志。")
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.agency.grantor_licences(self.staff, id, self.client_ip()))


default_handlers = [
    route("/api/v1/me/authorizations", MyGrantsHandler),
    route("/api/v1/me/authorizations/received", ReceivedGrantsHandler),
    route("/api/v1/me/authorizations/{id}/revoke", RevokeHandler),
    route("/api/v1/me/authorizations/received/{id}/licences", GrantorLicencesHandler),
    route("/api/v1/staff/agency/authorizations/{id}/licences", StaffGrantorLicencesHandler),
    route("/api/v1/me/identity-code", IdentityCodeHandler),
    route("/api/v1/staff/agency/residents", FindResidentsHandler),
    route("/api/v1/staff/agency/identify", IdentifyHandler),
]
