"""The Chinese labels of the statuses of cases (办件) and their materials, keyed by the status members
(str: the stored values) in the order a thing moves through them. Registered through the domain's
vocabulary; the console's and mini-program's copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

from backend.cases.values import CaseStatus, MaterialSource, Outcome, PromiseStatus

CASE_STATUS: dict[str, str] = {
    CaseStatus.SUBMITTED: "已提交",
    CaseStatus.ACCEPTED: "已受理",
    CaseStatus.IN_REVIEW: "审查中",
    CaseStatus.CORRECTION_REQUESTED: "待补正",
    CaseStatus.APPROVED: "已批准",
    CaseStatus.REJECTED: "不予批准",
    CaseStatus.COMPLETED: "已办结",
    CaseStatus.WITHDRAWN: "已撤回",
}

# What a refused (``rejected``) case's refusal was: at intake, or after review. The case's view
# carries it as ``outcome``; show it in place of the status label whenever it is given.
CASE_OUTCOME: dict[str, str] = {
    Outcome.NOT_ACCEPTED: "不予受理",
    Outcome.NOT_APPROVED: "不予批准",
}

MATERIAL_SOURCE: dict[str, str] = {
    MaterialSource.FILE: "上传文件",
    MaterialSource.LICENCE: "电子证照",
    MaterialSource.PAPER: "窗口提交纸质材料",
    MaterialSource.DECLARED: "网上勾选（未上传，待窗口核验）",
    MaterialSource.SHARED: "一件事共享",
    MaterialSource.PROMISED: "容缺：承诺补齐",
}

PROMISE_STATUS: dict[str, str] = {
    PromiseStatus.OPEN: "待补齐",
    PromiseStatus.KEPT: "已补齐",
    PromiseStatus.WAIVED: "未补齐，已说明原因办结",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "case": CASE_STATUS,
    "case_outcome": CASE_OUTCOME,
    "material_source": MATERIAL_SOURCE,
    "promise": PROMISE_STATUS,
}
