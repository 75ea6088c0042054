"""Sandbox demo catalogue: two halls, six departments, a dozen services with real-looking guides.

Seeded by code, once: what hall managers change afterwards is never overwritten on restart.
"""
from __future__ import annotations

from typing import Any, TypedDict

from backend.catalogue.service import DEFAULT_FORM

DEPARTMENTS = [
    {"code": "PSB-HJ", "name": "市公安局户政", "phone": "0452-110"},
    {"code": "PSB-CRJ", "name": "市公安局出入境管理支队", "phone": "0452-12367"},
    {"code": "HRSS", "name": "市人力资源和社会保障局", "phone": "0452-12333"},
    {"code": "HPF", "name": "市住房公积金管理中心", "phone": "0452-12329"},
    {"code": "REAL", "name": "市不动产登记中心", "phone": "0452-12345"},
    {"code": "SAMR", "name": "市市场监督管理局", "phone": "0452-12315"},
    {"code": "WJW", "name": "市卫生健康委员会", "phone": "0452-12320"},
    {"code": "YB", "name": "市医疗保障局", "phone": "0452-12393"},
    {"code": "TAX", "name": "国家税务总局市税务局", "phone": "0452-12366"},
    {"code": "PSB-ZA", "name": "市公安局治安管理支队", "phone": "0452-110"},
    {"code": "UTIL", "name": "市公用事业服务中心", "phone": "0452-96618"},
]


class HallSeed(TypedDict):
    code: str
    name: str
    address: str
    phone: str
    notice: str
    opening_hours: list[dict[str, Any]]
    windows: list[tuple[str, str, str, list[str]]]   # number, name, queue prefix, service codes


class ServiceSeed(TypedDict):
    code: str
    name: str
    dept: str              # the department's code
    halls: list[str]       # the halls' codes
    keywords: list[str]
    frequent: bool
    guide: dict[str, Any]


class FeeItem(TypedDict):
    code: str
    name: str
    amount_fen: int
    unit_code: str


WEEKDAYS_AM_PM = [{"weekday": d, "start": s, "end": e} for d in range(1, 6)
                  for s, e in (("09:00", "12:00"), ("13:30", "17:00"))]
HALLS: list[HallSeed] = [
    {"code": "HALL-CITY", "name": "市民中心政务服务大厅", "address": "龙沙区卜奎大街 100 号市民中心一楼",
     "phone": "0452-12345", "notice": "周六上午延时服务（9:00–12:00），可办理户籍、社保、出入境业务。",
     "opening_hours": WEEKDAYS_AM_PM + [{"weekday": 6, "start": "09:00", "end": "12:00"}],
     "windows": [("01", "户籍综合窗口", "A", ["HJ-QIANRU", "HJ-SFZ", "HJ-XSE"]),
                 ("02", "户籍综合窗口", "A", ["HJ-QIANRU", "HJ-SFZ", "HJ-XSE"]),
                 ("05", "社保综合窗口", "B", ["SB-SBK", "SB-YL"]),
                 ("08", "公积金窗口", "C", ["GJJ-TQ"]),
                 ("11", "不动产登记窗口", "D", ["BDC-ZY", "BDC-BF"]),
                 ("12", "不动产登记窗口", "D", ["BDC-ZY", "BDC-BF"]),
                 ("15", "出入境窗口", "E", ["CRJ-HZ", "CRJ-GA"])]},
    {"code": "HALL-EAST", "name": "建华区政务服务中心", "address": "建华区新明大街 28 号",
     "phone": "0452-2345678", "notice": "大厅提供免费复印、帮办代办服务。",
     "opening_hours": [{"weekday": d, "start": s, "end": e} for d in range(1, 6)
                       for s, e in (("08:30", "12:00"), ("14:00", "17:30"))],
     "windows": [("01", "商事登记窗口", "F", ["SC-GTH", "SC-QY"]),
                 ("02", "商事登记窗口", "F", ["SC-GTH", "SC-QY"]),
                 ("03", "社保窗口", "B", ["SB-SBK", "SB-YL"]),
                 ("04", "户籍窗口", "A", ["HJ-SFZ", "HJ-XSE"])]},
]


def _m(key: str, name: str, *, required: bool = True, tolerable: bool = False, copies: int = 1,
       note: str | None = None, licence: str | None = None) -> dict[str, Any]:
    """A guide material; ``licence`` names the e-licence type that may be presented instead."""
    return {"key": key, "name": name, "required": required, "tolerable": tolerable, "copies": copies,
            **({"note": note} if note else {}), **({"licence_type": licence} if licence else {})}


ID_CARD = _m("id_card", "居民身份证", note="原件，现场核验；可用电子身份证", licence="id_card")
HUKOU = _m("hukou", "居民户口簿", note="原件；可用电子户口簿", licence="hukou")
BUSINESS_LICENCE = _m("license", "营业执照", note="可用电子营业执照", licence="business_licence")


def _guide(materials: list[dict[str, Any]], *, fee_fen: int = 0, fee_note: str = "", statutory: int, promised: int,
           location: str, online: bool, bookable: bool = True, visit: bool = True, max_visits: int = 1,
           conditions: str = "", legal: str = "", phone: str = "",
           form: list[dict[str, Any]] | None = None, issues: dict[str, Any] | None = None) -> dict[str, Any]:
    """A guide; ``issues`` is the e-licence the service issues to the applicant on completion."""
    guide = {"conditions": conditions, "materials": materials, "fee_fen": fee_fen, "fee_note": fee_note,
             "statutory_days": statutory, "promised_days": promised, "location": location, "online": online,
             "bookable": bookable, "visit_required": visit, "max_visits": max_visits, "legal_basis": legal,
             "contact_phone": phone, **({"issues_licence": issues} if issues else {})}
    if form:
        # The service's own questions after the ones everyone is asked.
        guide["form"] = [*DEFAULT_FORM, *form]
    return guide


SERVICES: list[ServiceSeed] = [
    {"code": "HJ-QIANRU", "name": "户口迁入（投靠落户）", "dept": "PSB-HJ", "halls": ["HALL-CITY"],
     "keywords": ["落户", "投靠", "迁户口"], "frequent": True,
     "guide": _guide([ID_CARD, HUKOU,
                      _m("relation", "亲属关系证明", note="结婚证或出生医学证明等；可用电子结婚证", licence="marriage"),
                      _m("housing", "合法稳定住所证明", tolerable=True, note="房屋产权证或租赁备案证明")],
                     statutory=20, promised=5, location="市民中心一楼 A 区户籍窗口", online=True,
                     conditions="投靠配偶、父母或子女，在本市有合法稳定住所。",
                     legal="《中华人民共和国户口登记条例》", phone="0452-110",
                     form=[{"key": "reason", "label": "迁入原因", "type": "text", "required": True}])},
    {"code": "HJ-SFZ", "name": "居民身份证换领", "dept": "PSB-HJ", "halls": ["HALL-CITY", "HALL-EAST"],
     "keywords": ["身份证", "到期换证"], "frequent": True,
     "guide": _guide([_m("old_id_card", "原居民身份证"), HUKOU],
                     fee_fen=2000, fee_note="工本费 20 元", statutory=60, promised=15,
                     location="各大厅户籍窗口（现场采集指纹和照片）", online=False, max_visits=1,
                     legal="《中华人民共和国居民身份证法》", phone="0452-110")},
    {"code": "HJ-XSE", "name": "新生儿入户", "dept": "PSB-HJ", "halls": ["HALL-CITY", "HALL-EAST"],
     "keywords": ["出生", "上户口", "报户口"], "frequent": True,
     "guide": _guide([_m("birth_cert", "出生医学证明", licence="birth_cert"), _m("parents_id", "父母双方居民身份证"),
                      _m("parents_hukou", "父母户口簿", licence="hukou"),
                      _m("marriage", "结婚证", tolerable=True, licence="marriage")],
                     statutory=5, promised=1, location="各大厅户籍窗口", online=True, max_visits=0,
                     conditions="新生儿出生后一个月内申报。", phone="0452-110")},
    {"code": "SB-SBK", "name": "社会保障卡申领", "dept": "HRSS", "halls": ["HALL-CITY", "HALL-EAST"],
     "keywords": ["社保卡", "医保卡"], "frequent": True,
     "guide": _guide([ID_CARD, _m("photo", "近期免冠彩色照片", tolerable=True, note="可现场拍摄")],
                     statutory=20, promised=7, location="社保综合窗口", online=True, max_visits=1,
                     phone="0452-12333")},
    {"code": "SB-YL", "name": "城乡居民养老保险参保登记", "dept": "HRSS", "halls": ["HALL-CITY", "HALL-EAST"],
     "keywords": ["养老保险", "参保"], "frequent": False,
     "guide": _guide([ID_CARD, HUKOU], statutory=15, promised=3, location="社保综合窗口", online=True,
                     bookable=True, visit=False, max_visits=0, phone="0452-12333")},
    {"code": "GJJ-TQ", "name": "住房公积金提取（购买住房）", "dept": "HPF", "halls": ["HALL-CITY"],
     "keywords": ["公积金", "提取", "购房"], "frequent": True,
     "guide": _guide([ID_CARD, _m("contract", "购房合同或不动产权证书", licence="property"), _m("invoice", "购房发票"),
                      _m("bank_card", "本人银行卡", tolerable=True)],
                     statutory=5, promised=3, location="市民中心二楼公积金窗口", online=True, max_visits=1,
                     phone="0452-12329")},
    {"code": "BDC-ZY", "name": "不动产转移登记（二手房买卖）", "dept": "REAL", "halls": ["HALL-CITY"],
     "keywords": ["过户", "二手房", "房产证"], "frequent": True,
     "guide": _guide([_m("ids", "买卖双方居民身份证"), _m("cert", "不动产权证书", licence="property"),
                      _m("contract", "存量房买卖合同"), _m("tax", "完税凭证"),
                      _m("marriage", "婚姻状况证明", tolerable=True, licence="marriage")],
                     fee_fen=8000, fee_note="住宅登记费 80 元（含第一本证书工本费）", statutory=30, promised=5,
                     location="市民中心一楼 D 区不动产登记窗口", online=False, max_visits=1,
                     legal="《不动产登记暂行条例》", phone="0452-12345")},
    {"code": "BDC-BF", "name": "不动产权证书补发", "dept": "REAL", "halls": ["HALL-CITY"],
     "keywords": ["房产证丢失", "补证"], "frequent": False,
     "guide": _guide([ID_CARD, _m("notice", "遗失声明", note="在本市主流媒体刊登")],
                     fee_fen=1000, fee_note="证书工本费 10 元", statutory=30, promised=10,
                     location="不动产登记窗口", online=True, max_visits=1, phone="0452-12345",
                     issues={"type": "property", "name": "不动产权证书", "validity_days": 0})},
    {"code": "SC-GTH", "name": "个体工商户设立登记", "dept": "SAMR", "halls": ["HALL-EAST"],
     "keywords": ["个体户", "营业执照", "开店"], "frequent": True,
     "guide": _guide([ID_CARD, _m("premises", "经营场所使用证明", tolerable=True)],
                     statutory=15, promised=1, location="建华区政务服务中心商事登记窗口", online=True,
                     visit=False, max_visits=0, legal="《促进个体工商户发展条例》", phone="0452-12315",
                     issues={"type": "business_licence", "name": "营业执照（个体工商户）", "validity_days": 0})},
    {"code": "SC-QY", "name": "企业设立登记（有限责任公司）", "dept": "SAMR", "halls": ["HALL-EAST"],
     "keywords": ["公司注册", "营业执照", "开办企业"], "frequent": True,
     "guide": _guide([_m("application", "公司登记（备案）申请书"), _m("articles", "公司章程"),
                      _m("shareholders", "股东主体资格证明"), _m("premises", "住所使用证明", tolerable=True)],
                     statutory=15, promised=1, location="商事登记窗口", online=True, max_visits=1,
                     legal="《中华人民共和国市场主体登记管理条例》", phone="0452-12315")},
    {"code": "CRJ-HZ", "name": "普通护照签发", "dept": "PSB-CRJ", "halls": ["HALL-CITY"],
     "keywords": ["护照", "出国"], "frequent": True,
     "guide": _guide([ID_CARD, _m("photo_receipt", "出入境证件照片回执", tolerable=True, note="可现场拍摄")],
                     fee_fen=12000, fee_note="护照 120 元/本", statutory=15, promised=7,
                     location="市民中心一楼 E 区出入境窗口", online=False, max_visits=1,
                     legal="《中华人民共和国护照法》", phone="0452-12367")},
    {"code": "CRJ-GA", "name": "往来港澳通行证及签注", "dept": "PSB-CRJ", "halls": ["HALL-CITY"],
     "keywords": ["港澳通行证", "签注"], "frequent": False,
     "guide": _guide([ID_CARD], fee_fen=6000, fee_note="通行证 60 元；签注另计", statutory=15, promised=7,
                     location="出入境窗口", online=False, max_visits=1, phone="0452-12367")},
    # The services of the three 一件事 (sandbox/seed_bundles.py); materials with the same key are
    # the same paper, asked once in a life event.
    {"code": "WJ-CSZM", "name": "出生医学证明首次签发", "dept": "WJW", "halls": ["HALL-CITY"],
     "keywords": ["出生证", "出生医学证明"], "frequent": False,
     "guide": _guide([_m("birth_info", "分娩机构出具的出生信息登记表", note="新生儿出生的医院出具"),
                      _m("parents_id", "父母双方居民身份证"), _m("marriage", "结婚证", tolerable=True)],
                     statutory=10, promised=3, location="市民中心一楼 综合窗口（或分娩医院出生证明办理处）",
                     online=True, max_visits=0, conditions="在本市医疗机构出生的新生儿。",
                     legal="《中华人民共和国母婴保健法》", phone="0452-12320")},
    {"code": "YB-XSE", "name": "新生儿城乡居民医保参保登记", "dept": "YB", "halls": ["HALL-CITY", "HALL-EAST"],
     "keywords": ["医保", "新生儿参保"], "frequent": False,
     "guide": _guide([_m("birth_cert", "出生医学证明", licence="birth_cert"), _m("parents_id", "父母双方居民身份证")],
                     fee_fen=40000, fee_note="2026 年度城乡居民医保个人缴费 400 元", statutory=10, promised=2,
                     location="医保综合窗口", online=True, visit=False, max_visits=0,
                     conditions="新生儿出生后 90 天内参保缴费，自出生之日起享受待遇。", phone="0452-12393")},
    {"code": "SB-XSESBK", "name": "新生儿社会保障卡申领", "dept": "HRSS", "halls": ["HALL-CITY", "HALL-EAST"],
     "keywords": ["社保卡", "新生儿"], "frequent": False,
     "guide": _guide([_m("birth_cert", "出生医学证明", licence="birth_cert"),
                      _m("parents_hukou", "父母户口簿", licence="hukou"),
                      _m("baby_photo", "新生儿近期正面照片", required=False, note="1 周岁以下可免照片")],
                     statutory=20, promised=7, location="社保综合窗口", online=True, max_visits=0,
                     conditions="已参加本市城乡居民医保的新生儿；首次申领免费。", phone="0452-12333")},
    {"code": "SW-CLF", "name": "存量房交易税费申报（契税、个人所得税）", "dept": "TAX", "halls": ["HALL-CITY"],
     "keywords": ["契税", "二手房", "过户税"], "frequent": False,
     "guide": _guide([_m("ids", "买卖双方居民身份证"), _m("cert", "不动产权证书", licence="property"),
                      _m("contract", "存量房买卖合同"),
                      _m("family_housing", "买方家庭住房情况查询结果", tolerable=True,
                         note="享受首套住房契税优惠时提供")],
                     statutory=5, promised=1, location="市民中心一楼 D 区税务窗口", online=True, max_visits=1,
                     conditions="税额按成交价格核定；契税 1%–3%，满五唯一免征个人所得税。",
                     legal="《中华人民共和国契税法》", phone="0452-12366")},
    {"code": "UT-GH", "name": "水电气联动过户", "dept": "UTIL", "halls": ["HALL-CITY"],
     "keywords": ["过户", "水电气", "户名变更"], "frequent": False,
     "guide": _guide([_m("ids", "买卖双方居民身份证"),
                      _m("utility_accounts", "水费、电费、燃气户号或缴费卡", tolerable=True)],
                     statutory=5, promised=2, location="市民中心一楼 公用事业窗口", online=True, visit=False,
                     max_visits=0, conditions="不动产转移登记完成后办理；请先结清原户名欠费。", phone="0452-96618")},
    {"code": "GA-YZ", "name": "印章刻制备案", "dept": "PSB-ZA", "halls": ["HALL-EAST"],
     "keywords": ["刻章", "公章"], "frequent": False,
     "guide": _guide([BUSINESS_LICENCE, _m("legal_id", "法定代表人居民身份证")],
                     fee_fen=0, fee_note="新开办企业首套印章由政府购买服务，免费刻制", statutory=3, promised=1,
                     location="建华区政务服务中心 企业开办专区", online=True, visit=False, max_visits=0,
                     legal="《印铸刻字业暂行管理规则》", phone="0452-110")},
    {"code": "SW-XBNS", "name": "新办纳税人套餐（税务信息确认、发票申领）", "dept": "TAX", "halls": ["HALL-EAST"],
     "keywords": ["发票", "税务登记", "税控"], "frequent": False,
     "guide": _guide([BUSINESS_LICENCE, _m("legal_id", "法定代表人居民身份证")],
                     statutory=5, promised=1, location="建华区政务服务中心 企业开办专区", online=True, visit=False,
                     max_visits=0, phone="0452-12366")},
    {"code": "SB-DWCB", "name": "单位参保登记", "dept": "HRSS", "halls": ["HALL-EAST"],
     "keywords": ["单位社保", "参保登记"], "frequent": False,
     "guide": _guide([BUSINESS_LICENCE, _m("legal_id", "法定代表人居民身份证")],
                     statutory=5, promised=1, location="建华区政务服务中心 企业开办专区", online=True, visit=False,
                     max_visits=0, conditions="用人单位自用工之日起 30 日内为职工办理社会保险登记。",
                     phone="0452-12333")},
    {"code": "GJJ-DWJC", "name": "住房公积金单位缴存登记", "dept": "HPF", "halls": ["HALL-EAST"],
     "keywords": ["公积金开户", "单位缴存"], "frequent": False,
     "guide": _guide([BUSINESS_LICENCE, _m("legal_id", "法定代表人居民身份证")],
                     statutory=5, promised=1, location="建华区政务服务中心 企业开办专区", online=True, visit=False,
                     max_visits=0, conditions="单位自设立之日起 30 日内办理缴存登记。", phone="0452-12329")},
]


# Each fee a guide charges, identified by its non-tax revenue item code (非税收入项目编码) and the
# payee unit (收款单位, by its 执收单位编码) it is credited to (sandbox/seed_payees.py); the amounts
# add up to the guide's fee_fen.
FEE_ITEMS: dict[str, list[tuple[str, str, int, str]]] = {
    "HJ-SFZ": [("103041105001", "居民身份证工本费", 2000, "110101001")],
    "BDC-ZY": [("103044606002", "住宅登记费", 8000, "110101005")],
    "BDC-BF": [("103044606003", "证书工本费", 1000, "110101005")],
    "CRJ-HZ": [("103041101001", "护照工本费", 12000, "110101002")],
    "CRJ-GA": [("103041102001", "往来港澳通行证工本费", 6000, "110101002")],
    "YB-XSE": [("103050101001", "城乡居民基本医疗保险个人缴费", 40000, "110101007")],
}


def _with_fee_items(code: str, guide: dict[str, Any]) -> dict[str, Any]:
    items: list[FeeItem] = [{"code": c, "name": n, "amount_fen": a, "unit_code": u}
                            for c, n, a, u in FEE_ITEMS.get(code, [])]
    assert sum(i["amount_fen"] for i in items) == guide["fee_fen"], code  # a demo guide's fee is its items
    return {**guide, "fee_items": items}


async def seed(ctx: Any) -> None:
    store = ctx.catalogue.store
    now = ctx.clock.now()
    depts = {}
    for d in DEPARTMENTS:
        doc = await store.seed_department({**d, "created_at": now})
        depts[d["code"]] = str(doc["_id"])
    halls = {}
    for h in HALLS:
        fields = {k: v for k, v in h.items() if k != "windows"}
        doc = await store.seed_hall({**fields, "closed_dates": [], "windows": [], "status": "active",
                                     "created_at": now})
        halls[h["code"]] = str(doc["_id"])
    services = {}
    for s in SERVICES:
        doc = await store.seed_service({
            "code": s["code"], "name": s["name"], "department_id": depts[s["dept"]],
            "hall_ids": [halls[c] for c in s["halls"]], "keywords": s["keywords"],
            "frequent": s["frequent"], "guide": _with_fee_items(s["code"], s["guide"]),
            "status": "active", "created_at": now, "updated_at": now})
        services[s["code"]] = str(doc["_id"])
    for h in HALLS:
        windows = [{"id": f"{h['code']}-W{num}", "number": num, "name": name, "area_prefix": prefix,
                    "service_ids": [services[c] for c in codes]} for num, name, prefix, codes in h["windows"]]
        await store.seed_hall_windows(h["code"], windows)
