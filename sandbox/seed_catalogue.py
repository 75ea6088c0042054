"""Sandbox demo catalogue: two halls, six departments, a dozen services with real-looking guides.

Seeded by code, once: what hall managers change afterwards is never overwritten on restart.
"""
from __future__ import annotations

from typing import Any

from backend.catalogue.service import DEFAULT_FORM

DEPARTMENTS = [
    {"code": "PSB-HJ", "name": "市公安局户政", "phone": "0452-110"},
    {"code": "PSB-CRJ", "name": "市公安局出入境管理支队", "phone": "0452-12367"},
    {"code": "HRSS", "name": "市人力资源和社会保障局", "phone": "0452-12333"},
    {"code": "HPF", "name": "市住房公积金管理中心", "phone": "0452-12329"},
    {"code": "REAL", "name": "市不动产登记中心", "phone": "0452-12345"},
    {"code": "SAMR", "name": "市市场监督管理局", "phone": "0452-12315"},
]

WEEKDAYS_AM_PM = [{"weekday": d, "start": s, "end": e} for d in range(1, 6)
                  for s, e in (("09:00", "12:00"), ("13:30", "17:00"))]
HALLS = [
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


def _guide(materials: list, *, fee_fen: int = 0, fee_note: str = "", statutory: int, promised: int,
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


SERVICES = [
    {"code": "HJ-QIANRU", "name": "户口迁入（投靠落户）", "dept": "PSB-HJ", "halls": ["HALL-CITY"],
     "life_events": [], "keywords": ["落户", "投靠", "迁户口"], "frequent": True,
     "guide": _guide([ID_CARD, HUKOU,
                      _m("relation", "亲属关系证明", note="结婚证或出生医学证明等；可用电子结婚证", licence="marriage"),
                      _m("housing", "合法稳定住所证明", tolerable=True, note="房屋产权证或租赁备案证明")],
                     statutory=20, promised=5, location="市民中心一楼 A 区户籍窗口", online=True,
                     conditions="投靠配偶、父母或子女，在本市有合法稳定住所。",
                     legal="《中华人民共和国户口登记条例》", phone="0452-110",
                     form=[{"key": "reason", "label": "迁入原因", "type": "text", "required": True}])},
    {"code": "HJ-SFZ", "name": "居民身份证换领", "dept": "PSB-HJ", "halls": ["HALL-CITY", "HALL-EAST"],
     "life_events": [], "keywords": ["身份证", "到期换证"], "frequent": True,
     "guide": _guide([_m("old_id_card", "原居民身份证"), HUKOU],
                     fee_fen=2000, fee_note="工本费 20 元", statutory=60, promised=15,
                     location="各大厅户籍窗口（现场采集指纹和照片）", online=False, max_visits=1,
                     legal="《中华人民共和国居民身份证法》", phone="0452-110")},
    {"code": "HJ-XSE", "name": "新生儿入户", "dept": "PSB-HJ", "halls": ["HALL-CITY", "HALL-EAST"],
     "life_events": ["birth"], "keywords": ["出生", "上户口", "报户口"], "frequent": True,
     "guide": _guide([_m("birth_cert", "出生医学证明", licence="birth_cert"), _m("parents_id", "父母双方居民身份证"),
                      _m("parents_hukou", "父母户口簿", licence="hukou"),
                      _m("marriage", "结婚证", tolerable=True, licence="marriage")],
                     statutory=5, promised=1, location="各大厅户籍窗口", online=True, max_visits=0,
                     conditions="新生儿出生后一个月内申报。", phone="0452-110")},
    {"code": "SB-SBK", "name": "社会保障卡申领", "dept": "HRSS", "halls": ["HALL-CITY", "HALL-EAST"],
     "life_events": ["birth", "jobs"], "keywords": ["社保卡", "医保卡"], "frequent": True,
     "guide": _guide([ID_CARD, _m("photo", "近期免冠彩色照片", tolerable=True, note="可现场拍摄")],
                     statutory=20, promised=7, location="社保综合窗口", online=True, max_visits=1,
                     phone="0452-12333")},
    {"code": "SB-YL", "name": "城乡居民养老保险参保登记", "dept": "HRSS", "halls": ["HALL-CITY", "HALL-EAST"],
     "life_events": ["retirement"], "keywords": ["养老保险", "参保"], "frequent": False,
     "guide": _guide([ID_CARD, HUKOU], statutory=15, promised=3, location="社保综合窗口", online=True,
                     bookable=True, visit=False, max_visits=0, phone="0452-12333")},
    {"code": "GJJ-TQ", "name": "住房公积金提取（购买住房）", "dept": "HPF", "halls": ["HALL-CITY"],
     "life_events": ["housing"], "keywords": ["公积金", "提取", "购房"], "frequent": True,
     "guide": _guide([ID_CARD, _m("contract", "购房合同或不动产权证书", licence="property"), _m("invoice", "购房发票"),
                      _m("bank_card", "本人银行卡", tolerable=True)],
                     statutory=5, promised=3, location="市民中心二楼公积金窗口", online=True, max_visits=1,
                     phone="0452-12329")},
    {"code": "BDC-ZY", "name": "不动产转移登记（二手房买卖）", "dept": "REAL", "halls": ["HALL-CITY"],
     "life_events": ["housing"], "keywords": ["过户", "二手房", "房产证"], "frequent": True,
     "guide": _guide([_m("ids", "买卖双方居民身份证"), _m("cert", "不动产权证书", licence="property"),
                      _m("contract", "存量房买卖合同"), _m("tax", "完税凭证"),
                      _m("marriage", "婚姻状况证明", tolerable=True, licence="marriage")],
                     fee_fen=8000, fee_note="住宅登记费 80 元（含第一本证书工本费）", statutory=30, promised=5,
                     location="市民中心一楼 D 区不动产登记窗口", online=False, max_visits=1,
                     legal="《不动产登记暂行条例》", phone="0452-12345")},
    {"code": "BDC-BF", "name": "不动产权证书补发", "dept": "REAL", "halls": ["HALL-CITY"],
     "life_events": [], "keywords": ["房产证丢失", "补证"], "frequent": False,
     "guide": _guide([ID_CARD, _m("notice", "遗失声明", note="在本市主流媒体刊登")],
                     fee_fen=1000, fee_note="证书工本费 10 元", statutory=30, promised=10,
                     location="不动产登记窗口", online=True, max_visits=1, phone="0452-12345",
                     issues={"type": "property", "name": "不动产权证书", "validity_days": 0})},
    {"code": "SC-GTH", "name": "个体工商户设立登记", "dept": "SAMR", "halls": ["HALL-EAST"],
     "life_events": ["business", "jobs"], "keywords": ["个体户", "营业执照", "开店"], "frequent": True,
     "guide": _guide([ID_CARD, _m("premises", "经营场所使用证明", tolerable=True)],
                     statutory=15, promised=1, location="建华区政务服务中心商事登记窗口", online=True,
                     visit=False, max_visits=0, legal="《促进个体工商户发展条例》", phone="0452-12315",
                     issues={"type": "business_licence", "name": "营业执照（个体工商户）", "validity_days": 0})},
    {"code": "SC-QY", "name": "企业设立登记（有限责任公司）", "dept": "SAMR", "halls": ["HALL-EAST"],
     "life_events": ["business"], "keywords": ["公司注册", "营业执照", "开办企业"], "frequent": True,
     "guide": _guide([_m("application", "公司登记（备案）申请书"), _m("articles", "公司章程"),
                      _m("shareholders", "股东主体资格证明"), _m("premises", "住所使用证明", tolerable=True)],
                     statutory=15, promised=1, location="商事登记窗口", online=True, max_visits=1,
                     legal="《中华人民共和国市场主体登记管理条例》", phone="0452-12315")},
    {"code": "CRJ-HZ", "name": "普通护照签发", "dept": "PSB-CRJ", "halls": ["HALL-CITY"],
     "life_events": ["travel"], "keywords": ["护照", "出国"], "frequent": True,
     "guide": _guide([ID_CARD, _m("photo_receipt", "出入境证件照片回执", tolerable=True, note="可现场拍摄")],
                     fee_fen=12000, fee_note="护照 120 元/本", statutory=15, promised=7,
                     location="市民中心一楼 E 区出入境窗口", online=False, max_visits=1,
                     legal="《中华人民共和国护照法》", phone="0452-12367")},
    {"code": "CRJ-GA", "name": "往来港澳通行证及签注", "dept": "PSB-CRJ", "halls": ["HALL-CITY"],
     "life_events": ["travel"], "keywords": ["港澳通行证", "签注"], "frequent": False,
     "guide": _guide([ID_CARD], fee_fen=6000, fee_note="通行证 60 元；签注另计", statutory=15, promised=7,
                     location="出入境窗口", online=False, max_visits=1, phone="0452-12367")},
]


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
            "hall_ids": [halls[c] for c in s["halls"]], "life_events": s["life_events"], "keywords": s["keywords"],
            "frequent": s["frequent"], "guide": s["guide"], "status": "active", "created_at": now, "updated_at": now})
        services[s["code"]] = str(doc["_id"])
    for h in HALLS:
        windows = [{"id": f"{h['code']}-W{num}", "number": num, "name": name, "area_prefix": prefix,
                    "service_ids": [services[c] for c in codes]} for num, name, prefix, codes in h["windows"]]
        await store.seed_hall_windows(h["code"], windows)
