"""HTTP for the catalogue: public reading, hall managers' editing."""
from __future__ import annotations

from typing import Any

from backend.catalogue import schemas as s
from backend.catalogue.access import CATALOGUE
from backend.catalogue.service import CatalogueService
from backend.core.access import Staff
from backend.core.api import ApiHandler, operation, route

TAGS = ("事项与大厅",)


class CatalogueHandler(ApiHandler):
    """A handler of the catalogue, with the service its builder binds."""
    catalogue: CatalogueService

    @property
    def caller(self) -> Staff:
        """The signed-in member of staff (``auth="staff"`` operations only)."""
        assert isinstance(self.principal, Staff)
        return self.principal


def _items(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "next_cursor": None}


class DepartmentsHandler(CatalogueHandler):
    @operation("部门列表", tags=TAGS, responses={200: s.DEPARTMENTS})
    async def get(self) -> None:
        self.reply_kept(await self.catalogue.departments(), _items)


class HallsHandler(CatalogueHandler):
    @operation("大厅列表（地址、开放时间、窗口）", tags=TAGS, responses={200: s.HALLS})
    async def get(self) -> None:
        self.reply(_items(await self.catalogue.halls()))


class HallHandler(CatalogueHandler):
    @operation("大厅详情", tags=TAGS, responses={200: s.HALL}, errors=(404,))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.catalogue.hall_view(id))


class ServicesHandler(CatalogueHandler):
    @operation("事项列表：按部门、大厅或关键词查找", tags=TAGS, query=s.SERVICE_QUERY,
               responses={200: s.SERVICES}, errors=(400,))
    async def get(self) -> None:
        self.reply_kept(await self.catalogue.services(**self.query), _items)


class ServiceHandler(CatalogueHandler):
    @operation("事项详情与办事指南（材料、收费、时限、地点）", tags=TAGS, responses={200: s.SERVICE}, errors=(404,))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(await self.catalogue.get_service(id))


class StaffDepartmentsHandler(CatalogueHandler):
    @operation("新增部门", tags=TAGS, auth="staff",
               access=CATALOGUE.rule("create_department"), body=s.DEPARTMENT_IN,
               responses={201: s.DEPARTMENT}, errors=(400, 401, 403, 409))
    async def post(self) -> None:
        self.reply(await self.catalogue.create_department(self.caller, self.body, self.client_ip()), 201)


class StaffHallsHandler(CatalogueHandler):
    @operation("新增大厅", tags=TAGS, auth="staff",
               access=CATALOGUE.rule("create_hall"), body=s.HALL_IN, responses={201: s.HALL},
               errors=(400, 401, 403, 409))
    async def post(self) -> None:
        self.reply(await self.catalogue.create_hall(self.caller, self.body, self.client_ip()), 201)


class StaffHallHandler(CatalogueHandler):
    @operation("修改大厅（开放时间、闭厅日、窗口）", tags=TAGS, auth="staff",
               access=CATALOGUE.rule("update_hall"), body=s.HALL_PATCH,
               responses={200: s.HALL}, errors=(400, 401, 403, 404))
    async def patch(self, id: str) -> None:  # noqa: A002
        self.reply(await self.catalogue.update_hall(self.caller, id, self.body, self.client_ip()))


class StaffServicesHandler(CatalogueHandler):
    @operation("新增事项及办事指南", tags=TAGS, auth="staff",
               access=CATALOGUE.rule("create_service"), body=s.SERVICE_IN,
               responses={201: s.SERVICE}, errors=(400, 401, 403, 409))
    async def post(self) -> None:
        self.reply(await self.catalogue.create_service(self.caller, self.body, self.client_ip()), 201)


class StaffServiceHandler(CatalogueHandler):
    @operation("修改事项或办事指南（停用设 status=inactive）", tags=TAGS, auth="staff",
               access=CATALOGUE.rule("update_service"),
               body=s.SERVICE_PATCH, responses={200: s.SERVICE}, errors=(400, 401, 403, 404))
    async def patch(self, id: str) -> None:  # noqa: A002
        self.reply(await self.catalogue.update_service(self.caller, id, self.body, self.client_ip()))


default_handlers = [
    route("/api/v1/departments", DepartmentsHandler),
    route("/api/v1/halls", HallsHandler),
    route("/api/v1/halls/{id}", HallHandler),
    route("/api/v1/services", ServicesHandler),
    route("/api/v1/services/{id}", ServiceHandler),
    route("/api/v1/staff/departments", StaffDepartmentsHandler),
    route("/api/v1/staff/halls", StaffHallsHandler),
    route("/api/v1/staff/halls/{id}", StaffHallHandler),
    route("/api/v1/staff/services", StaffServicesHandler),
    route("/api/v1/staff/services/{id}", StaffServiceHandler),
]
