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
    message = "不能停用自己的账号"


class OwnRoles(Forbidden):
    code = "own_roles"
    message = "不能修改自己账号的角色，须由另一位管理员办理"


class ControlledAccount(Forbidden):
    code = "controlled_account"
    message = "您与该账号之间有密码设置关系，其角色须由另一位管理员调整"


class ExclusiveRoles(Conflict):
    code = "exclusive_roles"
    message = "这些角色不能由同一账号同时担任（职责分离）"


class WrongPassword(InvalidInput):
    code = "wrong_password"
    message = "当前密码不正确"


ALL = (AccountLocked, UsernameTaken, SelfLockout, OwnRoles, ControlledAccount, ExclusiveRoles, WrongPassword,)
