"""Request and response shapes of the catalogue."""
from backend.core.schema import DATETIME, ID, array, boolean, integer, list_of, nullable, obj, string
from backend.licences.types import CODES as LICENCE_TYPES

CODE = string(pattern=r"^[A-Za-z0-9_-]{2,32}$", description="稳定编码（字母、数字、-、_）")
HHMM = string(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM（北京时间）")
DATE = string(pattern=r"^\d{4}-\d{2}-\d{2}$", format="date", description="YYYY-MM-DD")
TEXT = string(minLength=1, maxLength=200)
LONG_TEXT = string(maxLength=2000)

DEPARTMENT_IN = obj({"code": CODE, "name": string(minLength=1, maxLength=40), "phone": string(maxLength=30)},
                    ["code", "name"])
DEPARTMENT = obj({"id": string(), "code": string(), "name": string(), "phone": nullable(string())},
                 ["id", "code", "name"])

PERIOD = obj({"weekday": integer(minimum=1, maximum=7, description="1=周一 … 7=周日"), "start": HHMM, "end": HHMM},
             ["weekday", "start", "end"])
WINDOW_IN = obj({
    "id": string(maxLength=64, description="修改时保留原窗口编号"),
    "number": string(pattern=r"^[0-9A-Za-z]{1,4}$", description="窗口号，如 03"),
    "name": string(minLength=1, maxLength=40),
    "area_prefix": string(pattern=r"^[A-Z]$", description="排队号前缀（服务区），如 A"),
    "service_ids": array(ID, maxItems=100, uniqueItems=True),
}, ["number", "name", "area_prefix"])
WINDOW = obj({"id": string(), "number": string(), "name": string(), "area_prefix": string(),
              "service_ids": array(string())}, ["id", "number", "name", "area_prefix", "service_ids"])
HALL_FIELDS = {
    "name": string(minLength=1, maxLength=60), "address": string(minLength=1, maxLength=200),
    "phone": string(maxLength=30), "opening_hours": array(PERIOD, minItems=1, maxItems=28),
    "closed_dates": array(DATE, maxItems=400, uniqueItems=True), "windows": array(WINDOW_IN, maxItems=100),
    "open_dates": array(DATE, maxItems=100, uniqueItems=True,
                        description="额外开放日（如周日加班服务日），按当天星期的开放时间，未设置则按周一的开放时间"),
    "notice": LONG_TEXT,
}
HALL_IN = obj({"code": CODE, **HALL_FIELDS}, ["code", "name", "address", "opening_hours"])
HALL_PATCH = obj({**HALL_FIELDS, "status": string(enum=["active", "inactive"]),
                  "closure_reason": string(minLength=1, maxLength=60,
                                           description="新增闭厅日的原因（告知被取消预约的群众）")},
                 minProperties=1)
HALL = obj({
    "id": string(), "code": string(), "name": string(), "address": string(), "phone": nullable(string()),
    "opening_hours": array(PERIOD), "closed_dates": array(string()), "open_dates": array(string()),
    "windows": array(WINDOW),
    "notice": nullable(string()), "status": string(enum=["active", "inactive"]),
}, ["id", "code", "name", "address", "opening_hours", "closed_dates", "windows", "status"])

MATERIAL = obj({
    "key": string(pattern=r"^[a-z0-9_]{1,40}$"), "name": string(minLength=1, maxLength=100),
    "required": boolean(description="是否必须提交"),
    "tolerable": boolean(description="可容缺受理（缺少时可先受理，限期补齐）"),
    "copies": integer(minimum=0, maximum=20), "note": string(maxLength=300),
    "licence_type": nullable(string(enum=LICENCE_TYPES, description="可用该类电子证照代替提交（免提交纸质材料）")),
}, ["key", "name", "required"])
FORM_FIELD = obj({
    "key": string(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="申请表中的字段名"),
    "label": string(minLength=1, maxLength=40, description="字段名称（中文，群众和工作人员看到的）"),
    "type": string(enum=["text", "textarea", "phone", "date", "number"]),
    "required": boolean(),
}, ["key", "label"])
ISSUES_LICENCE = obj({
    "type": string(enum=LICENCE_TYPES, description="证照类型"), "name": string(minLength=1, maxLength=60),
    "validity_days": integer(minimum=0, maximum=36500, description="有效期（天），0 为长期有效"),
}, ["type", "name", "validity_days"], description="办结后向申请人发放的电子证照")
FEE_ITEM = obj({
    "code": string(pattern=r"^[0-9A-Za-z-]{1,32}$", description="收费项目编码（非税收入项目编码），收费项目的唯一标识"),
    "name": string(minLength=1, maxLength=40, description="收费项目名称"),
    "amount_fen": integer(minimum=0, maximum=10_000_000, description="金额（分）"),
    "unit_code": string(pattern=r"^[0-9A-Za-z-]{1,32}$", description="收款单位的执收单位编码"),
}, ["code", "name", "amount_fen", "unit_code"])
GUIDE_IN = obj({
    "conditions": LONG_TEXT, "materials": array(MATERIAL, maxItems=50),
    "fee_fen": integer(minimum=0, maximum=10_000_000, description="收费（分），0 为不收费"),
    "fee_note": string(maxLength=300),
    "fee_items": array(FEE_ITEM, maxItems=20, description="收费项目：每项有编码和收款单位，合计等于 fee_fen"),
    "statutory_days": integer(minimum=0, maximum=365, description="法定办结时限（工作日）"),
    "promised_days": integer(minimum=0, maximum=365, description="承诺办结时限（工作日）"),
    "location": string(maxLength=200), "online": boolean(description="可全程网办"),
    "bookable": boolean(description="可预约到厅"), "visit_required": boolean(description="需到现场"),
    "max_visits": integer(minimum=0, maximum=5, description="最多跑几次（0 为零跑腿）"),
    "legal_basis": LONG_TEXT, "contact_phone": string(maxLength=30), "issues_licence": nullable(ISSUES_LICENCE),
    "form": array(FORM_FIELD, maxItems=50, description="申请表字段（未设置时为联系电话和补充说明）"),
}, ["materials", "fee_fen", "statutory_days", "promised_days", "online", "bookable", "visit_required", "max_visits"])
GUIDE = obj({**GUIDE_IN["properties"], "materials": array(obj({
    "key": string(), "name": string(), "required": boolean(), "tolerable": boolean(),
    "copies": integer(), "note": nullable(string()), "licence_type": nullable(string())},
    ["key", "name", "required", "tolerable"]))},
    GUIDE_IN["required"] + ["location"])
SERVICE_FIELDS = {
    "name": string(minLength=1, maxLength=60), "department_id": ID,
    "hall_ids": array(ID, maxItems=50, uniqueItems=True),
    "keywords": array(string(maxLength=20), maxItems=20), "frequent": boolean(description="高频事项，首页展示"),
    "high_assurance": boolean(description="高安全等级事项：网上申报须在近期完成本人人脸核身"),
    "guide": GUIDE_IN,
}
SERVICE_IN = obj({"code": CODE, **SERVICE_FIELDS}, ["code", "name", "department_id", "guide"])
SERVICE_PATCH = obj({**SERVICE_FIELDS, "status": string(enum=["active", "inactive"])}, minProperties=1)
SERVICE = obj({
    "id": string(), "code": string(), "name": string(), "department_id": string(), "department_name": string(),
    "hall_ids": array(string()), "keywords": array(string()),
    "frequent": boolean(), "high_assurance": boolean(), "guide": GUIDE, "status": string(enum=["active", "inactive"]),
    "updated_at": nullable(DATETIME),
}, ["id", "code", "name", "department_id", "department_name", "hall_ids", "guide", "status"])

SERVICE_QUERY = obj({
    "department_id": string(maxLength=64), "hall_id": string(maxLength=64),
    "q": string(maxLength=40, description="按名称或关键词搜索"),
    "frequent": boolean(),
})

DEPARTMENTS = list_of(DEPARTMENT)
HALLS = list_of(HALL)
SERVICES = list_of(SERVICE)
