"""The events payments emit, each with its words (see ``backend.core.phrasing``).

Payloads carry ``service_name``, ``serial``, ``amount_fen``; a refund ``refund_fen`` and, with its
red-letter receipt, ``red_number`` and ``original_number``, or for an automatic refund of a double
or late payment ``auto`` (duplicate, closed) and ``channel``; a receipt ``number``; a closed order
may give ``reason``.
"""
from __future__ import annotations

from collections.abc import Callable

from backend.core.phrasing import PAYMENT, SMS_SIGN, Event, Page, Payload, Words, wechat_time

PAYMENT_PAGE = Page("pages/pay/order/index", "payment_id", "pages/pay/list/index")
RECEIPT_PAGE = Page("pages/receipt/detail/index", "receipt_id", "pages/receipt/list/index")
CLOSE_REASONS = {"expired": "超过缴费期限", "staff": "工作人员已撤销"}
AUTO_REFUND_CAUSES = {"duplicate": "该缴款单已通过其他方式缴清，这笔重复支付",
                      "closed": "该缴款单已关闭，这笔支付"}
CHANNEL_NAMES = {"wechat": "微信支付", "alipay": "支付宝"}


def _payment(title: str, phrase: str, text: Callable[[Payload], str],
             sms: Callable[[Payload], str]) -> Callable[[Payload], Words]:
    def words(p: Payload) -> Words:
        return Words(title=title, text=text(p), sms=SMS_SIGN + sms(p),
                     wechat={"thing1": p["service_name"], "amount2": p.amount("amount_fen"), "phrase3": phrase,
                             "character_string4": p["serial"], "time5": wechat_time(p.at)})
    return words


def _closed_reason(p: Payload) -> str:
    reason = CLOSE_REASONS.get(p.opt("reason") or "")
    return f"（{reason}）" if reason else ""


_created = _payment(
    "待缴费", "待缴费",
    lambda p: f"您申请的“{p['service_name']}”（{p.number()}）"
              f"需缴费{p.yuan('amount_fen')}，请在小程序中完成缴费。",
    lambda p: f"您申请的“{p['service_name']}”需缴费{p.yuan('amount_fen')}，请在指尖办小程序缴费。")
_paid = _payment(
    "缴费成功", "缴费成功",
    lambda p: f"您已成功缴纳“{p['service_name']}”（{p.number()}）费用{p.yuan('amount_fen')}。"
              f"电子票据开具后会另行通知。",
    lambda p: f"您已成功缴纳“{p['service_name']}”费用{p.yuan('amount_fen')}。")


def _refund_text(p: Payload) -> str:
    where = f"“{p['service_name']}”（{p.number()}）"
    cause = AUTO_REFUND_CAUSES.get(p.opt("auto") or "")
    if cause:
        via = CHANNEL_NAMES.get(p.opt("channel") or "", "")
        return (f"您为{where}支付的{p.yuan('refund_fen')}未能入账：{cause}已自动原路退回"
                f"{'到您的' + via if via else ''}，到账时间以支付渠道为准。您无需再做任何操作。")
    red = p.opt("red_number")
    receipt = (f"已开具红字票据（票据号码 {red}），冲销原电子票据 {p['original_number']} 的相应金额，"
               f"可在小程序“票据”中查看。") if red else ""
    return f"{where}的费用已退款{p.yuan('refund_fen')}，款项将原路退回，到账时间以支付渠道为准。{receipt}"


def _refund_sms(p: Payload) -> str:
    if p.opt("auto") in AUTO_REFUND_CAUSES:
        return f"您为“{p['service_name']}”重复或逾期支付的{p.yuan('refund_fen')}已自动原路退回。"
    red = p.opt("red_number")
    return f"“{p['service_name']}”的费用已退款{p.yuan('refund_fen')}，将原路退回" + \
        (f"，红字票据号码{red}。" if red else "。")


def _refunded(p: Payload) -> Words:
    auto = p.opt("auto") in AUTO_REFUND_CAUSES
    return Words(title="重复支付已自动退款" if auto else "退款通知", text=_refund_text(p),
                 sms=SMS_SIGN + _refund_sms(p),
                 wechat={"thing1": p["service_name"], "amount2": p.amount("refund_fen"),
                         "phrase3": "已退款", "character_string4": p["serial"],
                         "time5": wechat_time(p.at)})


_closed = _payment(
    "缴款单已关闭", "已关闭",
    lambda p: f"“{p['service_name']}”（{p.number()}）金额{p.yuan('amount_fen')}的缴款单已关闭"
              f"{_closed_reason(p)}。如仍需缴费，请联系窗口工作人员。",
    lambda p: f"“{p['service_name']}”金额{p.yuan('amount_fen')}的缴款单已关闭{_closed_reason(p)}。")
_receipt_issued = _payment(
    "电子票据已开具", "已开票",
    lambda p: f"“{p['service_name']}”（{p.number()}）的缴费电子票据已开具：金额{p.yuan('amount_fen')}，"
              f"票据号码 {p['number']}。可在小程序中查看和下载。",
    lambda p: f"“{p['service_name']}”的电子票据已开具，票据号码{p['number']}。")

EVENTS = (
    Event("payment.created", _created, PAYMENT, PAYMENT_PAGE),
    Event("payment.paid", _paid, PAYMENT, PAYMENT_PAGE),
    Event("payment.refunded", _refunded, PAYMENT, PAYMENT_PAGE),
    Event("payment.closed", _closed, PAYMENT, PAYMENT_PAGE),
    Event("receipt.issued", _receipt_issued, PAYMENT, RECEIPT_PAGE),
)
