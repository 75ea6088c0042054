"""Who may change the catalogue: hall managers (大厅管理) add departments, halls and services and edit
halls and services. Anyone, signed in or not, reads what is active."""
from __future__ import annotations

from typing import Any

from backend.catalogue.store import CatalogueStore
from backend.catalogue.values import Hall, Service
from backend.core import errors
from backend.core.access import Policy, staff

CATALOGUE = Policy("catalogue", {
    "create_department": staff("hall_manager"),
    "create_hall": staff("hall_manager"),
    "update_hall": staff("hall_manager"),
    "create_service": staff("hall_manager"),
    "update_service": staff("hall_manager"),
})


class CatalogueAccess:
    """Loads the hall or service an action is on and checks the policy's rule for it."""

    def __init__(self, store: CatalogueStore):
        self._store = store

    async def access_hall(self, principal: Any, hall_id: str, action: str) -> Hall:
        """The hall ``principal`` may take ``action`` on (closed halls included); 404 when unknown."""
        CATALOGUE.check(principal, action)
        h = await self._store.hall(hall_id)
        if h is None:
            raise errors.NotFound("未找到该大厅")
        return h

    async def access_service(self, principal: Any, service_id: str, action: str) -> Service:
        """The service ``principal`` may take ``action`` on (withdrawn ones included); 404 when unknown."""
        CATALOGUE.check(principal, action)
        svc = await self._store.service(service_id)
        if svc is None:
            raise errors.NotFound("未找到该事项")
        return svc
