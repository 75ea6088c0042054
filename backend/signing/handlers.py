"""``GET /api/v1/signing-keys``: every public key our receipts and licences were signed with."""
from __future__ import annotations

from typing import Any

from backend.core.api import ApiHandler, operation, route
from backend.signing import schemas as s

TAGS = ("签名密钥",)


class SigningKeysHandler(ApiHandler):
    keys: Any

    @operation("电子票据与电子证照的签名公钥（公开，含已停用的密钥及其有效期）", tags=TAGS,
               responses={200: s.SIGNING_KEYS},
               description="每张票据、每份证照记录签名所用的 key_id；用同一 key_id 的公钥验证其签名。"
                           "已停用的密钥只担保停用时间之前开具的文件。")
    async def get(self) -> None:
        self.reply({"items": self.keys.items()})


default_handlers = [route("/api/v1/signing-keys", SigningKeysHandler)]
