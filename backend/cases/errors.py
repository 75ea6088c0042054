"""The errors of cases (办件): each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict, Forbidden


class NotOnline(Conflict):
    code = "not_online"
    message = "该事项不支持网上申报，请预约到大厅办理"


class AlreadyRated(Conflict):
    code = "already_rated"
    message = "该办件已评价"


class SubmissionKeyReused(Conflict):
    code = "submission_key_reused"
    message = "该请求号已用于另一次不同内容的提交，请重新提交"


class OpenCaseExists(Conflict):
    code = "open_case_exists"
    message = "该居民已有同一事项正在办理的办件，确认后仍可登记"


class PromiseOpen(Conflict):
    code = "promise_open"
    message = "容缺受理的材料尚未补齐：请先补齐，或写明仍予办结的原因"


class SeparationOfDuties(Forbidden):
    code = "separation_of_duties"
    message = "您收件或受理了该办件，不能再审批，须由另一位工作人员审批"


ALL = (SeparationOfDuties, NotOnline, AlreadyRated, SubmissionKeyReused, OpenCaseExists, PromiseOpen,)
