"""Sandbox hooks that are not tied to one stand-in."""
from __future__ import annotations

from backend.core.api import ApiHandler, operation, route
from backend.core.schema import array, obj, string
from sandbox.seed import DEMO_STAFF

STAFF_LIST = obj({
    "password": string(),
    "items": array(obj({"username": string(), "display_name": string(), "roles": array(string())},
                       ["username", "roles"])),
}, ["password", "items"])


class StaffHook(ApiHandler):
    demo_password: str   # bound by the sandbox's builder
    @operation("沙箱：演示用工作人员账号（用户名、角色、密码）", tags=("沙箱",), responses={200: STAFF_LIST})
    async def get(self) -> None:
        self.reply({"password": self.demo_password,
                    "items": [dict(s) for s in DEMO_STAFF]})


default_handlers = [route("/sandbox/staff", StaffHook)]
