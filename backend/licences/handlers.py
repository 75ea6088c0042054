"""HTTP for e-licences. Thin: the rules are in ``service.py``."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from backend.core import public_page
from backend.core.api import CallerHandler, Response, operation, route
from backend.licences import schemas as s
from backend.licences import verify_page
from backend.licences.access import LICENCE
from backend.licences.service import LicenceService

TAGS = ("电子证照",)


class _Licences(CallerHandler):
    licences: LicenceService


class MyLicencesHandler(_Licences):
    @operation("我的电子证照（含状态）", tags=TAGS, auth="resident", access=LICENCE.rule("list"),
               query=s.LIST_QUERY, responses={200: s.LICENCES}, errors=(400, 401))
    async def get(self) -> None:
        self.reply(await self.licences.list_own(self.resident, cursor=self.query.get("cursor"),
                                                limit=self.query.get("limit", 50)))


class RefreshHandler(_Licences):
    @operation("从电子证照库调取本人证照（须实名认证并在近期完成本人人脸核身；每次调取均留痕）", tags=TAGS,
               auth="resident",
               access=LICENCE.rule("refresh"), body=s.REFRESH,
               responses={200: s.LICENCES}, errors=(400, 401, 403, 429, 502),
               description="须在若干分钟内通过 POST /me/face-verifications 完成本人人脸核身，否则 403 "
                           "face_verification_required；按本人实名认证的身份证号调取，记录调取人、时间和用途"
                           "（GET /me/licences/fetches 可查）。")
    async def post(self) -> None:
        self.reply(await self.licences.refresh(self.resident, purpose=self.body["purpose"],
                                               service_id=self.body.get("service_id"), request_id=self.request_id))


class FetchesHandler(_Licences):
    @operation("本人证照调取记录（谁、何时、为何调取）", tags=TAGS, auth="resident", access=LICENCE.rule("list"),
               responses={200: s.FETCHES},
               errors=(401,))
    async def get(self) -> None:
        self.reply(await self.licences.fetches(self.resident))


class MyLicenceHandler(_Licences):
    @operation("电子证照详情与查验二维码（仅本人）", tags=TAGS, auth="resident", access=LICENCE.rule("view"),
               responses={200: s.LICENCE},
               errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(self.licences.detail(await self.licences.get_own(self.resident, id)))


class MyLicencePdfHandler(_Licences):
    @operation("电子证照 PDF（含查验二维码，仅本人）", tags=TAGS, auth="resident", access=LICENCE.rule("view"),
               responses={200: Response(content_type="application/pdf", description="证照 PDF")}, errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        lic = await self.licences.get_own(self.resident, id)
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition",
                        "inline; filename*=UTF-8''" + quote(f"{lic.content['name']}-{lic.number}.pdf"))
        self.finish(await self.licences.pdf(lic))


class VerifyHandler(_Licences):
    @operation("电子证照公开查验（证照编号 + 校验码）", tags=TAGS, query=s.VERIFY_QUERY, responses={200: s.VERIFIED},
               errors=(400, 404, 429),
               description="已撤销或已过期的证照如实答复 valid=false 及其状态；内容被篡改的答复 status=invalid；"
                           "编号或校验码不符为 404。按客户端地址限流。")
    async def get(self) -> None:
        self.reply(await self.licences.verify(self.query["number"], self.query["check"], self.client_ip()))


class VerifyPageHandler(_Licences):
    """The page a licence's QR code opens: the same check as ``/api/v1/licences/verify``, as HTML."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", public_page.CONTENT_TYPE)
        self.set_header("Content-Security-Policy", public_page.CSP)

    @operation("电子证照查验页面（二维码打开，公开，按客户端地址限频）", tags=TAGS, query=s.VERIFY_QUERY,
               responses={code: Response(content_type="text/html", description=text) for code, text in (
                   (200, "查验结果"), (400, "查验信息不完整"), (404, "未查到该证照"), (429, "查验过于频繁"),
                   (500, "暂时无法查验"), (503, "暂时无法查验"))},
               description="与 GET /api/v1/licences/verify 同一查验、同一限频；持证人姓名打码，不显示证件号码。")
    async def get(self) -> None:
        q = self.query
        self.finish(verify_page.render_result(await self.licences.verify(q["number"], q["check"], self.client_ip())))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        err = self._as_app_error(kwargs.get("exc_info", (None, None, None))[1], status_code)
        self.set_status(err.http_status)
        for k, v in err.headers.items():
            self.set_header(k, v)
        self.set_header("Content-Type", public_page.CONTENT_TYPE)
        self.finish(verify_page.render_problem(err.http_status, err.message))


class PublicKeyHandler(_Licences):
    @operation("电子证照签名公钥（Ed25519）", tags=TAGS, responses={200: s.PUBLIC_KEY})
    async def get(self) -> None:
        self.reply(self.licences.public_key())


class StaffLicencesHandler(_Licences):
    @operation("本中心颁发的电子证照（持证人脱敏；按状态筛选，按证照编号或办件编号查找）", tags=TAGS, auth="staff",
               access=LICENCE.rule("registry"), query=s.REGISTRY_QUERY, responses={200: s.LICENCES},
               errors=(400, 401, 403), description="受理、审批、监察人员；电子证照库调取的证照不在其列。")
    async def get(self) -> None:
        q = self.query
        self.reply(await self.licences.registry(self.staff, status=q.get("status"), q=q.get("q"),
                                                cursor=q.get("cursor"), limit=q.get("limit", 50)))


class StaffLicenceHandler(_Licences):
    # Any member of staff may ask; the service answers 404 to those who do not handle cases
    # (LICENCE "inspect"), so the edge checks no role here.
    @operation("办件所用电子证照（受理、审批人员；记入审计日志）", tags=TAGS, auth="staff", responses={200: s.LICENCE},
               errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(self.licences.view(await self.licences.get_for_staff(self.staff, id, self.client_ip())))


class StaffCaseLicenceHandler(_Licences):
    @operation("办件颁发的电子证照（受理、审批、监察人员）", tags=TAGS, auth="staff", access=LICENCE.rule("issued"),
               responses={200: s.LICENCE}, errors=(401, 403, 404),
               description="办件办结时按事项指南颁发的电子证照；未颁发时为 404。")
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.licences.issued_for_case(self.staff, id))


class StaffRevokeHandler(_Licences):
    @operation("撤销本中心颁发的电子证照（审批人员；记入审计日志）", tags=TAGS, auth="staff",
               access=LICENCE.rule("revoke"), body=s.REVOKE, responses={200: s.LICENCE},
               errors=(400, 401, 403, 404, 409))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.licences.revoke(self.staff, id, self.body["reason"], self.client_ip()))


default_handlers = [
    route("/api/v1/me/licences", MyLicencesHandler),
    route("/api/v1/me/licences/refresh", RefreshHandler),
    route("/api/v1/me/licences/fetches", FetchesHandler),
    route("/api/v1/me/licences/{id}", MyLicenceHandler),
    route("/api/v1/me/licences/{id}/pdf", MyLicencePdfHandler),
    route("/api/v1/licences/verify", VerifyHandler),
    route("/api/v1/licences/public-key", PublicKeyHandler),
    route("/api/v1/staff/licences", StaffLicencesHandler),
    route("/verify/licence", VerifyPageHandler),
    route("/api/v1/staff/licences/{id}", StaffLicenceHandler),
    route("/api/v1/staff/licences/{id}/revoke", StaffRevokeHandler),
    route("/api/v1/staff/applications/{id}/licence", StaffCaseLicenceHandler),
]
