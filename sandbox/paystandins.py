"""The WeChat Pay and Alipay stand-ins of the sandbox, built from the app's configuration and clock."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from backend.config import Config
from backend.core.clock import TZ, Clock
from sandbox.paykeys import ensure_sandbox_keys, read
from sandbox.wechatpay import WeChatPayStandin

BILLS_PUBLISHED_AT = dt.time(10, 0)  # when the stand-ins publish yesterday's bills


def sandbox_standins(config: Config, clock: Clock | None = None, *, port: int | None = None) -> dict[str, Any]:
    """The WeChat Pay and Alipay stand-ins, holding the provider side of the sandbox keys. They stamp
    payments, refunds and notices with the app's ``clock`` (the real clock when none is given) and
    publish a day's bill from 10:00 on the next day by it, as the providers do, so moving the
    sandbox clock moves all of that together and the bills agree with the payments. ``port``: where
    their protocol endpoints are served (the bill download links point there; the app's port by
    default)."""
    ensure_sandbox_keys(config.data_dir)
    clock = clock or Clock()

    def bill_ready(day: dt.date) -> bool:
        return clock.now() >= dt.datetime.combine(day + dt.timedelta(days=1), BILLS_PUBLISHED_AT, TZ)
    base = Path(config.data_dir) / "sandbox"
    served_at = f"http://127.0.0.1:{port or config.server.port}/sandbox"
    w = config.wechatpay
    out: dict[str, Any] = {
        "wechatpay": WeChatPayStandin(
            str(base / "wechatpay.sqlite"), mchid=w.mchid, appid=w.appid or config.wechat.appid, apiv3_key=w.apiv3_key,
            merchant_public_pem=read(config.data_dir, "wechatpay_merchant_pub.pem"), merchant_serial=w.cert_serial_no,
            platform_private_pem=read(config.data_dir, "wechatpay_platform_key.pem"),
            platform_key_id=w.platform_public_key_id, clock=clock, retry_factor=config.payments.sandbox_retry_factor,
            base_url=f"{served_at}/wechatpay", bill_ready=bill_ready),
    }
    try:
        from sandbox.alipay import AlipayStandin
    except ImportError:  # pragma: no cover
        return out
    a = config.alipay
    out["alipay"] = AlipayStandin(
        str(base / "alipay.sqlite"), app_id=a.app_id, seller_id=a.seller_id,
        app_public_pem=read(config.data_dir, "alipay_app_pub.pem"),
        alipay_private_pem=read(config.data_dir, "alipay_platform_key.pem"), clock=clock,
        retry_factor=config.payments.sandbox_retry_factor,
        base_url=f"{served_at}/alipay", bill_ready=bill_ready)
    return out

