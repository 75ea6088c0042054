"""Kinds of e-licence (电子证照) this system knows: who issues each, and the number prefix of the
ones this centre issues itself. A guide material names one as ``licence_type``; a guide's
``issues_licence`` names the one its service issues."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LicenceType:
    code: str
    name: str
    issuer: str       # the usual issuing authority (for licences from the e-licence library)
    prefix: str       # number prefix of the licences this centre issues


TYPES = {t.code: t for t in (
    LicenceType("id_card", "居民身份证", "市公安局", "SFZ"),
    LicenceType("hukou", "居民户口簿", "市公安局", "HKB"),
    LicenceType("marriage", "结婚证", "市民政局", "JHZ"),
    LicenceType("birth_cert", "出生医学证明", "市卫生健康委员会", "CSZ"),
    LicenceType("property", "不动产权证书", "市不动产登记中心", "BDC"),
    LicenceType("business_licence", "营业执照", "市市场监督管理局", "YYZZ"),
    LicenceType("social_security_card", "社会保障卡", "市人力资源和社会保障局", "SBK"),
)}
CODES = sorted(TYPES)


def type_name(code: str) -> str:
    t = TYPES.get(code)
    return t.name if t else code
