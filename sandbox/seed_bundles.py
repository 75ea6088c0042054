"""Sandbox demo life events (一件事): three real bundles with their merged forms.

Each field is asked once and lists the services it feeds; a material one of the event's own
services produces is shared, not asked. Seeded once by id: what hall managers change afterwards
(PUT /api/v1/staff/life-events/{id}) is never overwritten on restart.
"""
from __future__ import annotations

from typing import Any


def _f(key: str, label: str, type_: str = "string", *, required: bool = True, **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "type": type_, "required": required, **extra}


LIFE_EVENTS: list[dict[str, Any]] = [
    {
        "_id": "birth", "name": "新生儿出生一件事", "order": 1,
        "summary": "宝宝出生后，出生医学证明、户口登记、医保参保、社保卡申领一次申请，材料只交一次，"
                   "出生医学证明办好后直接共享给其余事项。",
        "services": [
            ("WJ-CSZM", ["baby_name", "baby_gender", "birth_date", "birth_hospital", "birth_weight_g", "mother_name",
                         "mother_id_number", "father_name", "father_id_number", "contact_phone"]),
            ("HJ-XSE", ["baby_name", "baby_gender", "birth_date", "birth_hospital", "mother_name", "mother_id_number",
                        "father_name", "father_id_number", "hukou_follow", "hukou_address", "contact_phone"]),
            ("YB-XSE", ["baby_name", "baby_gender", "birth_date", "mother_id_number", "contact_phone"]),
            ("SB-XSESBK", ["baby_name", "baby_gender", "birth_date", "card_delivery", "mailing_address",
                           "contact_phone"]),
        ],
        "form": [
            _f("baby_name", "新生儿姓名", max_length=20),
            _f("baby_gender", "新生儿性别", "choice", options=["男", "女"]),
            _f("birth_date", "出生日期", "date"),
            _f("birth_hospital", "出生医疗机构", max_length=60, hint="如：市第一医院"),
            _f("birth_weight_g", "出生体重（克）", "integer", minimum=300, maximum=8000),
            _f("mother_name", "母亲姓名", max_length=20),
            _f("mother_id_number", "母亲身份证号", "id_number"),
            _f("father_name", "父亲姓名", max_length=20),
            _f("father_id_number", "父亲身份证号", "id_number"),
            _f("hukou_follow", "随父或随母落户", "choice", options=["随父落户", "随母落户"]),
            _f("hukou_address", "落户地址", max_length=100, hint="父亲或母亲户口所在地址"),
            _f("card_delivery", "社保卡领取方式", "choice", options=["邮寄到家", "到社保网点领取"]),
            _f("mailing_address", "邮寄地址", required=False, max_length=100, hint="选择邮寄到家时填写"),
            _f("contact_phone", "联系电话", "phone"),
        ],
        "shared": [("birth_cert", "WJ-CSZM")],
    },
    {
        "_id": "housing", "name": "二手房交易一件事", "order": 2,
        "summary": "存量房买卖的税费申报、不动产转移登记和水电气过户一次申请：一张表、一套材料、一个窗口，"
                   "税费完税结果直接共享给不动产登记。",
        "services": [
            ("SW-CLF", ["property_cert_no", "property_address", "floor_area", "deal_price_yuan", "contract_no",
                        "seller_name", "seller_id_number", "buyer_name", "buyer_id_number", "buyer_first_home",
                        "contact_phone"]),
            ("BDC-ZY", ["property_cert_no", "property_address", "floor_area", "deal_price_yuan", "contract_no",
                        "seller_name", "seller_id_number", "buyer_name", "buyer_id_number", "buyer_share",
                        "contact_phone"]),
            ("UT-GH", ["property_address", "buyer_name", "buyer_id_number", "water_account", "power_account",
                       "gas_account", "contact_phone"]),
        ],
        "form": [
            _f("property_cert_no", "不动产权证书号", max_length=40, hint="如：黑（2020）齐齐哈尔市不动产权第0012345号"),
            _f("property_address", "房屋坐落", max_length=100),
            _f("floor_area", "建筑面积（平方米）", max_length=12, hint="以不动产权证书记载为准"),
            _f("deal_price_yuan", "成交价格（元）", "integer", minimum=1, maximum=1_000_000_000),
            _f("contract_no", "存量房买卖合同网签备案号", max_length=40),
            _f("seller_name", "卖方姓名", max_length=20),
            _f("seller_id_number", "卖方身份证号", "id_number"),
            _f("buyer_name", "买方姓名", max_length=20),
            _f("buyer_id_number", "买方身份证号", "id_number"),
            _f("buyer_first_home", "买方家庭是否首套住房", "choice", options=["是", "否"]),
            _f("buyer_share", "共有方式", "choice", options=["单独所有", "共同共有", "按份共有"]),
            _f("water_account", "水费户号", required=False, max_length=30),
            _f("power_account", "电费户号", required=False, max_length=30),
            _f("gas_account", "燃气户号", required=False, max_length=30),
            _f("contact_phone", "联系电话", "phone"),
        ],
        "shared": [("tax", "SW-CLF")],
    },
    {
        "_id": "business", "name": "企业开办一件事", "order": 3,
        "summary": "企业设立登记、印章刻制、新办纳税人套餐、单位参保登记、公积金缴存登记一次申请，"
                   "营业执照办好后直接共享，其余事项无需再交。",
        "services": [
            ("SC-QY", ["company_name", "company_type", "registered_capital_wan", "business_scope", "company_address",
                       "legal_rep_name", "legal_rep_id_number", "contact_phone"]),
            ("GA-YZ", ["company_name", "legal_rep_name", "legal_rep_id_number", "seal_count", "contact_phone"]),
            ("SW-XBNS", ["company_name", "business_scope", "company_address", "legal_rep_name", "legal_rep_id_number",
                         "invoice_needed", "contact_phone"]),
            ("SB-DWCB", ["company_name", "company_address", "legal_rep_name", "legal_rep_id_number", "staff_count",
                         "contact_phone"]),
            ("GJJ-DWJC", ["company_name", "company_address", "legal_rep_name", "legal_rep_id_number", "staff_count",
                          "contact_phone"]),
        ],
        "form": [
            _f("company_name", "企业名称", max_length=60,
               hint="行政区划＋字号＋行业＋组织形式，如：齐齐哈尔市鹤城餐饮有限公司"),
            _f("company_type", "企业类型", "choice",
               options=["有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）"]),
            _f("registered_capital_wan", "注册资本（万元）", "integer", minimum=1, maximum=1_000_000),
            _f("business_scope", "经营范围", "text", max_length=500),
            _f("company_address", "住所", max_length=100),
            _f("legal_rep_name", "法定代表人姓名", max_length=20),
            _f("legal_rep_id_number", "法定代表人身份证号", "id_number"),
            _f("seal_count", "刻制印章（枚）", "integer", minimum=1, maximum=5, hint="公章、财务章、发票专用章等"),
            _f("invoice_needed", "是否申领发票", "choice", options=["是", "否"]),
            _f("staff_count", "参保职工人数", "integer", minimum=0, maximum=100000),
            _f("contact_phone", "联系电话", "phone"),
        ],
        "shared": [("license", "SC-QY")],
    },
]


async def seed(ctx: Any) -> None:
    services = {s["code"]: s["id"] for s in await ctx.catalogue.services()}
    now = ctx.clock.now()
    for e in LIFE_EVENTS:
        await ctx.bundles.store.seed_event({
            "_id": e["_id"], "name": e["name"], "summary": e["summary"], "order": e["order"], "status": "active",
            "services": [{"service_id": services[code], "fields": fields} for code, fields in e["services"]],
            "form": e["form"], "shared": [{"material_key": k, "from_service_id": services[code]}
                                          for k, code in e["shared"]],
            "created_at": now, "updated_at": now})
