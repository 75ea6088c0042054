"""HTTP for staff: login, own account, account administration, resident lookups, audit log."""
from __future__ import annotations

from typing import Any

from backend.audit.access import AUDIT_LOG
from backend.audit.service import AuditLog
from backend.audit.values import audit_view
from backend.core.access import STAFF_ROLES, Staff
from backend.core.api import ApiHandler, operation, route
from backend.core.schema import (
    DATETIME,
    array,
    boolean,
    integer,
    list_of,
    nullable,
    obj,
    string,
)
from backend.identity.access import RESIDENTS
from backend.identity.service import IdentityService
from backend.identity.tokens import TokenPair
from backend.staff.access import LOGIN_THROTTLES, STAFF_ACCOUNTS
from backend.staff.service import StaffService, public_staff
from backend.staff.values import AccountChange, AccountStatus, StaffAccount

TAGS = ("工作人员",)
ROLE = string(enum=list(STAFF_ROLES))
STAFF = obj({
    "id": string(), "username": string(), "display_name": string(), "roles": array(ROLE),
    "status": string(enum=["active", "disabled"]), "hall_ids": array(string()),
    "department_ids": array(string()), "created_at": nullable(DATETIME),
    "password_change_required": boolean(description="密码由管理员设置（新建或重置），本人尚未修改：登录后只能修改密码"),
}, ["id", "username", "roles", "status"])
LOGIN = obj({"username": string(minLength=1, maxLength=64), "password": string(minLength=1, maxLength=256)},
            ["username", "password"])
SESSION = obj({
    "ends_at": nullable(DATETIME),
    "idle_seconds": nullable(integer(minimum=1)),
}, ["ends_at", "idle_seconds"], description="本次登录的期限：到 ends_at 结束；idle_seconds 内无任何操作也会结束")
LOGIN_RESULT = obj({"access_token": string(), "refresh_token": string(), "token_type": string(),
                    "expires_in": integer(), "staff": STAFF, "session": SESSION,
                    "password_change_required": boolean(
                        description="为 true 时本次登录只能修改本人密码（POST /staff/me/password）和退出；"
                                    "其他请求为 403 password_change_required")},
                   ["access_token", "staff", "session", "password_change_required"])
REFRESH = obj({"refresh_token": string(minLength=16, maxLength=256)}, ["refresh_token"])
LOGOUT = obj({"refresh_token": string(minLength=16, maxLength=256),
              "everywhere": boolean(description="在所有设备上退出")})
OWN_PASSWORD = obj({"current_password": string(minLength=1, maxLength=256),
                    "new_password": string(minLength=1, maxLength=256)}, ["current_password", "new_password"])
CREATE = obj({
    "username": string(minLength=3, maxLength=32), "password": string(minLength=1, maxLength=256),
    "roles": array(ROLE, minItems=1, uniqueItems=True), "display_name": string(maxLength=40),
    "hall_ids": array(string(maxLength=64), maxItems=20, description="限定的大厅（不填：全部大厅）"),
    "department_ids": array(string(maxLength=64), maxItems=20, description="所属部门（不填：全部部门）"),
}, ["username", "password", "roles"])
UPDATE = obj({
    "roles": array(ROLE, minItems=1, uniqueItems=True), "display_name": string(maxLength=40),
    "status": string(enum=["active", "disabled"]), "hall_ids": array(string(maxLength=64), maxItems=20),
    "department_ids": array(string(maxLength=64), maxItems=20),
}, minProperties=1)
PASSWORD = obj({"password": string(minLength=1, maxLength=256)}, ["password"])
OK = obj({"ok": {"type": "boolean"}}, ["ok"])
RESIDENT = obj({
    "id": string(), "realname_verified": {"type": "boolean"}, "name_masked": nullable(string()),
    "id_number_masked": nullable(string()), "openid_masked": string(), "status": nullable(string()),
    "realname_verified_at": nullable(DATETIME), "created_at": nullable(DATETIME),
}, ["id", "realname_verified"])
RESIDENT_REF = obj({
    "id": string(), "realname_verified": {"type": "boolean"}, "name_masked": nullable(string()),
    "id_number_masked": nullable(string()),
}, ["id", "realname_verified", "name_masked", "id_number_masked"])
RESIDENT_QUERY = obj({"q": string(minLength=2, maxLength=40, description="完整的身份证号或姓名")}, ["q"])
REVEAL = obj({"reason": string(minLength=2, maxLength=200, description="查看完整身份信息的理由（记入审计日志）")},
             ["reason"])
REVEALED = obj({"id": string(), "name": string(), "id_number": string()}, ["id", "name", "id_number"])
AUDIT_ENTRY = obj({
    "id": string(), "at": DATETIME, "actor": {"type": "object"}, "action": string(),
    "target": {"type": "object"}, "details": {"type": "object"}, "outcome": nullable(string()),
    "ip": nullable(string()), "request_id": nullable(string()),
}, ["id", "at", "actor", "action", "target"], additional=True)
AUDIT_QUERY = obj({
    "actor_id": string(maxLength=64), "action": string(maxLength=64), "target_type": string(maxLength=32),
    "target_id": string(maxLength=64), "q": string(maxLength=64), "cursor": string(maxLength=64),
    "limit": integer(minimum=1, maximum=200),
})


class StaffHandler(ApiHandler):
    """A handler of the staff domain, with the services its builder binds."""
    staff: StaffService
    identity: IdentityService
    audit: AuditLog

    @property
    def caller(self) -> Staff:
        """The signed-in member of staff (``auth="staff"`` operations only)."""
        assert isinstance(self.principal, Staff)
        return self.principal


def _login_answer(account: StaffAccount, pair: TokenPair) -> dict[str, Any]:
    return {**pair.as_dict(), "staff": public_staff(account),
            "session": {"ends_at": pair.session_ends_at, "idle_seconds": pair.idle_seconds},
            "password_change_required": account.password_change_required}


def _change(body: dict[str, Any]) -> AccountChange:
    return AccountChange(
        roles=tuple(body["roles"]) if "roles" in body else None, display_name=body.get("display_name"),
        status=AccountStatus(body["status"]) if "status" in body else None,
        hall_ids=tuple(body["hall_ids"]) if "hall_ids" in body else None,
        department_ids=tuple(body["department_ids"]) if "department_ids" in body else None)


class StaffLoginHandler(StaffHandler):
    @operation("工作人员登录（同一地址连续失败后须等待，等待时间逐次加长）", tags=TAGS, body=LOGIN,
               responses={200: LOGIN_RESULT}, errors=(400, 401, 403, 429))
    async def post(self) -> None:
        account, pair = await self.staff.login(self.body["username"], self.body["password"], self.client_ip())
        self.reply(_login_answer(account, pair))


class StaffRefreshHandler(StaffHandler):
    @operation("工作人员刷新令牌", tags=TAGS, body=REFRESH, responses={200: LOGIN_RESULT}, errors=(400, 401))
    async def post(self) -> None:
        account, pair = await self.staff.refresh(self.body["refresh_token"])
        self.reply(_login_answer(account, pair))


class StaffLogoutHandler(StaffHandler):
    @operation("退出登录", tags=TAGS, auth="staff", body=LOGOUT, responses={200: OK}, errors=(400, 401),
               before_password_change=True)
    async def post(self) -> None:
        await self.staff.logout(self.caller, self.body.get("refresh_token"), self.client_ip(),
                                everywhere=self.body.get("everywhere", False))
        self.reply({"ok": True})


class StaffOwnPasswordHandler(StaffHandler):
    @operation("修改本人密码（其他设备上的登录随即退出；当前密码输错与登录失败一并计数，过多须等待）", tags=TAGS,
               auth="staff", body=OWN_PASSWORD, access=STAFF_ACCOUNTS.rule("change_own_password"),
               responses={200: OK}, errors=(400, 401, 429),
               description="管理员新建或重置密码的账号，登录后须先在此修改密码（此前其他请求均为 403 "
                           "password_change_required）；改后本次登录即可正常使用，管理员设置的密码不再有效。"
                           "新密码不能与当前密码相同。")
    async def post(self) -> None:
        await self.staff.change_own_password(self.caller, self.body["current_password"],
                                             self.body["new_password"], self.client_ip())
        self.reply({"ok": True})


class StaffMeHandler(StaffHandler):
    @operation("当前工作人员", tags=TAGS, auth="staff", access=STAFF_ACCOUNTS.rule("read_own"),
               responses={200: STAFF}, errors=(401,))
    async def get(self) -> None:
        self.reply(await self.staff.me(self.caller))


class StaffAccountsHandler(StaffHandler):
    @operation("工作人员账号列表", tags=TAGS, auth="staff", access=STAFF_ACCOUNTS.rule("list"),
               responses={200: list_of(STAFF)},
               errors=(401, 403))
    async def get(self) -> None:
        self.reply({"items": await self.staff.accounts(self.caller), "next_cursor": None})

    @operation("新建工作人员账号", tags=TAGS, auth="staff", access=STAFF_ACCOUNTS.rule("create"), body=CREATE,
               responses={201: STAFF}, errors=(400, 401, 403, 409),
               description="配置中互斥的角色不能由同一账号担任（409 exclusive_roles）；大厅和部门须已存在（400）。"
                           "初始密码由本人首次登录时修改，此前该账号只能修改密码。")
    async def post(self) -> None:
        b = self.body
        self.reply(await self.staff.create(
            username=b["username"], password=b["password"], roles=b["roles"], display_name=b.get("display_name", ""),
            hall_ids=b.get("hall_ids"), department_ids=b.get("department_ids"), actor=self.caller,
            ip=self.client_ip()), 201)


class StaffAccountHandler(StaffHandler):
    @operation("修改工作人员账号（角色、状态、所属大厅和部门）", tags=TAGS, auth="staff",
               access=STAFF_ACCOUNTS.rule("update"), body=UPDATE,
               responses={200: STAFF}, errors=(400, 401, 403, 404, 409),
               description="职责分离：不能修改自己的角色（403 own_roles）；设置过某账号密码的管理员不能为其增加角色，"
                           "该账号也不能调整其角色（403 controlled_account）；配置中互斥的角色不能由同一账号担任"
                           "（409 exclusive_roles）。每次拒绝都记入审计日志。")
    async def patch(self, id: str) -> None:  # noqa: A002
        self.reply(await self.staff.update(self.caller, id, _change(self.body), self.client_ip()))


class StaffPasswordHandler(StaffHandler):
    @operation("重置工作人员密码（该账号下次登录须先修改密码）", tags=TAGS, auth="staff",
               access=STAFF_ACCOUNTS.rule("reset_password"),
               body=PASSWORD,
               responses={200: OK}, errors=(400, 401, 403, 404))
    async def post(self, id: str) -> None:  # noqa: A002
        await self.staff.set_password(self.caller, id, self.body["password"], self.client_ip())
        self.reply({"ok": True})


class StaffUnlockHandler(StaffHandler):
    @operation("解除该账号的全部登录限制", tags=TAGS, auth="staff", access=STAFF_ACCOUNTS.rule("unlock"),
               body=obj({}),
               responses={200: OK}, errors=(401, 403, 404))
    async def post(self, id: str) -> None:  # noqa: A002
        await self.staff.unlock(self.caller, id, self.client_ip())
        self.reply({"ok": True})


THROTTLE = obj({
    "id": string(), "kind": string(enum=["account_address", "address", "unknown_address"]),
    "username": nullable(string()),
    "ip": string(), "failures": integer(), "last_failure_at": DATETIME, "blocked_until": nullable(DATETIME),
}, ["id", "kind", "username", "ip", "failures", "last_failure_at", "blocked_until"])


class LoginThrottlesHandler(StaffHandler):
    @operation("登录限制：近期登录失败的账号与地址（按账号+地址、按地址对已有账号、按地址对不存在的用户名计）",
               tags=TAGS, auth="staff",
               access=LOGIN_THROTTLES.rule("list"), responses={200: list_of(THROTTLE)}, errors=(401, 403))
    async def get(self) -> None:
        self.reply({"items": await self.staff.login_throttles(self.caller), "next_cursor": None})


class LoginThrottleClearHandler(StaffHandler):
    @operation("解除一条登录限制", tags=TAGS, auth="staff", access=LOGIN_THROTTLES.rule("clear"), body=obj({}),
               responses={200: OK}, errors=(401, 403, 404))
    async def post(self, id: str) -> None:  # noqa: A002
        await self.staff.clear_login_throttle(self.caller, id, self.client_ip())
        self.reply({"ok": True})


class ResidentSearchHandler(StaffHandler):
    @operation("按身份证号或姓名查找居民（仅脱敏信息）", tags=TAGS, auth="staff",
               access=RESIDENTS.rule("search"), query=RESIDENT_QUERY,
               responses={200: list_of(RESIDENT_REF)}, errors=(400, 401, 403),
               description="身份证号须完整（按其密钥散列匹配），姓名须完整（同名者一并列出）；每次查找记入审计日志。")
    async def get(self) -> None:
        self.reply({"items": await self.identity.find_residents(self.caller, self.query["q"], self.client_ip()),
                    "next_cursor": None})


class ResidentLookupHandler(StaffHandler):
    @operation("查看居民账号（脱敏）", tags=TAGS, auth="staff", access=RESIDENTS.rule("read"),
               responses={200: RESIDENT}, errors=(401, 403, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.identity.resident_for_staff(self.caller, id))


class ResidentRevealHandler(StaffHandler):
    @operation("查看居民完整身份信息（仅限经手其办件、预约的工作人员，或居民今天所在大厅的工作人员；"
               "须填写理由，记入审计日志）", tags=TAGS,
               auth="staff", access=RESIDENTS.rule("reveal"), body=REVEAL, responses={200: REVEALED},
               errors=(400, 401, 403, 404))
    async def post(self, id: str) -> None:  # noqa: A002
        self.reply(await self.identity.reveal_identity(self.caller, id, self.body["reason"], self.client_ip()))


class AuditLogHandler(StaffHandler):
    @operation("审计日志（可检索）", tags=TAGS, auth="staff", access=AUDIT_LOG.rule("read"), query=AUDIT_QUERY,
               responses={200: list_of(AUDIT_ENTRY)}, errors=(400, 401, 403))
    async def get(self) -> None:
        q = self.query
        entries, cursor = await self.audit.search(
            self.caller, actor_id=q.get("actor_id"), action=q.get("action"), target_type=q.get("target_type"),
            target_id=q.get("target_id"), text=q.get("q"), before=q.get("cursor"), limit=q.get("limit", 50))
        names = await self.audit.target_names(entries)
        self.reply({"items": [audit_view(e, names.get((e.target_type, e.target_id or ""))) for e in entries],
                    "next_cursor": cursor})


default_handlers = [
    route("/api/v1/staff/login", StaffLoginHandler),
    route("/api/v1/staff/refresh", StaffRefreshHandler),
    route("/api/v1/staff/logout", StaffLogoutHandler),
    route("/api/v1/staff/me", StaffMeHandler),
    route("/api/v1/staff/me/password", StaffOwnPasswordHandler),
    route("/api/v1/staff/accounts", StaffAccountsHandler),
    route("/api/v1/staff/accounts/{id}", StaffAccountHandler),
    route("/api/v1/staff/accounts/{id}/password", StaffPasswordHandler),
    route("/api/v1/staff/accounts/{id}/unlock", StaffUnlockHandler),
    route("/api/v1/staff/login-throttles", LoginThrottlesHandler),
    route("/api/v1/staff/login-throttles/{id}/clear", LoginThrottleClearHandler),
    route("/api/v1/staff/residents", ResidentSearchHandler),
    route("/api/v1/staff/residents/{id}", ResidentLookupHandler),
    route("/api/v1/staff/residents/{id}/reveal", ResidentRevealHandler),
    route("/api/v1/staff/audit", AuditLogHandler),
]
