"""WeChat face verification (人脸核身), behind a small interface shaped by what we ask of it.

The mini-program runs ``wx.startFacialRecognitionVerify`` for a name and ID number; WeChat compares
the live face with the public-security photo of that ID number and gives the mini-program a one-time
``verify_result``. ``FaceVerifier.check(verify_result)`` asks WeChat what that verification found
(``POST cityservice/face/identify/getinfo``): whether it passed, when, for which openid, and the MD5s
of the ID number and name it was made for. The rules about it (the caller's openid, the submitted
identity, once, fresh) are the service's (``assurance.py``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from wechatpy.exceptions import WeChatClientException

from backend.core import errors
from backend.core.clock import UTC
from backend.core.wechat import DatabaseSessionStorage, WeChatProvider


@dataclass(frozen=True, slots=True)
class FaceCheck:
    """What WeChat says of one face verification."""
    errcode: int                  # 0: WeChat answered about this verify_result
    identify_ret: int             # 0: the face matched the ID number's photo
    openid: str
    identified_at: dt.datetime | None
    id_card_number_md5: str       # MD5 of the ID number (a final X upper-case), hex
    name_utf8_md5: str            # MD5 of the name's UTF-8 bytes, hex

    @property
    def passed(self) -> bool:
        return self.errcode == 0 and self.identify_ret == 0


class FaceVerifier(Protocol):
    async def check(self, verify_result: str) -> FaceCheck: ...


class WeChatFaceVerifier(WeChatProvider):
    """The verifier over WeChat's HTTP API, through the product's one WeChat client and shared
    access token (wechatpy has no call for this endpoint; its generic ``post`` adds the token and
    fetches a new one when WeChat says it expired)."""
    name = "wechat.face"

    def __init__(self, appid: str, secret: str, gateway: str, timeout: float, session: DatabaseSessionStorage):
        super().__init__(appid, secret, gateway, timeout, session)
        self._base = gateway.rstrip("/") + "/"

    def _getinfo(self, verify_result: str) -> dict[str, Any]:
        try:
            result = self._client.post("cityservice/face/identify/getinfo", data={"verify_result": verify_result},
                                       api_base_url=self._base)
        except WeChatClientException as e:
            if e.errcode is None:  # no answer from WeChat at all
                raise
            return {"errcode": int(e.errcode), "errmsg": str(e.errmsg or "")}
        return result if isinstance(result, dict) else {}

    async def check(self, verify_result: str) -> FaceCheck:
        data = await self.call("face_getinfo", self._getinfo, verify_result)
        try:
            errcode = int(data.get("errcode", 0))
            ret = int(data["identify_ret"]) if errcode == 0 else -1
            at = data.get("identify_time")
            return FaceCheck(errcode=errcode, identify_ret=ret, openid=str(data.get("openid") or ""),
                             identified_at=dt.datetime.fromtimestamp(int(at), UTC) if at else None,
                             id_card_number_md5=str(data.get("id_card_number_md5") or "").lower(),
                             name_utf8_md5=str(data.get("name_utf8_md5") or "").lower())
        except (KeyError, TypeError, ValueError):
            raise errors.ProviderError(details={"provider": self.name, "reason": "bad_answer"}) from None
