"""Who may change the catalogue: hall managers (大厅管理) add departments, halls and services and edit
halls and services. Anyone, signed in or not, reads what is active.

A hall manager whose account is limited to some halls (``hall_ids``) changes only those halls and
the services offered in them alone: a hall, window or opening time of another hall, a service also
offered elsewhere (or nowhere), or moving a service to another hall is 403 ``hall_scope``; adding a
department or a hall, which belong to no one hall, is left to managers of every hall.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backend.catalogue.store import CatalogueStore
from backend.catalogue.values import Hall, Service
from backend.core import errors
from backend.core.access import Policy, Scope, Staff, staff
from backend.core.errors import HallScope

CATALOGUE = Policy("catalogue", {
    "create_department": staff("hall_manager", scope=Scope.HALL),
    "create_hall": staff("hall_manager", scope=Scope.HALL),
    "update_hall": staff("hall_manager", scope=Scope.HALL),
    "create_service": staff("hall_manager", scope=Scope.HALL),
    "update_service": staff("hall_manager", scope=Scope.HALL),
})


def check_halls(principal: Any, action: str, hall_ids: Iterable[str]) -> None:
    """``action`` on a thing of ``hall_ids`` (none: a thing of no one hall) by ``principal``, who
    holds the action's roles: 403 ``hall_scope`` unless their account reaches every one of them."""
    wanted = sorted(set(hall_ids))
    if (isinstance(principal, Staff) and CATALOGUE.rule(action).scope is Scope.HALL
            and not principal.in_halls(wanted)):
        raise HallScope("您的账号只能管理所属大厅" + ("及仅在这些大厅办理的事项" if "service" in action else ""),
                        details={"hall_ids": wanted})


class CatalogueAccess:
    """Loads the hall or service an action is on and checks the policy's rule for it."""

    def __init__(self, store: CatalogueStore):
        self._store = store

    async def access_hall(self, principal: Any, hall_id: str, action: str) -> Hall:
        """The hall ``principal`` may take ``action`` on (closed halls included); 404 when unknown,
        403 ``hall_scope`` when it is not one of theirs."""
        CATALOGUE.check(principal, action)
        h = await self._store.hall(hall_id)
        if h is None:
            raise errors.NotFound("未找到该大厅")
        check_halls(principal, action, [h.id])
        return h

    async def access_service(self, principal: Any, service_id: str, action: str) -> Service:
        """The service ``principal`` may take ``action`` on (withdrawn ones included); 404 when
        unknown, 403 ``hall_scope`` when it is offered outside their halls."""
        CATALOGUE.check(principal, action)
        svc = await self._store.service(service_id)
        if svc is None:
            raise errors.NotFound("未找到该事项")
        check_halls(principal, action, svc.hall_ids)
        return svc
