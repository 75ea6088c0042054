"""The Chinese labels of the statuses of cases (办件) and their materials, keyed by the stored status in the order a
thing moves through them. Registered through the domain's vocabulary; the console's and mini-program's
copies are generated from the registry (``scripts/gen_tables.py``)."""
from __future__ import annotations

CASE_STATUS = {
    "submitted": "已提交",
    "accepted": "已受理",
    "in_review": "审查中",
    "correction_requested": "待补正",
    "approved": "已批准",
    "rejected": "不予批准",
    "completed": "已办结",
    "withdrawn": "已撤回",
}

# What a refused (``rejected``) case's refusal was: at intake, or after review. The case's view
# carries it as ``outcome``; show it in place of the status label whenever it is given.
CASE_OUTCOME = {
    "not_accepted": "不予受理",
    "not_approved": "不予批准",
}

MATERIAL_SOURCE = {
    "file": "上传文件",
    "licence": "电子证照",
    "paper": "窗口提交纸质材料",
    "declared": "网上勾选（未上传，待窗口核验）",
    "shared": "一件事共享",
    "promised": "容缺：承诺补齐",
}

PROMISE_STATUS = {
    "open": "待补齐",
    "kept": "已补齐",
    "waived": "未补齐，已说明原因办结",
}

# Each table by the kind of thing it labels (the generated JavaScript tables use these names).
TABLES: dict[str, dict[str, str]] = {
    "case": CASE_STATUS,
    "case_outcome": CASE_OUTCOME,
    "material_source": MATERIAL_SOURCE,
    "promise": PROMISE_STATUS,
}
