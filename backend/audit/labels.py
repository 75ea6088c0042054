"""Chinese words for the audit log: what each recorded ``action`` means, its ``outcome``, the kind
of thing it acted on, who did it when no person did, and the names of the fields in ``details``.

The staff console shows the log through these (``scripts/gen_tables.py`` writes its copy,
``console/js/audit-labels.js``); a test keeps every action the code records in ``ACTIONS``.
"""
from __future__ import annotations

from typing import Any

from backend.audit.values import Outcome

ACTIONS: dict[str, str] = {
    # Staff accounts and sessions
    "staff.login": "登录",
    "staff.locked": "账号锁定",
    "staff.logout": "退出登录",
    "staff.create": "新建账号",
    "staff.update": "修改账号",
    "staff.password.reset": "重置密码",
    "staff.password.change": "修改本人密码",
    "staff.unlock": "解除锁定",
    "staff.login_throttle.clear": "解除登录限制",
    # Residents' personal data
    "resident.identity.reveal": "查看完整身份信息",
    "resident.identify": "核验办事码",
    "resident.search": "查找群众",
    "authorization.grant": "授权代办",
    "authorization.licences": "代办人查看授权人电子证照",
    "authorization.revoke": "撤销代办授权",
    # Working calendar
    "calendar.year.enter": "录入年度放假安排",
    "calendar.year.effects": "按年度放假安排调整预约和时限",
    # Catalogue
    "catalogue.department.create": "新建部门",
    "catalogue.hall.create": "新建大厅",
    "catalogue.hall.update": "修改大厅",
    "catalogue.service.create": "新建事项",
    "catalogue.service.update": "修改事项",
    "life_event.put": "设置“一件事”",
    # Appointments and the hall queue
    "appointments.schedules.put": "设置排班",
    "appointments.exception.set": "设置例外日",
    "appointments.slots.release": "立即放号",
    "appointments.checkin": "预约签到",
    "appointments.no_show": "记为爽约",
    "appointments.closure": "闭厅取消预约",
    "appointments.ticket.walk_in": "现场取号",
    "appointments.ticket.call": "叫号",
    "appointments.ticket.recall": "重呼",
    "appointments.ticket.served": "办结排队号",
    "appointments.ticket.absent": "记为过号",
    "appointments.ticket.requeue": "过号后重排到队尾",
    "complaint.contact.reveal": "查看群众联系电话",
    # Cases (办件), one per move a staff member makes, and ratings
    "case.register": "窗口收件登记",
    "case.search": "查找办件",
    "case.file_for": "代办申请",
    "case.submitted": "重新提交",
    "case.accepted": "受理",
    "case.in_review": "开始审查",
    "case.correction_requested": "要求补正",
    "case.approved": "批准",
    "case.rejected": "不予批准（不予受理）",
    "case.completed": "办结",
    "case.withdrawn": "撤回",
    "case.material.review": "审核材料",
    "case.material.receive": "窗口收取容缺材料",
    "case.rate": "群众评价",
    "rectification.reply": "答复整改单",
    "rectification.close": "办结整改单",
    # Files and e-licences
    "file.view": "查看材料",
    "file.download": "下载材料",
    "file.thumbnail": "查看材料缩略图",
    "licence.view": "查看电子证照",
    "licence.revoke": "吊销电子证照",
    # 12345 complaints
    "complaint.assign": "分派诉求",
    "complaint.reply": "答复诉求",
    "complaint.merge": "合并诉求",
    "complaint.close": "办结诉求",
    "complaint.feedback": "群众反馈",
    # Payments
    "payment.create": "开具缴款单",
    "payment.paid": "支付到账",
    "payment.close": "关闭缴款单",
    "payment.refund.request": "申请退款",
    "payment.refund.success": "退款成功",
    "payment.refund.failed": "退款失败",
    "payment.late_payment_refund": "迟到支付原路退回",
    "payment.late_refund.success": "迟到支付退款成功",
    "payment.late_refund.failed": "迟到支付退款失败",
    "payment.reconcile": "对账",
    "payment.reconcile.acknowledge": "确认对账差异",
}

OUTCOMES: dict[str, str] = {
    Outcome.OK: "成功",
    Outcome.FAILED: "失败",
    Outcome.LOCKED: "账号已锁定",
    Outcome.THROTTLED: "登录受限",
    Outcome.DENIED: "已拒绝",
}

TARGETS: dict[str, str] = {
    "staff": "工作人员账号",
    "login_throttle": "登录限制",
    "resident": "群众",
    "authorization": "代办授权",
    "department": "部门",
    "hall": "大厅",
    "service": "事项",
    "life_event": "一件事",
    "appointment": "预约",
    "ticket": "排队号",
    "application": "办件",
    "case": "办件",
    "rectification": "整改单",
    "file": "材料",
    "licence": "电子证照",
    "complaint": "诉求",
    "payment": "缴款单",
    "reconciliation": "对账",
    "calendar_year": "年度放假安排",
}

# Who acted when no person did (``actor.type == "system"``): a job, the command line, or a payment
# channel and how it learned of the payment (``wechat-notice``).
SYSTEM_ACTORS: dict[str, str] = {
    "cli": "命令行",
    "payments": "支付服务",
    "appointments.sweep": "预约巡检",
    "calendar.effects": "工作日历",
    "wechat": "微信支付",
    "alipay": "支付宝",
    "notice": "支付通知",
    "query": "主动查询",
    "api": "退款查询",
}

# Field names in ``details`` (and in the ``changes`` and ``fields`` they carry).
FIELDS: dict[str, str] = {
    "reason": "原因",
    "handling": "办理关系",
    "note": "办理意见",
    "from": "原状态",
    "score": "评分",
    "username": "用户名",
    "display_name": "姓名",
    "roles": "角色",
    "hall_ids": "所属大厅",
    "status": "状态",
    "changes": "修改内容",
    "everywhere": "在所有设备上退出",
    "fields": "修改的项目",
    "code": "编码",
    "name": "名称",
    "address": "地址",
    "phone": "电话",
    "opening_hours": "开放时间",
    "closed_dates": "闭厅日期",
    "open_dates": "额外开放日",
    "other_day": "他日入账笔数",
    "grantor": "授权人",
    "count": "数量",
    "differences": "不一致的合计项",
    "year": "年度",
    "holidays": "放假天数",
    "workdays": "调休上班天数",
    "replaced": "是否替换已录入的安排",
    "appointments": "取消的预约数",
    "waitlist": "取消的候补数",
    "cases": "调整时限的办件数",
    "complaints": "调整时限的工单数",
    "windows": "窗口",
    "notice": "公告",
    "department_id": "部门",
    "life_events": "一件事",
    "keywords": "关键词",
    "frequent": "高频事项",
    "guide": "办事指南",
    "hall": "大厅",
    "hall_id": "大厅",
    "service_id": "事项",
    "services": "事项",
    "user_id": "群众账号",
    "date": "日期",
    "kind": "类型",
    "slots": "时段数",
    "ticket_number": "排队号",
    "window": "窗口号",
    "recalls": "重呼次数",
    "application_id": "办件",
    "amount_fen": "金额",
    "out_trade_no": "商户订单号",
    "transaction_id": "支付流水号",
    "refund_id": "退款单号",
    "request_id": "请求编号",
    "balanced": "是否平账",
    "missing": "缺少笔数",
    "extra": "多出笔数",
    "mismatched": "不一致笔数",
}

# Coded values some fields carry.
VALUES: dict[str, dict[str, str]] = {
    "reason": {"account_disabled": "账号已停用", "expired": "超时未支付", "staff": "工作人员关闭"},
    "kind": {"closed": "闭厅", "open": "加开"},
    "status": {"active": "正常", "disabled": "已停用", "inactive": "已停用"},
}

AUDIT_LABELS: dict[str, dict[str, Any]] = {
    "actions": ACTIONS,
    "outcomes": OUTCOMES,
    "targets": TARGETS,
    "system_actors": SYSTEM_ACTORS,
    "fields": FIELDS,
    "values": VALUES,
}
