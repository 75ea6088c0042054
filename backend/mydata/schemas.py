"""Request and response shapes of a resident's own data."""
from backend.core.schema import DATETIME, array, boolean, integer, obj, string

SECTION = obj({
    "key": string(description="类别（供程序使用）"),
    "title": string(description="类别名称"),
    "count": integer(minimum=0),
    "kept": boolean(description="注销后是否依法保留"),
    "on_cancel": string(description="注销时如何处理"),
    "items": array(obj({}, additional=True), description="该类别的记录，与各自接口返回的内容相同"),
}, ["key", "title", "count", "kept", "on_cancel", "items"])
DATA = obj({
    "resident_id": string(),
    "generated_at": DATETIME,
    "notice": string(),
    "sections": array(SECTION),
}, ["resident_id", "generated_at", "notice", "sections"])
CANCEL = obj({"confirm": boolean(description="已阅读注销说明并确认注销")}, ["confirm"])
CANCEL_CHECK = obj({"can_cancel": boolean(), "reasons": array(string(), description="暂不能注销的原因")},
                   ["can_cancel", "reasons"])
CANCELLED = obj({"cancelled": boolean()}, ["cancelled"])
