"""One error hierarchy, and the catalogue of every error code the API answers with.

Services raise these; ``ApiHandler.write_error`` turns them into the contract's shape
``{"error": {"code", "message", "details"}}`` in one place. ``code`` is stable, for machines;
``message`` is Chinese, for people.

Every code is a class below with its HTTP status and default message: ``raise SlotFull()``, or
with a message fitted to the case, ``raise SlotFull("该时段已约满")``. Raising a base class with a
code (``Conflict("…", code="slot_full")``) names the same catalogue entry: its status and, when no
message is given, its message apply. ``catalogue()`` lists the entries; the OpenAPI document and
the mini-program's and console's message tables (``scripts/gen_tables.py``) are made from it, and
a test checks that every code raised in the code base is here.
"""
from __future__ import annotations

from typing import Any

_BY_CODE: dict[str, type["AppError"]] = {}


class AppError(Exception):
    http_status = 400
    code = "bad_request"
    message = "请求有误"

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "code" in cls.__dict__:
            if cls.code in _BY_CODE:
                raise TypeError(f"error code {cls.code!r} is defined twice "
                                f"({_BY_CODE[cls.code].__name__}, {cls.__name__})")
            _BY_CODE[cls.code] = cls

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 details: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        entry = _BY_CODE.get(code) if code else None
        if code:
            self.code = code
        if entry is not None:
            self.http_status = entry.http_status
        self.message = message or (entry or type(self)).message
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(f"{self.code}: {self.message}")

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


_BY_CODE[AppError.code] = AppError


def catalogue() -> list[dict[str, Any]]:
    """Every error code, by code: ``[{"code", "status", "message"}, ...]``."""
    return [{"code": code, "status": cls.http_status, "message": cls.message}
            for code, cls in sorted(_BY_CODE.items())]


def lookup(code: str) -> type[AppError] | None:
    """The catalogue class of ``code``, or None."""
    return _BY_CODE.get(code)


# --- Generic errors, one per status ----------------------------------------------------------

class InvalidInput(AppError):
    """400 with ``details.fields = {field: reason}``."""
    http_status = 400
    code = "invalid_input"
    message = "请求内容有误，请检查后重试"

    def __init__(self, fields: dict[str, str] | None = None, message: str | None = None, **kw: Any):
        details = kw.pop("details", {}) or {}
        if fields:
            details = {**details, "fields": fields}
        super().__init__(message, details=details, **kw)


class Unauthenticated(AppError):
    http_status = 401
    code = "unauthenticated"
    message = "请先登录"


class Forbidden(AppError):
    http_status = 403
    code = "forbidden"
    message = "无权进行此操作"


class NotFound(AppError):
    http_status = 404
    code = "not_found"
    message = "未找到相关内容"


class MethodNotAllowed(AppError):
    http_status = 405
    code = "method_not_allowed"
    message = "不支持该请求方法"


class Conflict(AppError):
    """409: a state conflict. Raise the specific class (``SlotFull``, ``InvalidState``)."""
    http_status = 409
    code = "conflict"
    message = "操作与当前状态冲突，请刷新后重试"


class InvalidState(Conflict):
    code = "invalid_state"
    message = "当前状态下不能进行此操作"


class PayloadTooLarge(AppError):
    http_status = 413
    code = "payload_too_large"
    message = "请求内容过大"


class UnsupportedMediaType(AppError):
    http_status = 415
    code = "unsupported_media_type"
    message = "请求内容须为 JSON（Content-Type: application/json）"


class RateLimited(AppError):
    http_status = 429
    code = "rate_limited"
    message = "操作过于频繁，请稍后再试"

    def __init__(self, retry_after: int, message: str | None = None, **kw: Any):
        retry_after = max(1, int(retry_after))
        details = {**(kw.pop("details", {}) or {}), "retry_after_seconds": retry_after}
        super().__init__(message, details=details, headers={"Retry-After": str(retry_after)}, **kw)


class InternalError(AppError):
    http_status = 500
    code = "internal_error"
    message = "系统繁忙，请稍后再试"


class ProviderError(AppError):
    """An outside provider failed or answered something we cannot use."""
    http_status = 502
    code = "provider_error"
    message = "外部服务暂时不可用，请稍后再试"


class ServiceUnavailable(AppError):
    http_status = 503
    code = "service_unavailable"
    message = "服务暂时不可用，请稍后再试"


# --- Accounts and identity -------------------------------------------------------------------

class AccountDisabled(Forbidden):
    code = "account_disabled"
    message = "账号已停用，请联系政务服务中心"


class AccountLocked(Forbidden):
    code = "account_locked"
    message = "登录失败次数过多，账号已暂时锁定"


class UsernameTaken(Conflict):
    code = "username_taken"
    message = "用户名已存在"


class SelfLockout(Conflict):
    code = "self_lockout"
    message = "不能停用自己或取消自己的管理员角色"


class RealnameRequired(Forbidden):
    code = "realname_required"
    message = "请先完成实名认证"


class RealnameMismatch(InvalidInput):
    code = "realname_mismatch"
    message = "姓名与身份证号不一致，请核对后重试"


class RealnameAlreadyBound(Conflict):
    code = "realname_already_bound"
    message = "账号已完成实名认证，不能更换身份证号"


class IdNumberAlreadyBound(Conflict):
    code = "id_number_already_bound"
    message = "该身份证号已绑定其他微信账号"


# --- Catalogue and cases ---------------------------------------------------------------------

class CodeTaken(Conflict):
    code = "code_taken"
    message = "该编码已被使用"


class NotOnline(Conflict):
    code = "not_online"
    message = "该事项不支持网上申报，请预约到大厅办理"


class AlreadyRated(Conflict):
    code = "already_rated"
    message = "该办件已评价"


class CalendarChanged(Conflict):
    code = "calendar_changed"
    message = "该年度放假安排刚被他人修改，请刷新后重试"


# --- Appointments and the hall queue ---------------------------------------------------------

class HallScope(Forbidden):
    code = "hall_scope"
    message = "您无权操作该大厅"


class BookingBlocked(Forbidden):
    code = "booking_blocked"
    message = "因多次爽约，网上预约已暂停，可到大厅现场取号办理"


class SlotNotOpen(Conflict):
    code = "slot_not_open"
    message = "该时段尚未开放预约"


class SlotClosed(Conflict):
    code = "slot_closed"
    message = "该时段已过或即将开始，不能预约"


class SlotFull(Conflict):
    code = "slot_full"
    message = "该时段已约满，可加入候补"


class SlotAvailable(Conflict):
    code = "slot_available"
    message = "该时段还有名额，请直接预约"


class AlreadyBooked(Conflict):
    code = "already_booked"
    message = "您已预约过该事项"


class DailyLimit(Conflict):
    code = "daily_limit"
    message = "已达到每天的预约次数上限"


class TooManyOpen(Conflict):
    code = "too_many_open"
    message = "未办理的预约过多，请办理或取消后再预约"


class CancelTooLate(Conflict):
    code = "cancel_too_late"
    message = "距预约开始时间太近，已不能取消"


class AlreadyWaitlisted(Conflict):
    code = "already_waitlisted"
    message = "您已在该时段的候补名单中"


class OfferExpired(Conflict):
    code = "offer_expired"
    message = "候补名额已过期"


class CheckinTooEarly(Conflict):
    code = "checkin_too_early"
    message = "签到时间未到"


class CheckinTooLate(Conflict):
    code = "checkin_too_late"
    message = "已超过签到时间，请重新预约或现场取号"


class HallClosed(Conflict):
    code = "hall_closed"
    message = "大厅现在不在开放时间，不能现场取号"


class QueueEmpty(Conflict):
    code = "queue_empty"
    message = "当前没有等候的号"


class RecallLimit(Conflict):
    code = "recall_limit"
    message = "重呼次数已达上限，请标记为过号"


# --- Payments --------------------------------------------------------------------------------

class PaymentExpired(InvalidState):
    code = "payment_expired"
    message = "缴款单已过期，请联系窗口重新开具"


class PaymentBusy(Conflict):
    code = "payment_busy"
    message = "缴款单正在处理，请稍后重试"


class TooManyAttempts(Conflict):
    code = "too_many_attempts"
    message = "支付尝试次数过多，请联系窗口"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "该请求号已用于另一笔退款"


class SubmissionKeyReused(Conflict):
    code = "submission_key_reused"
    message = "该请求号已用于另一次不同内容的提交，请重新提交"


class OpenCaseExists(Conflict):
    code = "open_case_exists"
    message = "该居民已有同一事项正在办理的办件，确认后仍可登记"


class RefundInProgress(Conflict):
    code = "refund_in_progress"
    message = "该缴款单有退款正在处理，请稍后再试"


class RefundExceedsPaid(Conflict):
    code = "refund_exceeds_paid"
    message = "退款金额超过可退金额"


# --- Sandbox ---------------------------------------------------------------------------------

class ClockFixed(Conflict):
    """The sandbox clock: this server's clock is not one that may be moved."""
    code = "clock_fixed"
    message = "当前时钟不可调整"


class OrderClosed(Conflict):
    """The payment providers' stand-ins: the order was closed before the resident paid."""
    code = "order_closed"
    message = "订单已关闭，无法支付"


class OrderExpired(Conflict):
    """The payment providers' stand-ins: the order expired before the resident paid."""
    code = "order_expired"
    message = "订单已过期，无法支付"
class DuplicateOrder(Conflict):
    """A case already has an open or paid order for the same fee item, whichever way it was raised
    (``details``: ``payment_id``, ``out_trade_no``, ``raised_via``, ``item_code``, ``item_name``)."""
    code = "duplicate_order"
    message = "该办件已有相同收费项目的缴款单，请勿重复开具"


class DayNotOver(Conflict):
    """Reconciliation of a day that has not ended yet (its bills cannot be complete)."""
    code = "day_not_over"
    message = "该日尚未结束，只能对已结束的日期对账"


class BillNotReady(Conflict):
    """The payment provider has not published the day's bill yet."""
    code = "bill_not_ready"
    message = "支付渠道尚未生成该日账单，请稍后再试"


class NotHandling(Forbidden):
    """Identity reveal: the staff member handles no case, booking or payment of this resident."""
    code = "not_handling"
    message = "只能查看您正在办理的办件、预约或缴费所涉居民的完整身份信息"


class WrongPassword(InvalidInput):
    code = "wrong_password"
    message = "当前密码不正确"


# --- Materials (files) and e-licences ---------------------------------------------------------

class UnsupportedFileType(InvalidInput):
    code = "unsupported_file_type"
    message = "只能上传 JPG、PNG 图片或 PDF 文件"


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"
    message = "文件过大，单个文件不能超过 10 MB"
# --- 一件事, 12345 and 帮办代办 --------------------------------------------------------------

class AuthorizationRequired(Forbidden):
    """Acting for a resident needs their active grant to the actor, or their current 办事码."""
    code = "authorization_required"
    message = "代办须经居民授权，或由居民当场出示办事码"


class BundlePaymentExists(Conflict):
    code = "bundle_payment_exists"
    message = "该一件事已开具缴款单，不能重复开具"


class PromiseOpen(Conflict):
    code = "promise_open"
    message = "容缺受理的材料尚未补齐：请先补齐，或写明仍予办结的原因"


class NothingToPay(Conflict):
    code = "nothing_to_pay"
    message = "该一件事包含的事项均不收费"


class PayeeUnitMissing(Conflict):
    """A fee item resolves to no payee unit (收款单位): no money is credited to an unknown unit."""
    code = "payee_unit_missing"
    message = "该收费项目没有对应的收款单位，不能开具缴款单，请联系财务设置收款单位"


# --- Closures (the centre cancels bookings on a closed day) -------------------------------------

class CancelledByCentre(Conflict):
    """A booking the centre cancelled because its day or window closed: it cannot be checked in."""
    code = "appointment_cancelled_by_centre"
    message = "该预约已由中心取消，请重新预约"
