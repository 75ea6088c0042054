"""What people read. Every message kind in every channel (inbox, SMS, WeChat subscribe message) is
rendered with payloads shaped as their domains write them, and with the real events of real flows:
no blank where a value belongs, no machine time, every WeChat field within its type's rule. A
missing value is an error, never a blank."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from backend.core import phrasing as messages
from backend.core.clock import UTC
from backend.core.phrasing import TEMPLATES, MissingField
from backend.core.wechat_fields import FieldRuleError, broken, fit
from backend.lexicon import lexicon
from notify.messages import Messages
from tests.support import Api, AppServer, new_resident, staff_login
from tests.support_appointments import local_today, make_bookable, open_day, slots
from tests.support_cases import consent, eventually, inbox, move, outbox_rows, submit, wechat_messages
from tests.support_payments import confirm_wechat, create_order, pay_wechat, prepay_id

AT = dt.datetime(2026, 11, 30, 2, 15, tzinfo=UTC)  # 10:15 on Monday 30 November in Shanghai

# Every domain's events, rendered as notify renders them.
WORDS = lexicon()
MESSAGES = Messages(WORDS)
render, staff_alert, template_key, page_of = MESSAGES.render, MESSAGES.staff_alert, MESSAGES.template_key, \
    MESSAGES.page_of
KINDS = sorted(e.kind for e in WORDS.events() if e.words is not None)
TEMPLATE_FIELDS = {t.key: t.fields for t in TEMPLATES}

CASE = {"application_id": "6650a1f0c2a4b5d6e7f80911", "serial": "ZJB20261130000017",
        "service_name": "户口迁入（投靠配偶）", "status": "accepted", "note": "材料齐全，予以受理"}
APPOINTMENT = {"appointment_id": "6650a1f0c2a4b5d6e7f80912", "code": "K7PX3M9Q", "service_name": "居民身份证换领",
               "hall_name": "市民之家政务服务大厅", "start": "2026-12-01T10:00:00+08:00",
               "end": "2026-12-01T11:00:00+08:00"}
PAYMENT = {"payment_id": "6650a1f0c2a4b5d6e7f80913", "application_id": CASE["application_id"],
           "serial": CASE["serial"], "service_name": "不动产登记", "amount_fen": 12050}

COMPLAINT = {"complaint_id": "6650a1f0c2a4b5d6e7f80917", "serial": "GD20261130000021", "category": "投诉",
             "status": "received"}
BUNDLE = {"bundle_id": "6650a1f0c2a4b5d6e7f80919", "serial": "YJS20261130000004", "name": "新生儿出生一件事",
          "count": 4}

# Each kind with a payload in the shape its domain emits it (cases, appointments, payments).
SAMPLES = {
    "case.status_changed": CASE,
    "complaint.due_changed": {**COMPLAINT, "category": "投诉", "old_due": "2027-02-05T23:59:59+08:00",
                              "due": "2027-02-15T23:59:59+08:00", "reason": "按国务院办公厅公布的2027年节假日安排放假"},
    "case.deadline_changed": {**CASE, "old_deadline": "2027-02-05T23:59:59+08:00",
                              "deadline": "2027-02-18T23:59:59+08:00", "provisional": False,
                              "reason": "按国务院办公厅公布的2027年节假日安排放假"},
    "case.correction_requested": {**CASE, "status": "correction_requested", "note": "需补正：合法稳定住所证明",
                                  "missing": ["合法稳定住所证明", "结婚证"], "due": "2026-12-15"},
    "rating.invited": {**CASE, "status": "rejected", "note": ""},
    "case.promise_due": {"application_id": CASE["application_id"], "serial": CASE["serial"],
                         "service_name": CASE["service_name"], "material": "合法稳定住所证明",
                         "due": "2026-12-15T23:59:59+08:00"},
    "case.rectification_reply": {"application_id": CASE["application_id"], "serial": CASE["serial"],
                                 "service_name": CASE["service_name"],
                                 "reply": "已增开两个窗口，高峰期等候缩短到二十分钟以内。"},
    "appointment.booked": APPOINTMENT,
    "appointment.reminder": {**APPOINTMENT, "minutes_before": 60},
    "appointment.cancelled": APPOINTMENT,
    "appointment.waitlist_offer": {"waitlist_id": "6650a1f0c2a4b5d6e7f80914", "slot_id": "6650a1f0c2a4b5d6e7f80915",
                                   "service_name": "居民身份证换领", "hall_name": "市民之家政务服务大厅",
                                   "start": "2026-12-01T10:00:00+08:00", "offer_until": "2026-11-30T18:15:00+08:00"},
    "appointment.no_show": APPOINTMENT,
    "appointment.checked_in": {**APPOINTMENT, "ticket_number": "B004", "ahead": 2},
    "appointment.turn_near": {**APPOINTMENT, "ticket_number": "B004", "ahead": 3},
    "appointment.called": {**APPOINTMENT, "ticket_number": "B004", "window_number": "05"},
    "appointment.booking_blocked": {**APPOINTMENT, "blocked_until": "2027-02-28T10:00:00+08:00",
                                    "reason": "30 天内爽约 2 次"},
    "appointment.cancelled_by_centre": {**APPOINTMENT, "service_id": "6650a1f0c2a4b5d6e7f8091a",
                                        "reason": "大厅设备检修"},
    "appointment.waitlist_cancelled_by_centre": {"waitlist_id": "6650a1f0c2a4b5d6e7f80914",
                                                 "slot_id": "6650a1f0c2a4b5d6e7f80915",
                                                 "service_id": "6650a1f0c2a4b5d6e7f8091a",
                                                 "service_name": "居民身份证换领", "hall_name": "市民之家政务服务大厅",
                                                 "start": "2026-12-01T10:00:00+08:00", "reason": "元旦放假"},
    "payment.created": PAYMENT,
    "payment.paid": {**PAYMENT, "channel": "wechat", "paid_at": "2026-11-30T02:10:00+00:00"},
    "payment.refunded": {**PAYMENT, "refund_fen": 5000, "refunded_fen": 5000, "status": "refunded"},
    "payment.closed": {**PAYMENT, "reason": "expired"},
    "receipt.issued": {**PAYMENT, "receipt_id": "6650a1f0c2a4b5d6e7f80916", "code": "11010126", "number": "0000000123"},
    "complaint.received": {**COMPLAINT, "due": "2026-12-01T15:59:59+00:00"},
    "complaint.assigned": {**COMPLAINT, "status": "assigned", "department_name": "市不动产登记中心",
                           "due": "2026-12-07T15:59:59+00:00"},
    "complaint.replied": {**COMPLAINT, "status": "replied", "replied_by": "市不动产登记中心",
                          "reply": "道闸已于今日修复，感谢您的监督", "close_after_days": 7},
    "complaint.merged": {**COMPLAINT, "status": "closed", "master_serial": "GD20261129000003"},
    "complaint.reopened": {**COMPLAINT, "status": "assigned", "returned_to": "市不动产登记中心",
                           "due": "2026-12-07T15:59:59+00:00"},
    "complaint.closed": {**COMPLAINT, "status": "closed", "reason": "no_feedback", "close_after_days": 7},
    "bundle.submitted": BUNDLE,
    "bundle.completed": {**BUNDLE, "status": "partly_completed"},
    "bundle.progress": {"bundle_id": BUNDLE["bundle_id"], "serial": BUNDLE["serial"], "name": BUNDLE["name"],
                        "status": "accepted"},
    "licence.issued": {"licence_id": "6650a1f0c2a4b5d6e7f8091b", "name": "结婚证", "number": "JH2026000123",
                       "expires_at": None, "serial": CASE["serial"], "service_name": "结婚登记"},
    "licence.revoked": {"licence_id": "6650a1f0c2a4b5d6e7f8091b", "name": "结婚证", "number": "JH2026000123",
                        "reason": "登记信息有误，依法撤销"},
    "authorization.granted": {"authorization_id": "6650a1f0c2a4b5d6e7f80918", "grantor_name": "李*",
                              "services": ["户口迁入（投靠落户）"], "expires_at": "2026-12-30T02:15:00+00:00"},
    "authorization.revoked": {"authorization_id": "6650a1f0c2a4b5d6e7f80918", "grantor_name": "李*"},
    "identity.realname_reclaimed": {"id_number_masked": "1101**********002X"},
    "identity.realname_released": {"id_number_masked": "1101**********002X"},
    "authorization.used": {"authorization_id": "6650a1f0c2a4b5d6e7f80918", "application_id": CASE["application_id"],
                           "serial": CASE["serial"], "service_name": CASE["service_name"], "agent_role": "帮办员",
                           "agent_name": "王**"},
}

# What each kind cannot be worded without.
REQUIRED = {
    "case.status_changed": ["serial", "service_name", "status"],
    "case.correction_requested": ["serial", "service_name", "missing", "due"],
    "case.deadline_changed": ["serial", "service_name", "status", "old_deadline", "deadline", "reason"],
    "complaint.due_changed": ["serial", "old_due", "due", "reason"],
    "rating.invited": ["serial", "service_name", "status"],
    "case.promise_due": ["serial", "service_name", "material", "due"],
    "case.rectification_reply": ["serial", "service_name", "reply"],
    "appointment.booked": ["service_name", "hall_name", "start", "code"],
    "appointment.reminder": ["service_name", "hall_name", "start", "code"],
    "appointment.cancelled": ["service_name", "hall_name", "start", "code"],
    "appointment.waitlist_offer": ["service_name", "hall_name", "start", "offer_until"],
    "appointment.no_show": ["service_name", "hall_name", "start", "code"],
    "appointment.booking_blocked": ["service_name", "hall_name", "start", "blocked_until", "reason"],
    "appointment.cancelled_by_centre": ["service_name", "hall_name", "start", "code", "reason", "appointment_id"],
    "appointment.waitlist_cancelled_by_centre": ["service_name", "hall_name", "start", "reason", "service_id"],
    "appointment.checked_in": ["service_name", "hall_name", "start", "ticket_number", "ahead"],
    "appointment.turn_near": ["service_name", "hall_name", "start", "ticket_number", "ahead"],
    "appointment.called": ["service_name", "hall_name", "start", "ticket_number", "window_number"],
    "payment.created": ["service_name", "serial", "amount_fen"],
    "payment.paid": ["service_name", "serial", "amount_fen"],
    "payment.refunded": ["service_name", "serial", "refund_fen"],
    "payment.closed": ["service_name", "serial", "amount_fen"],
    "receipt.issued": ["service_name", "serial", "amount_fen", "number"],
    "complaint.received": ["serial", "category", "due"],
    "complaint.assigned": ["serial", "category", "department_name", "due"],
    "complaint.replied": ["serial", "category", "replied_by", "reply", "close_after_days"],
    "complaint.merged": ["serial", "category", "master_serial"],
    "complaint.reopened": ["serial", "category", "returned_to", "due"],
    "complaint.closed": ["serial", "category", "reason", "close_after_days"],
    "bundle.submitted": ["serial", "name", "count"],
    "bundle.completed": ["serial", "name", "status", "count"],
    "bundle.progress": ["serial", "status"],
    "licence.issued": ["name", "number"],
    "licence.revoked": ["name", "number", "reason"],
    "authorization.granted": ["grantor_name", "expires_at"],
    "authorization.revoked": ["grantor_name"],
    "identity.realname_reclaimed": ["id_number_masked"],
    "identity.realname_released": ["id_number_masked"],
    "authorization.used": ["serial", "service_name", "agent_role", "agent_name"],
}

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}|T\d{2}:\d{2}|[+-]\d{2}:\d{2}\b|\d{2}:\d{2}:\d{2}")
_BLANKS = ("“”", "（）", "()", "：。", "，。", "，，", "  ", " 。", " ，", "None", "null", "{", "}")
_ZERO = re.compile(r"(?<![\d.])0\.00元|¥0\.00")


def assert_readable(text: str) -> None:
    """Finished Chinese for a person: nothing left blank, no machine time."""
    assert text and text == text.strip(), repr(text)
    for blank in _BLANKS:
        assert blank not in text, (blank, text)
    assert not _ISO.search(text), text
    assert not _ZERO.search(text), text
    assert not text.endswith(("：", "，", "、")), text


def test_every_kind_has_a_sample_and_its_required_values() -> None:
    assert set(SAMPLES) == set(KINDS) == set(REQUIRED)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_reads_completely_in_every_channel(kind: str) -> None:
    w = render(kind, SAMPLES[kind], AT)
    for text in (w.title, w.text, w.sms):
        assert_readable(text)
    assert w.sms.startswith("【指尖办】")
    key = template_key(kind)
    assert w.template == key
    if key is None:
        assert w.wechat == {}
        return
    data = w.wechat_data()
    assert list(data) == list(TEMPLATE_FIELDS[key])
    assert broken(data) == []
    for field, item in data.items():
        if not field.startswith(("time", "amount")):
            assert_readable(item["value"])


@pytest.mark.parametrize("kind,name", [(k, n) for k, names in REQUIRED.items() for n in names])
def test_a_missing_value_is_an_error_never_a_blank(kind: str, name: str) -> None:
    for value in (None, "", []):
        payload = {**SAMPLES[kind], name: value}
        with pytest.raises(MissingField) as e:
            render(kind, payload, AT)
        assert e.value.name == name
    payload = {k: v for k, v in SAMPLES[kind].items() if k != name}
    with pytest.raises(MissingField):
        render(kind, payload, AT)


def test_an_unknown_status_or_kind_has_no_words() -> None:
    with pytest.raises(MissingField):
        render("case.status_changed", {**CASE, "status": "archived"}, AT)
    with pytest.raises(messages.UnknownKind):
        render("something.new", CASE, AT)


def test_the_words_say_what_happened() -> None:
    assert render("appointment.waitlist_offer", SAMPLES["appointment.waitlist_offer"], AT).text == (
        "您候补的“居民身份证换领”（12月1日（周二）10:00，市民之家政务服务大厅）有了空位，已为您保留。"
        "请于11月30日（周一）18:15前在小程序中确认，逾期将让给下一位。")
    assert render("appointment.booking_blocked", SAMPLES["appointment.booking_blocked"], AT).text == (
        "因30天内爽约2次，您的网上预约暂停至2027年2月28日（周日）10:00。期间仍可到大厅现场取号办理。")
    reply = render("case.rectification_reply", SAMPLES["case.rectification_reply"], AT)
    assert reply.title == "评价整改答复" and "已增开两个窗口" in reply.text
    assert render("payment.refunded", SAMPLES["payment.refunded"], AT).wechat_data()["amount2"]["value"] == "¥50.00"
    progress = render("case.status_changed", CASE, AT).wechat_data()
    assert progress["phrase2"]["value"] == "已受理" and progress["time4"]["value"] == "2026年11月30日 10:15"
    rejected = render("rating.invited", SAMPLES["rating.invited"], AT)
    assert "不予批准" in rejected.text and rejected.wechat_data()["phrase3"]["value"] == "不予批准"
    reminder = render("rating.invited", {**CASE, "status": "completed", "reminder": True}, AT)
    assert "您还没有评价" in reminder.text


def test_times_are_written_as_residents_say_them() -> None:
    assert messages.when(dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC), AT) == "12月1日（周二）10:00"
    assert messages.when(dt.datetime(2027, 1, 4, 1, 30, tzinfo=UTC), AT) == "2027年1月4日（周一）09:30"
    assert messages.day(dt.date(2026, 12, 15), AT) == "12月15日（周二）"
    assert messages.wechat_time(dt.datetime(2026, 11, 30, 16, 5, tzinfo=UTC)) == "2026年12月1日 00:05"
    assert messages.yuan(12050) == "120.50元" and messages.yuan(0) == "0.00元"


def test_wechat_values_are_fitted_to_their_field_rules_or_refused() -> None:
    long = "关于户口迁入（投靠配偶）的补正材料清单与说明事项"
    assert fit("thing5", long) == long[:19] + "…" and len(fit("thing5", long)) == 20
    assert fit("thing1", " 材料\n齐全\u202e ") == "材料 齐全"
    assert fit("character_string3", "ZJB-2026 编号 0001") == "ZJB-20260001"
    assert len(fit("character_string3", "A" * 40)) == 32
    assert fit("phrase2", "已受理") == "已受理"
    for bad in ("办件进度更", "accepted", "已受理了吗", "审查中1", "未通过"):
        with pytest.raises(FieldRuleError):
            fit("phrase2", bad)
    assert fit("time4", "2026年12月1日 10:00") == "2026年12月1日 10:00"
    for bad in ("2026-12-01T10:00:00+08:00", "明天上午"):
        with pytest.raises(FieldRuleError):
            fit("time4", bad)
    assert fit("amount2", "¥120.50") == "¥120.50"
    for bad in ("120.50元", "¥12345678901"):
        with pytest.raises(FieldRuleError):
            fit("amount2", bad)
    assert fit("name1", "阿依古丽·买买提") == "阿依古丽·买买提"
    with pytest.raises(FieldRuleError):
        fit("name1", "欧阳春晓欧阳春晓欧阳春晓")
    with pytest.raises(FieldRuleError):
        fit("thing1", "   ")
    assert broken({"thing1": {"value": "x" * 21}, "phrase2": {"value": "办件进度更"}, "time4": {"value": "10:00"}}) \
        == ["thing1: 'xxxxxxxxxxxxxxxxxxxxx' needs fitting",
            "phrase2: '办件进度更' is not a status word of ≤ 5 Chinese characters"]


def test_staff_alerts_read_completely() -> None:
    case = {"serial": CASE["serial"], "service_name": CASE["service_name"]}
    deadline = dt.datetime(2026, 12, 3, 15, 59, 59, tzinfo=UTC)
    yellow = staff_alert("supervision.yellow", {**case, "deadline": deadline}, AT)
    red = staff_alert("supervision.red", {**case, "deadline": deadline}, AT)
    rect = staff_alert("rectification.opened", {**case, "score": 1, "due": dt.datetime(2026, 12, 7, 15, 59, 59,
                                                                                       tzinfo=UTC)}, AT)
    for text in (yellow, red, rect):
        assert_readable(text)
    assert "12月3日（周四）23:59" in yellow and "已超过办结时限" in red and "12月7日（周一）前" in rect
    with pytest.raises(MissingField):
        staff_alert("supervision.red", case, AT)
    complaint = {"serial": COMPLAINT["serial"], "category": "投诉", "responsible": "12345热线", "stage": "assign",
                 "due": "2026-12-01T15:59:59+00:00"}
    yellow = staff_alert("complaint.yellow", complaint, AT)
    red = staff_alert("complaint.red", {**complaint, "stage": "reply", "responsible": "市不动产登记中心"}, AT)
    for text in (yellow, red):
        assert_readable(text)
    assert "12月1日（周二）23:59到期，请12345热线抓紧分派" in yellow and "已超过答复时限" in red
    with pytest.raises(MissingField):
        staff_alert("complaint.red", {**complaint, "stage": "later"}, AT)


def test_real_events_of_real_flows_read_completely_everywhere(api: Api, server: AppServer) -> None:
    """A resident applies, corrects, is rated and refunded nothing, books and cancels, pays and gets a
    receipt; every event those flows wrote reads completely in the inbox, the SMS text and WeChat."""
    clerk = staff_login(api, role="clerk")["access_token"]
    approver = staff_login(api, role="approver")["access_token"]
    r = new_resident(api, verified=True)
    for key in ("case_progress", "rating", "appointment", "payment"):
        consent(api, r, key, n=20)
    case = submit(api, r)
    assert move(api, clerk, case["id"], "correction_requested", missing=["合法稳定住所证明"]).status_code == 200
    assert api.post(f"/api/v1/applications/{case['id']}/resubmit", {"materials": ["housing"]},
                    token=r.access_token).status_code == 200
    for to, token in (("accepted", clerk), ("in_review", clerk), ("approved", approver)):
        assert move(api, token, case["id"], to).status_code == 200
    assert move(api, clerk, case["id"], "completed", note="证件已制好，请到窗口领取").status_code == 200
    rated = api.post(f"/api/v1/applications/{case['id']}/rating", {"score": 1, "comment": "等候太久"},
                     token=r.access_token).json()
    sup = staff_login(api, role="supervisor")["access_token"]
    assert api.post(f"/api/v1/staff/rectifications/{rated['rectification_id']}/reply", {"reply": "已增开窗口"},
                    token=clerk).status_code == 200
    refused = submit(api, r)
    assert move(api, clerk, refused["id"], "rejected", reason="不符合投靠落户条件").status_code == 200
    b = make_bookable(api)
    day = local_today(server) + dt.timedelta(days=2)
    open_day(api, b, day)
    booked = api.post("/api/v1/appointments", {"slot_id": slots(api, b, day)[0]["id"]}, token=r.access_token)
    assert booked.status_code == 201, booked.text
    assert api.post(f"/api/v1/appointments/{booked.json()['id']}/cancel", token=r.access_token).status_code == 200
    _, order = create_order(api, server, resident=r)
    confirm_wechat(api, prepay_id(pay_wechat(api, r, order["id"])))

    expected = {"case.status_changed", "case.correction_requested", "rating.invited", "case.rectification_reply",
                "appointment.booked", "appointment.cancelled", "payment.created", "payment.paid", "receipt.issued"}
    eventually(lambda: expected <= {m["kind"] for m in outbox_rows(server, r.id)})

    def due() -> list[dict]:
        return [m for m in outbox_rows(server, r.id) if m["status"] != "skipped" and "reminder" not in m["kind"]]
    eventually(lambda: all(m["status"] == "delivered" for m in due()), timeout=30)
    rows = outbox_rows(server, r.id)
    delivered = due()
    words = {str(m["_id"]): render(m["kind"], m["payload"], m["created_at"]) for m in rows}
    for w in words.values():
        for text in (w.title, w.text, w.sms):
            assert_readable(text)
    got = {m["id"]: m for m in inbox(api, r)}
    assert len(got) == len(delivered)
    for mid, m in got.items():
        assert (m["title"], m["text"]) == (words[mid].title, words[mid].text)
    pushed = wechat_messages(api, r.openid)
    assert len(pushed) == len([m for m in delivered if template_key(m["kind"])])
    for p in pushed:
        assert broken(p["data"]) == []
        assert all(v["value"] for v in p["data"].values())
    alerts = api.get("/api/v1/staff/inbox", token=sup).json()["items"]
    opened = [a for a in alerts if a["application_id"] == case["id"] and a["kind"] == "rectification.opened"]
    assert len(opened) == 1
    assert_readable(opened[0]["text"])


def test_each_kind_is_one_domains_and_notify_names_none() -> None:
    from pathlib import Path

    from backend.core.phrasing import Event
    from backend.core.words import Lexicon, Vocabulary

    twice = Vocabulary("elsewhere", events=(Event("case.status_changed"),))
    with pytest.raises(ValueError, match="event case.status_changed"):
        Lexicon([*WORDS.vocabularies, twice])
    notify = "\n".join(p.read_text(encoding="utf-8") for p in Path("notify").glob("*.py"))
    assert [e.kind for e in WORDS.events() if f'"{e.kind}"' in notify] == []
    assert WORDS.event("case.status_changed") is not None and WORDS.event("something.new") is None
