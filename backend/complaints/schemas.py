"""Request and response shapes of complaints (12345 工单)."""
from backend.complaints.labels import CATEGORIES
from backend.complaints.store import STATUSES
from backend.core.schema import DATETIME, ID, array, boolean, integer, list_of, nullable, obj, string

STATUS = string(enum=STATUSES)
LIGHT = {"type": ["string", "null"], "enum": ["green", "yellow", "red", None]}
SUBMIT = obj({
    "category": string(enum=list(CATEGORIES),
                       description="complaint 投诉、request 求助、suggestion 建议、consultation 咨询"),
    "content": string(minLength=5, maxLength=2000, description="反映的问题或诉求"),
    "location": nullable(string(maxLength=200, description="发生地点（选填）")),
    "attachments": array(ID, maxItems=9, uniqueItems=True, description="照片等附件：已上传材料的编号"),
    "contact_ok": boolean(description="是否同意承办人员联系本人"),
    "contact_phone": nullable(string(pattern="^1[3-9][0-9]{9}$",
                                     description="联系电话（同意联系时填写；只有正在办理的工作人员能看到完整号码）")),
}, ["category", "content"])
CONTACT = obj({"phone": string(), "serial": string()}, ["phone", "serial"])
FEEDBACK = obj({"satisfied": boolean(), "comment": string(maxLength=500)}, ["satisfied"])
ASSIGN = obj({"department_id": ID, "note": string(maxLength=200, description="分派说明（选填）")}, ["department_id"])
REPLY = obj({"reply": string(minLength=5, maxLength=2000, description="答复内容")}, ["reply"])
MERGE = obj({"into": string(minLength=1, maxLength=40, description="重复反映的原工单号")}, ["into"])
ENTRY = obj({"status": STATUS, "at": DATETIME, "note": nullable(string()),
             "actor": obj({"type": string(), "id": string(), "name": string()})}, ["status", "at", "note"])
COMPLAINT = obj({
    "id": string(), "serial": string(), "category": string(enum=list(CATEGORIES)), "category_name": string(),
    "content": string(), "location": nullable(string()), "attachments": array(string()), "contact_ok": boolean(),
    "contact_phone_masked": nullable(string(description="联系电话（打码；工作人员可见，完整号码经留痕查看）")),
    "status": STATUS, "status_name": string(), "due": nullable(DATETIME), "light": LIGHT,
    "due_provisional": {"type": "boolean", "description": "时限按暂定工作日历计算，国务院放假安排录入后可能调整"},
    "stage": {"type": ["string", "null"], "enum": ["assign", "reply", None]},
    "department_id": nullable(string()), "department_name": nullable(string()),
    "reply": nullable(obj({"text": string(), "at": DATETIME, "by": string()}, ["text", "at", "by"])),
    "feedback": nullable(obj({"satisfied": boolean(), "comment": nullable(string()), "at": DATETIME},
                             ["satisfied", "at"])),
    "can_feedback": boolean(), "reopened": boolean(),
    "merged_into": nullable(obj({"serial": string(), "id": string()}, ["serial"])),
    "close_at": nullable(DATETIME), "created_at": DATETIME, "updated_at": DATETIME, "timeline": array(ENTRY),
    "version": integer(), "on_time": nullable(boolean()),
}, ["id", "serial", "category", "content", "status", "due", "reply", "created_at"])
COMPLAINTS = list_of(COMPLAINT)
MY_QUERY = obj({"cursor": string(maxLength=64), "limit": integer(minimum=1, maximum=100)})
STAFF_QUERY = obj({"status": STATUS, "department_id": string(maxLength=64),
                   "light": string(enum=["green", "yellow", "red"]), "cursor": string(maxLength=64),
                   "limit": integer(minimum=1, maximum=200),
                   "order": string(enum=["newest", "oldest"],
                                   description="newest 最新的在前（默认）；oldest 最早的在前（待办列表）"),
                   "q": string(minLength=2, maxLength=40,
                               description="工单编号、反映人完整姓名或完整身份证号（按密钥散列精确匹配）；"
                                           "给出时不再按状态等筛选")})
COUNTS = obj({"items": array(obj({"status": string(enum=["received", "assigned"]), "count": integer(),
                                  "oldest_at": nullable(DATETIME)}, ["status", "count", "oldest_at"]),
                             description="待分派和办理中的工单数，及其中最早收到的时间")}, ["items"])
FIGURES = list_of(obj({
    "department_id": nullable(string()), "department_name": string(), "received": integer(), "open": integer(),
    "replied": integer(), "on_time": integer(), "on_time_rate": nullable({"type": "number"}),
    "feedback": integer(), "satisfied": integer(), "satisfaction": nullable({"type": "number"}),
}, ["department_id", "department_name", "received", "on_time", "satisfaction"]))
