"""Fee items (收费项目): identified by code, never by name, from the order to 清分.

A service's guide declares its fee items (``guide.fee_items``: the 非税收入项目编码 ``code``, the
name, the amount, and the payee unit's 执收单位编码 ``unit_code``). Every item of every order —
raised for one case, for a 一件事 bundle, or by a clerk at the window — is resolved here to an item
code and a payee unit (收款单位), and carries both to the receipt and to clearing:

1. an item naming a code (or, after normalising, the name) of one of the guide's fee items is that
   item, credited to the unit the guide names;
2. otherwise the item is looked up by name in the table of the case department's payee unit
   (``payee_units``), else it takes the unit's default code (其他收入); an item under a default code
   is identified by that code and its name, the default code being a catch-all;
3. an item with no payee unit is refused at creation (409 ``payee_unit_missing``): no money is ever
   credited to an unknown unit.

Each item gives an open-fee key ``{case id}:{item code}`` (``…:{name}`` under a default code). One
open order per key exists at any time whichever way the order was raised: the keys are documents of
``open_fees`` (``_id`` = key) written in the order's own transaction, so the database refuses the
second, and removed when the order is closed or fully refunded. A paid fee keeps its key.

Names are normalised (NFKC, zero-width characters removed, whitespace collapsed) wherever they are
stored or compared, so "工本费\\u200b" is "工本费".
"""
from __future__ import annotations

from typing import Any, Protocol

from backend.core import errors
from backend.core.names import normalise_name
from payments.errors import PayeeUnitMissing
from payments.values import PayeeUnit


class Services(Protocol):
    async def get_service(self, service_id: str, *, include_inactive: bool = False) -> dict[str, Any]: ...


class Units(Protocol):
    async def for_department(self, department_id: str | None) -> PayeeUnit | None: ...

    async def by_unit_code(self, unit_code: str) -> PayeeUnit | None: ...


def fee_key(application_id: str, item: dict[str, Any]) -> str:
    base = f"{application_id}:{item['item_code']}"
    return f"{base}:{item['name']}" if item.get("by_default_code") else base


class FeeResolver:
    def __init__(self, services: Services, units: Units):
        self.services = services
        self.units = units

    async def _guide(self, service_id: str) -> dict[str, Any]:
        try:
            return (await self.services.get_service(service_id, include_inactive=True)).get("guide") or {}
        except errors.NotFound:
            return {}

    async def _guide_unit(self, fi: dict[str, Any]) -> PayeeUnit:
        unit = await self.units.by_unit_code(fi.get("unit_code") or "")
        if unit is None:
            raise PayeeUnitMissing(details={"item": fi["name"], "unit_code": fi.get("unit_code") or ""})
        return unit

    async def for_case(self, case: Any, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items a member of staff asked for on one case, each identified and given its unit."""
        guide_items = (await self._guide(case.service_id)).get("fee_items") or []
        dept_unit: PayeeUnit | None = None
        out: list[dict[str, Any]] = []
        for req in requested:
            name = normalise_name(req.get("name") or "")
            code = (req.get("item_code") or "").strip()
            amount = int(req["amount_fen"])
            fi = next((g for g in guide_items if code and g["code"] == code), None) if code else \
                next((g for g in guide_items if normalise_name(g["name"]) == name), None)
            if code and fi is None:
                raise errors.InvalidInput({"items": f"收费项目编码 {code} 不是该事项的收费项目"})
            if not name and fi is None:
                raise errors.InvalidInput({"items": "项目名称不能为空"})
            if fi is not None:
                unit = await self._guide_unit(fi)
                out.append({"name": name or normalise_name(fi["name"]), "amount_fen": amount, "item_code": fi["code"],
                            "unit": unit.ref()})
                continue
            if dept_unit is None:
                dept_unit = await self.units.for_department(case.department_id)
                if dept_unit is None:
                    raise PayeeUnitMissing(details={"item": name})
            out.append({"name": name, "amount_fen": amount, **self._by_table(dept_unit, name)})
        return self._with_keys(case, out)

    async def from_guide(self, case: Any) -> list[dict[str, Any]]:
        """The fees a case's guide charges (for a bundle's order): its fee items, or, for a guide that
        names only an amount, one item named for the service under its department's unit."""
        guide = await self._guide(case.service_id)
        items: list[dict[str, Any]] = []
        for fi in guide.get("fee_items") or []:
            if int(fi["amount_fen"]) <= 0:
                continue
            unit = await self._guide_unit(fi)
            items.append({"name": normalise_name(fi["name"]), "amount_fen": int(fi["amount_fen"]),
                          "item_code": fi["code"], "unit": unit.ref()})
        if not items and int(guide.get("fee_fen") or 0) > 0:
            name = normalise_name(case.service_name)[:40]
            dept_unit = await self.units.for_department(case.department_id)
            if dept_unit is None:
                raise PayeeUnitMissing(details={"item": name})
            items.append({"name": name, "amount_fen": int(guide["fee_fen"]), **self._by_table(dept_unit, name)})
        return self._with_keys(case, items)

    @staticmethod
    def _by_table(unit: PayeeUnit, name: str) -> dict[str, Any]:
        listed = next((i.code for i in unit.items if normalise_name(i.name) == name), None)
        code = listed or unit.default_item_code
        if not code:
            raise PayeeUnitMissing(details={"item": name, "unit": unit.name})
        return {"item_code": code, "unit": unit.ref(), **({} if listed else {"by_default_code": True})}

    @staticmethod
    def _with_keys(case: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[str] = set()
        for item in items:
            item["application_id"] = case.id
            item["serial"] = case.serial
            item["fee_key"] = fee_key(case.id, item)
            if item["fee_key"] in seen:
                raise errors.InvalidInput({"items": f"收费项目重复：{item['name']}"})
            seen.add(item["fee_key"])
        return items
