"""The errors of staff accounts and their sign-in: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict, Forbidden, InvalidInput


class AccountLocked(Forbidden):
    code = "account_locked"
    message = "登录失败次数过多，账号已暂时锁定"


class UsernameTaken(Conflict):
    code = "username_taken"
    message = "用户名已存在"


class SelfLockout(Conflict):
    code = "self_lockout"
    message = "不能停用自己或取消自己的管理员角色"


class WrongPassword(InvalidInput):
    code = "wrong_password"
    message = "当前密码不正确"


ALL = (AccountLocked, UsernameTaken, SelfLockout, WrongPassword,)
