"""HTTP for payments, e-receipts and reconciliation. Thin: parse, call the service, answer."""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.core import errors
from backend.core.api import BaseHandler, CallerHandler, Response, operation, route
from backend.core.ratelimit import RateLimiter
from payments import schemas as s
from payments import verify_page
from payments.access import PAYMENT, RECEIPT, RECONCILIATION
from payments.issuing import ReceiptService
from payments.reconcile import ReconciliationService
from payments.service import PaymentService
from payments.views import public_payment

TAGS = ("缴费与票据",)
STAFF_TAGS = ("工作人员：缴费",)
FINANCE_TAGS = ("工作人员：对账与清分",)
CALLBACK_TAGS = ("支付回调",)


class _Payments(CallerHandler):
    payments: PaymentService
    receipts: ReceiptService
    reconciliation: ReconciliationService


class MyPayments(_Payments):
    @operation("我的缴款单", tags=TAGS, auth="resident", access=PAYMENT.rule("view"),
               query=s.MY_LIST_QUERY, responses={200: s.PAYMENTS},
               errors=(400, 401),
               description="给出 application_id 时只列该办件的缴款单，包括它所在一件事的缴款单"
                           "（case_note 说明该办件如何缴费）。")
    async def get(self) -> None:
        if self.query.get("application_id"):
            self.reply({"items": await self.payments.list_for_case(self.resident, self.query["application_id"]),
                        "next_cursor": None})
            return
        items, cursor = await self.payments.list_for_resident(self.resident, self.query.get("cursor"),
                                                               self.query.get("limit", 20))
        self.reply({"items": items, "next_cursor": cursor})


class MyPayment(_Payments):
    @operation("缴款单详情（仅本人）", tags=TAGS, auth="resident", access=PAYMENT.rule("view"),
               responses={200: s.PAYMENT}, errors=(401, 404))
    async def get(self, id: str) -> None:
        self.reply(public_payment(await self.payments.for_resident(self.resident, id)))


class Pay(_Payments):
    limiter: RateLimiter

    @operation("发起支付：微信返回 wx.requestPayment 参数，支付宝返回二维码", tags=TAGS, auth="resident",
               access=PAYMENT.rule("pay"), body=s.PAY,
               responses={200: s.PAY_RESULT}, errors=(400, 401, 403, 404, 409, 502),
               description="同一缴款单同一渠道并发发起只产生一个商户订单号；已支付、已关闭或已过期的缴款单为 409。")
    async def post(self, id: str) -> None:
        await self.limiter.per_resident("pay_starts", self.resident.id)
        self.reply(await self.payments.start_pay(self.resident, id, self.body["channel"], self.body.get("mode", "qr")))


class MyReceipts(_Payments):
    @operation("我的电子票据（含红字票据）", tags=TAGS, auth="resident", access=RECEIPT.rule("view"),
               query=s.LIST_QUERY,
               responses={200: s.RECEIPTS},
               errors=(401,))
    async def get(self) -> None:
        items, cursor = await self.receipts.list_for_resident(self.resident, self.query.get("cursor"),
                                                              self.query.get("limit", 20))
        self.reply({"items": items, "next_cursor": cursor})


class MyReceipt(_Payments):
    @operation("电子票据或红字票据（仅本人）", tags=TAGS, auth="resident", access=RECEIPT.rule("view"),
               responses={200: s.RECEIPT},
               errors=(401, 404),
               description="全额退款后 status 为 voided（已被红字票据冲销）；"
                           "部分退款为 partially_refunded，见 refunded_fen。")
    async def get(self, id: str) -> None:
        self.reply(await self.receipts.for_resident(self.resident, id))


class MyReceiptPdf(_Payments):
    @operation("下载票据 PDF（仅本人，交款人为全名）", tags=TAGS, auth="resident", access=RECEIPT.rule("download"),
               responses={200: Response(content_type="application/pdf", description="票据 PDF")}, errors=(401, 404))
    async def get(self, id: str) -> None:
        name, data = await self.receipts.pdf(self.resident, id)
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.finish(data)


class VerifyReceipt(_Payments):
    @operation("查验电子票据真伪（公开，按客户端地址限频）", tags=TAGS, query=s.VERIFY_QUERY, responses={200: s.VERIFY},
               errors=(400, 404, 429),
               description="全额退款的票据答 valid:false、status:voided；部分退款的答 refunded_fen。交款人始终脱敏。")
    async def get(self) -> None:
        q = self.query
        self.reply(await self.receipts.verify(q["code"], q["number"], q["check"], self.client_ip()))


class ReceiptPublicKey(_Payments):
    @operation("电子票据验签公钥（公开，离线验证用）", tags=TAGS, responses={200: s.PUBLIC_KEY})
    async def get(self) -> None:
        self.reply(self.receipts.public_key())


_HTML = "text/html; charset=UTF-8"


class VerifyPage(_Payments):
    """The page the receipt's QR code opens: the same check as ``/api/v1/receipts/verify``, as HTML."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", _HTML)
        self.set_header("Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")

    @operation("票据查验页面（二维码打开，公开，按客户端地址限频）", tags=TAGS, query=s.VERIFY_QUERY,
               responses={code: Response(content_type="text/html", description=text) for code, text in (
                   (200, "查验结果"), (400, "查验信息不完整"), (404, "未查到该票据"), (429, "查验过于频繁"),
                   (500, "暂时无法查验"), (503, "暂时无法查验"))})
    async def get(self) -> None:
        q = self.query
        result = await self.receipts.verify(q["code"], q["number"], q["check"], self.client_ip())
        self.finish(verify_page.render_result(result))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        err = self._as_app_error(kwargs.get("exc_info", (None, None, None))[1], status_code)
        self.set_status(err.http_status)
        for k, v in err.headers.items():
            self.set_header(k, v)
        self.set_header("Content-Type", _HTML)
        self.finish(verify_page.render_problem(err.http_status, err.message))


# -- staff ------------------------------------------------------------------------------------------------

class StaffPayments(_Payments):
    @operation("为办件开具缴款单（缴款人为办件申请人）", tags=STAFF_TAGS, auth="staff", access=PAYMENT.rule("raise"),
               body=s.CREATE, responses={201: s.PAYMENT}, errors=(400, 401, 403, 404, 409),
               description="办件由 application_id 或办件编号 serial 指定（二选一）。"
                           "每个收费项目按编码识别（办事指南的收费项目，或按名称查收款单位的项目表）并带上收款单位；"
                           "同一办件的同一收费项目已有待支付、已支付或退款中的缴款单（无论按办件、按一件事还是在窗口开具）时"
                           "为 409 duplicate_order，details 指明该缴款单（payment_id、out_trade_no、raised_via）；"
                           "收费项目没有收款单位时为 409 payee_unit_missing。")
    async def post(self) -> None:
        self.reply(await self.payments.create_order(self.staff, self.body.get("application_id"), self.body["items"],
                                                    self.client_ip(), serial=self.body.get("serial")), 201)

    @operation("缴款单列表", tags=STAFF_TAGS, auth="staff", access=PAYMENT.rule("list"), query=s.STAFF_LIST_QUERY,
               responses={200: s.STAFF_PAYMENTS}, errors=(400, 401, 403))
    async def get(self) -> None:
        items, cursor = await self.payments.list_for_staff(self.staff, self.query, self.client_ip())
        self.reply({"items": items, "next_cursor": cursor})


class StaffPaymentCounts(_Payments):
    @operation("待办数：待缴费和退款中的缴款单数与最早开具时间", tags=STAFF_TAGS, auth="staff",
               access=PAYMENT.rule("list"), responses={200: s.COUNTS}, errors=(401, 403))
    async def get(self) -> None:
        self.reply(await self.payments.waiting())


class StaffPayment(_Payments):
    @operation("缴款单详情（含支付尝试与退款）", tags=STAFF_TAGS, auth="staff", access=PAYMENT.rule("inspect"),
               responses={200: s.STAFF_PAYMENT}, errors=(401, 403, 404))
    async def get(self, id: str) -> None:
        self.reply(await self.payments.staff_view(self.staff, id))


class StaffClose(_Payments):
    @operation("关闭未支付的缴款单（先在支付渠道关单）", tags=STAFF_TAGS, auth="staff",
               access=PAYMENT.rule("close"), body=s.CLOSE,
               responses={200: s.PAYMENT}, errors=(400, 401, 403, 404, 409))
    async def post(self, id: str) -> None:
        self.reply(await self.payments.close_by_staff(self.staff, id, self.body.get("reason", ""),
                                                      self.client_ip()))


class StaffRefund(_Payments):
    @operation("退款（全额或部分；同一 request_id 只退一次；成功后开具红字票据）", tags=STAFF_TAGS, auth="staff",
               access=PAYMENT.rule("refund"), body=s.REFUND, responses={201: s.REFUND_VIEW, 200: s.REFUND_VIEW},
               errors=(400, 401, 403, 404, 409))
    async def post(self, id: str) -> None:
        b = self.body
        refund, created = await self.payments.refund(self.staff, id, b["amount_fen"], b["reason"],
                                                     b["request_id"], self.client_ip())
        self.reply(refund, 201 if created else 200)


class StaffReceipts(_Payments):
    @operation("按票据号码查找票据（含红字票据）", tags=STAFF_TAGS, auth="staff", access=RECEIPT.rule("find"),
               query=s.RECEIPT_QUERY, responses={200: s.RECEIPTS}, errors=(400, 401, 403))
    async def get(self) -> None:
        self.reply({"items": await self.receipts.find(self.query.get("code"), self.query["number"]),
                    "next_cursor": None})


class StaffRedReceipts(_Payments):
    @operation("红字票据列表（新的在前）", tags=FINANCE_TAGS, auth="staff", access=RECEIPT.rule("list_red"),
               query=s.LIST_QUERY, responses={200: s.RED_RECEIPTS}, errors=(400, 401, 403))
    async def get(self) -> None:
        items, cursor = await self.receipts.red_receipts(self.query.get("cursor"), self.query.get("limit", 20))
        self.reply({"items": items, "next_cursor": cursor})


class StaffReconciliation(_Payments):
    @operation("对账：下载渠道日账单并与本地记录（收款与退款）核对", tags=FINANCE_TAGS, auth="staff",
               access=RECONCILIATION.rule("reconcile"), body=s.RECONCILE, responses={200: s.REPORT},
               errors=(400, 401, 403, 409, 502),
               description="尚未结束的日期（今天及以后）为 409 day_not_over；渠道账单尚未生成为 409 bill_not_ready。")
    async def post(self) -> None:
        day = _date(self.body["date"])
        self.reply(await self.reconciliation.reconcile(day, self.body["channel"], self.staff, self.client_ip()))

    @operation("查看对账报告", tags=FINANCE_TAGS, auth="staff", access=RECONCILIATION.rule("read"),
               query=s.RECONCILE_QUERY,
               responses={200: s.REPORT}, errors=(400, 401, 403, 404))
    async def get(self) -> None:
        self.reply(await self.reconciliation.report(_date(self.query["date"]), self.query["channel"]))


class StaffReconciliationReports(_Payments):
    @operation("最近的对账报告（含自动对账的状态）", tags=FINANCE_TAGS, auth="staff",
               access=RECONCILIATION.rule("read"),
               query=s.REPORTS_QUERY, responses={200: s.REPORTS}, errors=(400, 401, 403))
    async def get(self) -> None:
        self.reply({"items": await self.reconciliation.reports(self.query.get("days", 14))})


class StaffReconciliationAlerts(_Payments):
    @operation("对账告警：不平且尚未处理的报告", tags=FINANCE_TAGS, auth="staff",
               access=RECONCILIATION.rule("read"),
               responses={200: s.REPORTS}, errors=(401, 403))
    async def get(self) -> None:
        self.reply({"items": await self.reconciliation.alerts()})


class StaffReconciliationAck(_Payments):
    @operation("处理对账告警（记录说明，告警消除）", tags=FINANCE_TAGS, auth="staff",
               access=RECONCILIATION.rule("acknowledge"), body=s.ACK,
               responses={200: s.REPORT}, errors=(400, 401, 403, 404, 409))
    async def post(self, id: str) -> None:
        self.reply(await self.reconciliation.acknowledge(self.staff, id, self.body["note"], self.client_ip()))


class StaffClearing(_Payments):
    @operation("清分：某日各收款单位的收款、退款与应划拨金额", tags=FINANCE_TAGS, auth="staff",
               access=RECONCILIATION.rule("clearing"), query=s.DAY_QUERY, responses={200: s.CLEARING},
               errors=(400, 401, 403))
    async def get(self) -> None:
        self.reply(await self.reconciliation.clearing(_date(self.query["date"])))


class StaffPayeeUnits(_Payments):
    @operation("收款单位与非税收入项目编码", tags=FINANCE_TAGS, auth="staff",
               access=RECONCILIATION.rule("payee_units"), responses={200: s.PAYEE_UNITS}, errors=(401, 403))
    async def get(self) -> None:
        self.reply({"items": await self.payments.payees.listing()})


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise errors.InvalidInput({"date": "日期格式应为 YYYY-MM-DD"}) from None


# -- provider callbacks ---------------------------------------------------------------------------------

class _Callback(BaseHandler):
    """Called by the providers; the answer is in each provider's own terms (from its adapter)."""
    payments: PaymentService
    channel = ""
    kind = "payment"

    def check_xsrf_cookie(self) -> None:  # pragma: no cover - xsrf is off; explicit for callbacks
        return None

    async def _receive(self) -> None:
        answer = await self.payments.receive_notice(self.channel, self.kind, self.request.headers, self.request.body)
        if answer is None:
            raise errors.NotFound()
        self.set_status(answer.status)
        if answer.content_type:
            self.set_header("Content-Type", answer.content_type)
        self.finish(answer.body or None)


class WeChatNotify(_Callback):
    channel = "wechat"

    @operation("微信支付结果通知（由微信支付调用）", tags=CALLBACK_TAGS, raw_body=True,
               responses={204: Response(description="已接收（含重复通知）"),
                          400: Response(schema={"type": "object"}, description='验签/解密/核对失败：{"code":"FAIL"}'),
                          500: Response(schema={"type": "object"}, description="暂时无法处理，微信支付将重试")})
    async def post(self) -> None:
        await self._receive()


class WeChatRefundNotify(WeChatNotify):
    kind = "refund"


class AlipayNotify(_Callback):
    channel = "alipay"

    @operation("支付宝异步通知（由支付宝调用）", tags=CALLBACK_TAGS, raw_body=True,
               responses={200: Response(content_type="text/plain", description="success 或 fail")})
    async def post(self) -> None:
        await self._receive()


default_handlers = [
    route("/api/v1/payments", MyPayments),
    route("/api/v1/payments/{id}", MyPayment),
    route("/api/v1/payments/{id}/pay", Pay),
    route("/api/v1/receipts", MyReceipts),
    route("/api/v1/receipts/verify", VerifyReceipt),
    route("/api/v1/receipts/public-key", ReceiptPublicKey),
    route("/api/v1/receipts/{id}", MyReceipt),
    route("/api/v1/receipts/{id}/pdf", MyReceiptPdf),
    route("/verify/receipt", VerifyPage),
    route("/api/v1/staff/payments", StaffPayments),
    route("/api/v1/staff/payments/counts", StaffPaymentCounts),  # before {id}
    route("/api/v1/staff/payments/{id}", StaffPayment),
    route("/api/v1/staff/payments/{id}/close", StaffClose),
    route("/api/v1/staff/payments/{id}/refunds", StaffRefund),
    route("/api/v1/staff/receipts", StaffReceipts),
    route("/api/v1/staff/red-receipts", StaffRedReceipts),
    route("/api/v1/staff/reconciliation", StaffReconciliation),
    route("/api/v1/staff/reconciliation/reports", StaffReconciliationReports),
    route("/api/v1/staff/reconciliation/alerts", StaffReconciliationAlerts),
    route("/api/v1/staff/reconciliation/{id}/acknowledge", StaffReconciliationAck),
    route("/api/v1/staff/clearing", StaffClearing),
    route("/api/v1/staff/payee-units", StaffPayeeUnits),
    route("/api/v1/pay/notify/wechat", WeChatNotify),
    route("/api/v1/pay/notify/wechat/refund", WeChatRefundNotify),
    route("/api/v1/pay/notify/alipay", AlipayNotify),
]
