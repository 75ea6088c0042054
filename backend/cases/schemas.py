"""Request and response shapes of cases, ratings and supervision."""
from backend.cases.store import STATUSES
from backend.core.schema import DATE, DATETIME, ID, array, boolean, integer, list_of, nullable, obj, string

STATUS = string(enum=STATUSES)
FORM = {"type": "object", "maxProperties": 50, "additionalProperties": {
    "anyOf": [string(maxLength=500), integer(), boolean()]}, "description": "申请表字段（键值）"}
PROVIDED = array(string(pattern=r"^[a-z0-9_]{1,40}$"), maxItems=50, uniqueItems=True,
                 description="已提交的材料 key（来自办事指南）")
KEY = string(pattern=r"^[a-z0-9_]{1,40}$", description="材料 key（来自办事指南）")
ATTACHMENTS = array(obj({"material_key": KEY, "file_id": ID}, ["material_key", "file_id"]), maxItems=100,
                    description="上传的材料文件（POST /files 所得 id），每项材料可多个文件")
LICENCES = array(obj({"material_key": KEY, "licence_id": ID}, ["material_key", "licence_id"]), maxItems=50,
                 description="以本人持有的有效电子证照代替材料（类型须与办事指南所列相符）")
SUBMIT = obj({"service_id": ID, "form": FORM, "materials": PROVIDED, "attachments": ATTACHMENTS,
              "licences": LICENCES,
              "on_behalf_of": string(minLength=1, maxLength=64, description="代办：授权人给我的授权编号")},
             ["service_id", "form"])
STAFF_SUBMIT = obj({"resident_id": ID, "service_id": ID, "form": FORM, "materials": PROVIDED, "licences": LICENCES,
                    "authorization_id": string(minLength=1, maxLength=64, description="居民给本人的帮办授权编号"),
                    "identity_code": string(minLength=10, maxLength=200, description="居民当场出示的办事码"),
                    "confirm": boolean(description="该居民已有同一事项的在办办件时确认仍要登记"
                                                   "（否则 409 open_case_exists）")},
                   ["service_id", "form"])
ONCE = ("可带请求头 Idempotency-Key（每次点击提交一个）：同一请求号、同一内容再次提交时答复第一次的结果（200），"
        "不会生成第二个；同一请求号、不同内容为 409 submission_key_reused。不带请求号时，同一居民几分钟内再次提交"
        "完全相同的内容，同样答复第一次的结果（200）。")
RESUBMIT = obj({"form": FORM, "materials": PROVIDED, "attachments": ATTACHMENTS, "licences": LICENCES,
                "note": string(maxLength=200)})
SUPPLY = obj({"attachments": ATTACHMENTS, "licences": LICENCES},
             description="补交容缺受理时承诺补齐的材料（上传文件或电子证照）")
TRANSITION = obj({
    "to": STATUS, "note": string(maxLength=500), "reason": string(maxLength=500, description="驳回理由（驳回必填）"),
    "missing": array(string(minLength=1, maxLength=100), maxItems=20, description="补正：缺少或需更正的材料"),
    "due": string(pattern=r"^\d{4}-\d{2}-\d{2}$", format="date", description="补正截止日期"),
    "materials": array(KEY, maxItems=50, uniqueItems=True,
                       description="补正：需重新提交的材料 key（不填则为已审核为不予认可的材料）"),
    "promise_reason": string(minLength=2, maxLength=300,
                             description="办结：容缺材料未补齐仍予办结的原因（记入审计日志）"),
}, ["to"])
REVIEW = obj({"verdict": string(enum=["accepted", "rejected"], description="accepted 认可；rejected 不予认可"),
              "reason": string(maxLength=300, description="不予认可的原因（告知申请人）")}, ["verdict"])
ENTRY = obj({"status": STATUS, "at": DATETIME, "note": nullable(string()),
             "actor": obj({"type": string(), "id": nullable(string()), "name": nullable(string())}),
             "agent": obj({"type": string(enum=["staff", "resident"]), "name_masked": string()},
                          ["type", "name_masked"], description="代办人（脱敏）")},
            ["status", "at", "note"])
REVIEW_OUT = nullable(obj({"status": string(enum=["accepted", "rejected"]), "reason": nullable(string()),
                          "at": DATETIME, "by": {"type": "object"},
                          "implied": boolean(description="随批准一并认可（未逐项审核）")}, ["status", "at"]))
MATERIAL = obj({
    "key": string(), "name": string(), "required": boolean(), "tolerable": boolean(),
    "licence_type": nullable(string()), "provided": boolean(),
    "source": {"type": ["string", "null"], "enum": ["file", "licence", "paper", "declared", "shared", "promised", None],
               "description": "file 上传文件；licence 电子证照；paper 窗口提交纸质材料；declared 网上勾选未上传；"
                              "shared 一件事共享；promised 容缺承诺补齐"},
    "file_ids": array(string()),
    "files": array(obj({"id": string(), "name": string(), "content_type": string(), "size_bytes": integer(),
                        "has_thumbnail": boolean()}, ["id", "name", "content_type"])),
    "licence_id": nullable(string()),
    "licence": nullable(obj({"id": string(), "type": string(), "name": string(), "number": string(),
                             "holder_masked": string(), "issuer": string(), "expires_at": nullable(DATETIME),
                             "status": string()}, ["id", "type", "name", "number"])),
    "promised": boolean(description="容缺受理：暂缺，承诺补齐"),
    "promise": nullable(obj({"status": string(enum=["open", "kept", "waived"]), "due": DATETIME,
                             "overdue": boolean(), "kept_at": DATETIME, "waived_at": DATETIME,
                             "waiver_reason": string()}, ["status", "due", "overdue"],
                            description="容缺承诺：补齐期限与状态")),
    "review": REVIEW_OUT,
    "shared_from": string(description="一件事中产生该材料的事项"),
    "history": array(obj({"source": string(), "file_ids": array(string()), "files": array({"type": "object"}),
                          "licence_id": nullable(string()), "licence": nullable({"type": "object"}),
                          "review": REVIEW_OUT, "correction": nullable({"type": "object"}),
                          "replaced_at": nullable(DATETIME)}, ["source", "review"]),
                     description="此前提交并被替换的材料及其审核结论、补正理由"),
}, ["key", "name", "provided", "file_ids", "licence_id"])
CASE = obj({
    "id": string(), "serial": string(), "service_id": string(), "service_name": string(),
    "department_id": string(), "department_name": string(), "status": STATUS,
    "form": {"type": "object", "description": "申请表（工作人员所见身份证号已脱敏）"},
    "form_fields": array(obj({"key": string(), "label": string()}, ["key", "label"]),
                         description="申请表各字段的中文名称"),
    "promise_due_at": nullable(DATETIME),
    "materials": array(MATERIAL),
    "deadline": nullable(DATETIME),
    "deadline_provisional": {"type": "boolean", "description": "时限按暂定工作日历计算，国务院放假安排录入后可能调整"},
    "light": {"type": ["string", "null"], "enum": ["green", "yellow", "red", None]},
    "correction": nullable({"type": "object"}), "rejection_reason": nullable(string()),
    "outcome": {"type": ["string", "null"], "enum": ["not_accepted", "not_approved", None],
                "description": "驳回（rejected）的性质：not_accepted 不予受理（受理前）；"
                               "not_approved 不予批准（受理后）；未驳回为 null"},
    "rated": boolean(), "created_at": DATETIME, "updated_at": DATETIME, "timeline": array(ENTRY),
    "applicant": obj({"id": string(), "name_masked": nullable(string()), "id_number_masked": nullable(string()),
                      "phone_masked": string()}, ["id", "name_masked", "id_number_masked"],
                     description="申请人（仅工作人员可见；脱敏，完整信息须经审计的查看）"),
    "version": integer(),
}, ["id", "serial", "service_id", "service_name", "status", "timeline", "deadline", "created_at"])
CASES = list_of(CASE)
LIST_QUERY = obj({"status": STATUS, "department_id": string(maxLength=64),
                  "light": string(enum=["green", "yellow", "red"]), "cursor": string(maxLength=64),
                  "limit": integer(minimum=1, maximum=200),
                  "promise": string(enum=["open", "overdue"],
                                    description="容缺承诺：open 有未补齐的；overdue 已超过补齐期限的"),
                  "order": string(enum=["newest", "oldest"],
                                  description="newest 最新的在前（默认）；oldest 最早的在前（待办列表）"),
                  "serial": string(maxLength=32, description="办件编号：按编号精确查找"),
                  "q": string(minLength=2, maxLength=40,
                              description="办件编号、申请人完整姓名或完整身份证号（按密钥散列精确匹配）")})
COUNTS = obj({
    "items": array(obj({"status": STATUS, "count": integer(),
                        "oldest_at": nullable(DATETIME)}, ["status", "count", "oldest_at"]),
                   description="每个在办状态的办件数，及其中最早提交的时间"),
    "promises": obj({"open": integer(description="容缺材料待补齐"), "overdue": integer(description="容缺材料已逾期")},
                    ["open", "overdue"]),
}, ["items", "promises"])
INDICATORS = ["办事效率", "服务态度", "材料精简", "环境便利", "结果公正"]
RATING_IN = obj({"score": integer(minimum=1, maximum=5, description="1 非常不满意 … 5 非常满意"),
                 "comment": string(maxLength=500),
                 "indicators": array(string(enum=INDICATORS), maxItems=5, uniqueItems=True)}, ["score"])
RATING = obj({"id": string(), "application_id": string(), "serial": string(), "service_id": string(),
              "service_name": string(), "department_id": nullable(string()), "department_name": string(),
              "score": integer(), "level": string(),
              "comment": nullable(string()), "indicators": array(string()), "created_at": DATETIME,
              "rectification_id": nullable(string())}, ["id", "application_id", "score", "level", "created_at"])
RECTIFICATION = obj({"id": string(), "application_id": string(), "serial": string(), "service_name": string(),
                     "department_id": string(), "department_name": string(),
                     "score": integer(), "comment": nullable(string()),
                     "status": string(enum=["open", "replied", "closed"]),
                     "due": DATETIME, "reply": nullable(string()), "overdue": boolean(), "created_at": DATETIME},
                    ["id", "application_id", "status", "due"])
REPLY = obj({"reply": string(minLength=2, maxLength=1000, description="整改情况及对群众的答复")}, ["reply"])
CLOSE = obj({"note": string(maxLength=500)})
_DEPT_ROW = obj({
    "department_id": string(), "department_name": string(), "open": integer(), "green": integer(),
    "yellow": integer(), "red": integer(), "completed": integer(), "on_time_rate": nullable({"type": "number"}),
    "avg_handling_hours": nullable({"type": "number"}), "satisfaction": nullable({"type": "number"}),
    "ratings": integer()}, ["department_id", "open", "completed"])
SUMMARY = obj({"items": array(_DEPT_ROW), "departments": array(_DEPT_ROW), "green": integer(), "yellow": integer(),
               "red": integer(), "on_time_rate": nullable({"type": "number"}),
               "satisfaction": nullable({"type": "number"})},
              ["items", "departments", "green", "yellow", "red"])
TREND_QUERY = obj({"bucket": string(enum=["day", "week"], description="day 按日；week 按周（周一至周日），默认按周"),
                   "from": DATE, "to": DATE})
_TREND_ROW = obj({
    "start": DATE, "end": DATE, "label": string(description="如「12月第1周」「12月6日」"),
    "title": string(description="含起止日期或星期的完整说法"), "received": integer(description="收件数"),
    "completed": integer(description="办结数"), "overdue": integer(description="当期到期而未按时办结的办件数"),
    "ratings": integer(), "satisfaction": nullable({"type": "number", "description": "平均星级（满分 5）"})},
    ["start", "end", "label", "title", "received", "completed", "overdue", "ratings", "satisfaction"])
TREND = obj({"bucket": string(enum=["day", "week"]), "from": DATE, "to": DATE, "title": string(),
             "items": array(_TREND_ROW)}, ["bucket", "from", "to", "title", "items"])
