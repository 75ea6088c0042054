"""Delivery channels beyond the inbox: WeChat subscribe messages (wechatpy, to the stand-in in
sandbox mode) and SMS (an interface with a stand-in, off by default)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wechatpy.exceptions import WeChatClientException

from backend.core.wechat import WeChatProvider


@dataclass(frozen=True)
class SendResult:
    outcome: str          # "sent", "no_consent", "retry", "token_expired", "failed"
    reason: str = ""


class WeChatSubscribe(WeChatProvider):
    name = "wechat.subscribe"

    def _send(self, openid: str, template_id: str, data: dict[str, Any], page: str) -> SendResult:
        try:
            self._client.wxa.send_subscribe_message(openid, template_id, data, page=page)
            return SendResult("sent")
        except WeChatClientException as e:
            code = int(getattr(e, "errcode", 0) or 0)
            if code == 43101:
                return SendResult("no_consent", "43101 用户拒绝或无订阅额度")
            if code in (40001, 42001, 40014):
                self._client.session.delete(f"{self._client.appid}_access_token")
                return SendResult("token_expired", f"{code} access_token 失效")
            if code in (45009, 45011, -1):
                return SendResult("retry", f"{code} 频率限制或系统繁忙")
            if code in (47003, 40003, 47001):
                return SendResult("failed", f"{code} 参数错误")
            return SendResult("retry", f"{code} {getattr(e, 'errmsg', '')}")

    async def send(self, openid: str, template_id: str, data: dict[str, Any], page: str) -> SendResult:
        result = await self.call("send_subscribe_message", self._send, openid, template_id, data, page)
        if result.outcome == "token_expired":  # refresh once, at once
            result = await self.call("send_subscribe_message", self._send, openid, template_id, data, page)
            if result.outcome == "token_expired":
                return SendResult("retry", result.reason)
        return result
