"""Shapes of the published signing keys (used by the receipts' and licences' answers too)."""
from backend.core.schema import DATETIME, array, obj, string

SIGNING_KEY = obj({
    "key_id": string(description="签名密钥标识：票据与证照记录其签名所用的密钥"),
    "algorithm": string(enum=["Ed25519"]),
    "public_key_b64": string(description="Ed25519 公钥（32 字节，base64）"),
    "valid_from": DATETIME,
    "retired_at": string(format="date-time", description="停用时间：此后日期的文件不再由该密钥担保（仅已停用的密钥）"),
    "purpose": string(enum=["receipts", "licences"], description="receipts 电子票据；licences 电子证照"),
}, ["key_id", "algorithm", "public_key_b64", "valid_from"])
SIGNING_KEYS = obj({"items": array(SIGNING_KEY)}, ["items"])
# Added to a verification answer: what was signed, with which key, so anyone can check it offline.
SIGNED = {"key_id": string(description="签名所用密钥（见 GET /signing-keys）"),
          "signature_b64": string(description="Ed25519 签名（base64）"),
          "signed": string(description="被签名的原文：内容的规范 JSON（键排序、无空白、UTF-8）")}
