"""HTTP for a resident's own data. Thin: parse, call the service, answer."""
from __future__ import annotations

from urllib.parse import quote

from backend.core.api import CallerHandler, Response, operation, route
from backend.mydata import schemas as s
from backend.mydata.access import MY_DATA
from backend.mydata.service import ResidentData

TAGS = ("我的数据",)


class _MyData(CallerHandler):
    my_data: ResidentData

    def _attachment(self, content_type: str, ext: str) -> None:
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", "attachment; filename*=UTF-8''" + quote(self.my_data.filename(ext)))
        self.set_header("Cache-Control", "no-store")


class MyDataHandler(_MyData):
    @operation("我的数据：本中心保存的与我有关的全部信息（可保存为 JSON 文件）", tags=TAGS, auth="resident",
               access=MY_DATA.rule("export"), responses={200: s.DATA}, errors=(401,),
               description="账号与实名信息（打码）、登录、预约与候补、办件、一件事、缴费与电子票据、12345 诉求、"
                           "代办授权、电子证照、站内消息、上传的材料；每一类注明注销后保留还是删除。每次导出都留痕。")
    async def get(self) -> None:
        document = await self.my_data.export(self.resident, self.client_ip())
        self.set_header("Content-Disposition", "attachment; filename*=UTF-8''" + quote(self.my_data.filename("json")))
        self.set_header("Cache-Control", "no-store")
        self.reply(document)


class MyDataArchiveHandler(_MyData):
    @operation("我的数据压缩包：同上的 JSON 与我上传的材料原件（ZIP）", tags=TAGS, auth="resident",
               access=MY_DATA.rule("export"),
               responses={200: Response(content_type="application/zip", description="我的数据-YYYYMMDD.zip")},
               errors=(401,))
    async def get(self) -> None:
        self._attachment("application/zip", "zip")

        async def send(chunk: bytes) -> None:
            if chunk:
                self.write(chunk)
                await self.flush()
        await self.my_data.archive(self.resident, self.client_ip(), send)
        self.finish()


class CancelHandler(_MyData):
    @operation("注销账号前的检查：现在能否注销，不能的原因", tags=TAGS, auth="resident", access=MY_DATA.rule("cancel"),
               responses={200: s.CANCEL_CHECK}, errors=(401,))
    async def get(self) -> None:
        self.reply(await self.my_data.check_cancel(self.resident))

    @operation("注销账号", tags=TAGS, auth="resident", access=MY_DATA.rule("cancel"), body=s.CANCEL,
               responses={200: s.CANCELLED}, errors=(400, 401, 409),
               description="依法须保存的办件、缴费记录、电子票据、证照与审计记录保留，但不再关联微信身份；"
                           "站内消息、订阅授权、候补、未提交的材料删除，未到的预约取消并释放名额，代办授权撤销。"
                           "所有登录立即失效；之后用同一微信登录将是一个新账号。有正在支付的缴费或未完成的退款时"
                           "不能注销（409 cancellation_blocked，details.reasons 列出原因）。")
    async def post(self) -> None:
        self.reply(await self.my_data.cancel(self.resident, self.body["confirm"], self.client_ip()))


default_handlers = [
    route("/api/v1/me/data", MyDataHandler),
    route("/api/v1/me/data/archive", MyDataArchiveHandler),
    route("/api/v1/me/cancel", CancelHandler),
]
