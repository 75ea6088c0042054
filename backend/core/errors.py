"""The error hierarchy every domain raises from, and the kernel's own errors.

Services raise these; ``ApiHandler.write_error`` turns them into the contract's shape
``{"error": {"code", "message", "details"}}`` in one place. ``code`` is stable, for machines;
``message`` is Chinese, for people.

Each error is a class with its HTTP status, code and default message, raised by class:
``raise SlotFull()``, or with a message fitted to the case, ``raise SlotFull("该时段已约满")``. The
generic errors (one per status) and the access kernel's live here; each domain's own are in its
``errors.py`` and reach the catalogue through its vocabulary (``backend.core.words``).
"""
from __future__ import annotations

from typing import Any


class AppError(Exception):
    http_status = 400
    code = "bad_request"
    message = "请求有误"

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        self.message = message or type(self).message
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(f"{self.code}: {self.message}")

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


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


class RetryLater(AppError):
    """An answer that says when to ask again: ``Retry-After`` and ``details.retry_after_seconds``."""

    def __init__(self, retry_after: int, message: str | None = None, **kw: Any):
        retry_after = max(1, int(retry_after))
        details = {**(kw.pop("details", {}) or {}), "retry_after_seconds": retry_after}
        super().__init__(message, details=details, headers={"Retry-After": str(retry_after)}, **kw)


class RateLimited(RetryLater):
    http_status = 429
    code = "rate_limited"
    message = "操作过于频繁，请稍后再试"


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


class ProviderBusy(RetryLater, ProviderError):
    """An outside provider is slow or every place for calls to it is taken: a moment later
    will do (``Retry-After``); nothing was changed. A ``ProviderError`` to the code that calls
    providers (their jobs try again), 503 to the person."""
    http_status = 503
    code = "provider_busy"
    message = "办理的人较多，请稍等几秒再试"


# --- The access kernel (backend.core.access) ------------------------------------------------

class RealnameRequired(Forbidden):
    code = "realname_required"
    message = "请先完成实名认证"


class HallScope(Forbidden):
    """A member of staff limited to some halls acts on another hall's thing."""
    code = "hall_scope"
    message = "您无权操作该大厅"


class DepartmentScope(Forbidden):
    """A member of staff limited to some departments acts on another department's thing."""
    code = "department_scope"
    message = "您无权处理其他部门的事务"


class PasswordChangeRequired(Forbidden):
    """A member of staff signed in with a password an administrator set (a new or reset account):
    nothing but changing it, so that the administrator's password never acts."""
    code = "password_change_required"
    message = "请先修改初始密码：管理员设置的密码须由您本人改为新密码后才能使用"


# The kernel's own entries of the catalogue (each domain adds its own through its vocabulary).
ALL = (AppError, InvalidInput, Unauthenticated, Forbidden, NotFound, MethodNotAllowed, Conflict, InvalidState,
       PayloadTooLarge, UnsupportedMediaType, RateLimited, InternalError, ProviderError, ServiceUnavailable,
       ProviderBusy, RealnameRequired, HallScope, DepartmentScope, PasswordChangeRequired)
