"""Demo data for sandbox mode, seeded idempotently at start-up (never in production)."""
from __future__ import annotations

from typing import Any

DEMO_STAFF: list[dict[str, Any]] = [
    {"username": "clerk1", "display_name": "王窗口", "roles": ["clerk"]},
    {"username": "approver1", "display_name": "李审批", "roles": ["approver"]},
    {"username": "hall1", "display_name": "赵大厅", "roles": ["hall_manager"]},
    {"username": "finance1", "display_name": "钱财务", "roles": ["finance"]},
    {"username": "supervisor1", "display_name": "孙监察", "roles": ["supervisor"]},
    {"username": "admin1", "display_name": "周管理", "roles": ["admin"]},
    {"username": "hotline1", "display_name": "吴热线", "roles": ["hotline"]},
]


async def seed_demo_data(ctx: Any) -> None:
    from sandbox import seed_catalogue
    await seed_catalogue.seed(ctx)
    from sandbox import seed_bundles
    await seed_bundles.seed(ctx)
    from sandbox import seed_appointments
    await seed_appointments.seed(ctx)
    for s in DEMO_STAFF:
        await ctx.staff.ensure(username=s["username"], password=ctx.config.sandbox.demo_staff_password,
                               roles=s["roles"], display_name=s["display_name"])
