"""The events of identity, each with its words (see ``backend.core.phrasing``).

Payloads: reclaimed (to the account that now holds the identity) ``id_number_masked``; released (to
the account that lost it) ``id_number_masked``. Both open the resident's own page.
"""
from __future__ import annotations

from backend.core.phrasing import SMS_SIGN, Event, Page, Payload, Words

ME = Page.list_only("pages/me/index/index")


def _reclaimed(p: Payload) -> Words:
    return Words(
        title="实名身份已找回",
        text=f"您已在政务服务大厅窗口核验本人身份，身份证号{p['id_number_masked']}已绑定到您的账号，"
             f"原先绑定该身份证号的账号已解除绑定并退出登录。",
        sms=f"{SMS_SIGN}您已在窗口找回实名身份（身份证号{p['id_number_masked']}），可在指尖办小程序中正常办事。")


def _released(p: Payload) -> Words:
    return Words(
        title="实名认证已解除",
        text=f"身份证号{p['id_number_masked']}的持有人已在政务服务大厅窗口核验本人身份并找回实名身份，"
             f"您账号的实名认证已解除，所有登录已退出。如有疑问，请拨打 12345 反映。",
        sms=f"{SMS_SIGN}您账号绑定的身份证号{p['id_number_masked']}已由持有人本人在窗口找回，实名认证已解除。")


EVENTS = (
    Event("identity.realname_reclaimed", _reclaimed, None, ME),
    Event("identity.realname_released", _released, None, ME),
)
