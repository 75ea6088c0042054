"""Request and response shapes of life events (一件事) and bundles."""
from backend.bundles.service import FIELD_TYPES, OVERALL
from backend.cases.schemas import ATTACHMENTS, CASE, LICENCES
from backend.core.schema import DATETIME, ID, array, boolean, integer, list_of, nullable, obj, string
from payments.schemas import PAYMENT as PAYMENT  # re-exported: handlers use s.PAYMENT

SERVICE = obj({"service_id": string(), "name": string(), "department_name": string(), "fee_fen": integer(),
               "promised_days": integer()}, ["service_id", "name"])
MATERIAL = obj({"key": string(), "name": string(), "required": boolean(), "tolerable": boolean(),
                "note": nullable(string()), "services": array(string()),
                "licence_type": nullable(string(description="可用电子证照代替时的证照类型"))},
               ["key", "name", "required", "tolerable"])
SHARED = obj({"key": string(), "name": string(), "from_service": string()}, ["key", "name", "from_service"])
LIFE_EVENT = obj({
    "id": string(), "name": string(), "summary": string(), "services": array(SERVICE),
    "form_schema": {"type": "object", "description": "合并后的申请表（JSON Schema）：每个字段只填一次，"
                                                     "x-services 列出它送往的事项，x-order 为填写顺序"},
    "materials": array(MATERIAL), "shared_materials": array(SHARED), "fee_fen": integer(), "promised_days": integer(),
    "status": string(enum=["active", "inactive"]),
}, ["id", "name", "services", "form_schema", "materials"])
LIFE_EVENTS = list_of(LIFE_EVENT)
FORM_VALUE = {"anyOf": [string(maxLength=500), integer()]}
APPLY = obj({
    "form": {"type": "object", "maxProperties": 60, "additionalProperties": FORM_VALUE},
    "materials": array(string(pattern=r"^[a-z0-9_]{1,40}$"), maxItems=50, uniqueItems=True,
                       description="已备齐的材料 key（合并后的材料清单）"),
    "attachments": ATTACHMENTS, "licences": LICENCES,
}, ["form"])
CASE_BRIEF = obj({"id": string(), "serial": string(), "service_id": string(), "service_name": string(),
                  "department_name": string(), "status": string(),
                  "outcome": {"type": ["string", "null"], "enum": ["not_accepted", "not_approved", None],
                              "description": "驳回的性质：not_accepted 不予受理；not_approved 不予批准"}},
                 ["id", "serial", "service_name", "status"])
# A bundle's cases are its ``applications`` (as everywhere in the API, a case is an application):
# each with its status when the bundle is read, each in full in the answer that creates them.
# ``cases`` is the same list under its earlier name, kept for clients that still read it.
BUNDLE = obj({
    "id": string(), "serial": string(), "life_event_id": string(), "name": string(),
    "status": string(enum=list(OVERALL)), "status_name": string(), "done": boolean(),
    "applications": array(CASE_BRIEF, description="本一件事的办件及各自状态"),
    "cases": array(CASE_BRIEF, description="同 applications（旧名，保留兼容）", deprecated=True),
    "payment": nullable(obj({"id": string(), "status": string(), "amount_fen": integer(),
                             "receipt_id": nullable(string())}, ["id", "status", "amount_fen"])),
    "created_at": DATETIME, "done_at": nullable(DATETIME),
    "applicant": obj({"id": string(), "name_masked": nullable(string()), "id_number_masked": nullable(string())},
                     ["id", "name_masked", "id_number_masked"],
                     description="申请人（仅工作人员可见；脱敏）"),
}, ["id", "serial", "name", "status", "applications", "cases", "created_at"])
BUNDLES = list_of(BUNDLE)
# The answer that creates a bundle: every case it made, in full.
BUNDLE_CREATED = {**BUNDLE, "properties": {**BUNDLE["properties"],
                                           "applications": array(CASE, description="本次生成的办件（完整）")}}
LIST_QUERY = obj({"cursor": string(maxLength=64), "limit": integer(minimum=1, maximum=50)})
STAFF_QUERY = obj({
    "serial": string(minLength=4, maxLength=40, description="一件事编号：按编号精确查找"),
    "q": string(minLength=2, maxLength=40, description="一件事编号，或申请人的完整姓名、完整身份证号（精确匹配）"),
    "cursor": string(maxLength=64), "limit": integer(minimum=1, maximum=50)})
FIELD = obj({
    "key": string(pattern=r"^[a-z][a-z0-9_]{0,39}$"), "label": string(minLength=1, maxLength=30),
    "type": string(enum=list(FIELD_TYPES)), "required": boolean(),
    "options": array(string(minLength=1, maxLength=40), maxItems=20), "max_length": integer(minimum=1, maximum=500),
    "minimum": integer(), "maximum": integer(), "hint": string(maxLength=100),
}, ["key", "label", "type"])
EVENT_IN = obj({
    "name": string(minLength=2, maxLength=30), "summary": string(maxLength=300),
    "order": integer(minimum=0, maximum=999), "status": string(enum=["active", "inactive"]),
    "services": array(obj({"service_id": ID, "fields": array(string(), maxItems=60, uniqueItems=True)},
                          ["service_id", "fields"]), minItems=1, maxItems=12),
    "form": array(FIELD, minItems=1, maxItems=60),
    "shared": array(obj({"material_key": string(pattern=r"^[a-z0-9_]{1,40}$"), "from_service_id": ID},
                        ["material_key", "from_service_id"]), maxItems=20,
                    description="由本主题中某事项的办理结果共享、无需再交的材料"),
}, ["name", "services", "form"])
