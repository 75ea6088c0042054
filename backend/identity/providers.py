"""Outside parties of identity, each behind a small interface shaped by what we need from it.

- ``WeChatLogin.code_to_session(code)``: the wx.login code becomes an openid (wechatpy).
- ``RealnameVerifier.verify(name, id_number)``: does this name go with this ID number?
  Production plugs in the government's identity-verification service; the HTTP adapter below
  speaks a signed JSON protocol (HMAC-SHA256 over method, path, timestamp, nonce and body, both
  ways), and the sandbox stand-in speaks the same one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from wechatpy.exceptions import WeChatClientException

from backend.core import errors
from backend.core.providers import SignedJsonProvider
from backend.core.wechat import WeChatProvider


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    unionid: str | None = None


class WeChatLogin(Protocol):
    async def code_to_session(self, code: str) -> WeChatSession: ...


class WeChatPyLogin(WeChatProvider):
    name = "wechat"

    # code2Session errors by meaning (provider-facts.md)
    _ERRORS = {
        40029: ("登录凭证无效，请重新打开小程序登录", "wechat_code_invalid"),
        40163: ("登录凭证已被使用，请重新登录", "wechat_code_used"),
        40226: ("该微信账号存在风险，暂时无法登录", "wechat_risky_user"),
    }

    async def code_to_session(self, code: str) -> WeChatSession:
        try:
            result = await self.call("code2session", self._client.wxa.code_to_session, code)
        except errors.ProviderError as e:
            cause = e.__cause__
            if isinstance(cause, WeChatClientException) and cause.errcode is not None:
                raise self._translate(int(cause.errcode)) from None
            raise
        if not isinstance(result, dict) or not result.get("openid"):
            raise errors.ProviderError(details={"provider": self.name})
        return WeChatSession(openid=str(result["openid"]), unionid=result.get("unionid"))

    def _translate(self, errcode: int) -> errors.AppError:
        if errcode == 45011:
            return errors.RateLimited(60, "登录过于频繁，请稍后再试", details={"wechat_errcode": errcode})
        if errcode in self._ERRORS:
            message, reason = self._ERRORS[errcode]
            cls = errors.Forbidden if errcode == 40226 else errors.Unauthenticated
            return cls(message, details={"reason": reason, "wechat_errcode": errcode})
        return errors.ProviderError(details={"provider": self.name, "wechat_errcode": errcode})


@dataclass(frozen=True)
class RealnameResult:
    consistent: bool
    reason: str  # "consistent", "inconsistent", "not_found"


class RealnameVerifier(Protocol):
    async def verify(self, name: str, id_number: str) -> RealnameResult: ...


class HttpRealnameVerifier(SignedJsonProvider):
    name = "realname"
    PATH = "/v1/verify"
    BUSY = "实名核验服务繁忙，请稍后再试"

    async def verify(self, name: str, id_number: str) -> RealnameResult:
        data = await self.post("verify", {"name": name, "id_number": id_number})
        result = data.get("result") if isinstance(data, dict) else None
        if result not in ("consistent", "inconsistent", "not_found"):
            raise errors.ProviderError(details={"provider": self.name})
        return RealnameResult(consistent=result == "consistent", reason=result)

