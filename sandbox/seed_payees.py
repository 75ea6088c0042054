"""Sandbox demo payee units (收款单位) for clearing (清分), by the demo departments' codes.

Each unit lists the non-tax revenue items it collects with their item codes (非税收入项目编码);
an item not listed is cleared under the unit's default code. Every demo fee (the guides' fee items,
sandbox/seed_catalogue.py ``FEE_ITEMS``) names one of these units by its 执收单位编码. The codes
are made up in the shape of real ones. Seeded once: what is changed afterwards is never overwritten on restart.
"""
from __future__ import annotations

from typing import Any


def _unit(code: str, name: str, unit_code: str, account: str, items: list[tuple[str, str]],
          default_item_code: str) -> dict[str, Any]:
    return {"_id": code, "department_code": code, "name": name, "unit_code": unit_code, "account": account,
            "items": [{"code": c, "name": n} for c, n in items], "default_item_code": default_item_code}


PAYEE_UNITS = [
    _unit("PSB-HJ", "示例市公安局", "110101001", "示例市财政局非税收入汇缴结算户（公安）",
          [("103041105001", "居民身份证工本费"), ("103041105001", "工本费")], "103049901001"),
    _unit("PSB-CRJ", "示例市公安局出入境管理支队", "110101002", "示例市财政局非税收入汇缴结算户（出入境）",
          [("103041101001", "护照工本费"), ("103041102001", "往来港澳通行证工本费"), ("103041102002", "签注费")],
          "103049901002"),
    _unit("REAL", "示例市不动产登记中心", "110101005", "示例市财政局非税收入汇缴结算户（不动产）",
          [("103044606001", "不动产登记费"), ("103044606002", "住宅登记费"), ("103044606003", "工本费"),
           ("103044606003", "证书工本费")], "103049901005"),
    _unit("SAMR", "示例市市场监督管理局", "110101006", "示例市财政局非税收入汇缴结算户（市场监管）",
          [("103041301001", "营业执照工本费")], "103049901006"),
    _unit("YB", "示例市医疗保障局", "110101007", "示例市财政局非税收入汇缴结算户（医保）",
          [("103050101001", "城乡居民基本医疗保险个人缴费"), ("103050101001", "城乡居民医保个人缴费"),
           ("103050101001", "医保个人缴费")], "103049901007"),
]
