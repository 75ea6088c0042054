"""Request and response shapes of the working calendar."""
from backend.core.schema import DATETIME, array, boolean, integer, obj, string

# Dates are checked by the service, which names the day that does not exist.
DATE = string(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
DAY = obj({"date": DATE, "label": string(), "name": {"type": ["string", "null"]}}, ["date", "label"])
YEAR = obj({
    "year": integer(), "source": string(enum=["package", "entered", "provisional"]),
    "source_label": string(description="来源（中文）"), "holidays": array(DAY), "workdays": array(DAY),
    "editable": boolean(description="可由管理员录入（软件包已包含的年度不可录入）"),
    "entered_by": string(), "entered_at": DATETIME, "effects_applied": boolean(),
    "effects": obj({}, additionalProperties=integer()),
}, ["year", "source", "source_label", "holidays", "workdays", "editable"])
OVERVIEW = obj({"years": array(YEAR), "today": DATE,
                "warning": string(description="下一年度放假安排尚未录入等需要管理员处理的提示")}, ["years", "today"])
YEAR_IN = obj({
    "holidays": array(DATE, minItems=1, maxItems=60, description="放假日（含周末中的放假日）"),
    "workdays": array(DATE, maxItems=30, description="调休上班的周六、周日"),
    "names": obj({}, additionalProperties=string(minLength=1, maxLength=20), maxProperties=60, propertyNames=DATE,
                 description="可选：放假日 → 节日名称"),
    "notice": string(maxLength=200, description="依据的通知文号或标题"),
}, ["holidays", "workdays"])
PREVIEW = obj({
    "year": integer(), "closed_days": array(DAY), "opened_days": array(DAY),
    "appointments": integer(), "waitlist": integer(), "cases": integer(), "complaints": integer(),
    "summary": string(description="录入后将发生的变化（中文）"),
}, ["year", "closed_days", "opened_days", "appointments", "waitlist", "cases", "complaints", "summary"])
