"""The one way we build a wechatpy client: the real SDK with only its gateway address changed.

In sandbox mode the gateway is the WeChat stand-in mounted on this server; in production it is
``https://api.weixin.qq.com``. Nothing else differs.
"""
from __future__ import annotations

from wechatpy import WeChatClient


def wechat_client(appid: str, secret: str, gateway: str, *, timeout: float = 5.0) -> WeChatClient:
    base = gateway.rstrip("/") + "/"

    class GatewayWeChatClient(WeChatClient):
        API_BASE_URL = base + "cgi-bin/"

        def fetch_access_token(self) -> dict:
            return self._fetch_access_token(
                url=base + "cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )

    client = GatewayWeChatClient(appid, secret, timeout=timeout)
    # wechatpy builds one API object per client; point the mini-program API at the same gateway.
    client.wxa.API_BASE_URL = base
    return client
