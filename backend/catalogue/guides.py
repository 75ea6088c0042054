"""A service's guide (办事指南) between its JSON shape and its value: the shape the API takes and
shows is the shape it is stored in, so the store and the service read it with ``read``; the store
writes it with ``document`` and the API shows it with ``view`` (which fills in what the
mini-program expects of a guide that does not say: no location, the default form)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.catalogue.values import FeeItem, Guide, GuideField, IssuedLicence, RequiredMaterial

# The application form of a service that defines none: what the mini-program asks everyone.
DEFAULT_FORM: list[dict[str, Any]] = [
    {"key": "contact_phone", "label": "联系电话", "type": "phone", "required": True},
    {"key": "note", "label": "补充说明", "type": "textarea", "required": False},
]


def _material(m: Mapping[str, Any]) -> RequiredMaterial:
    return RequiredMaterial(key=str(m["key"]), name=str(m["name"]), required=bool(m["required"]),
                            tolerable=bool(m.get("tolerable", False)), copies=int(m.get("copies", 1)),
                            note=m.get("note"), licence_type=m.get("licence_type"))


def fee_item(i: Mapping[str, Any]) -> FeeItem:
    return FeeItem(code=str(i["code"]), name=str(i["name"]), amount_fen=int(i["amount_fen"]),
                   unit_code=str(i["unit_code"]))


def read(g: Mapping[str, Any]) -> Guide:
    """A guide from its JSON shape (a request's, checked by ``schemas.GUIDE_IN``, or a stored one)."""
    lic = g.get("issues_licence")
    form = g.get("form")
    items = g.get("fee_items")
    return Guide(
        materials=tuple(_material(m) for m in g.get("materials") or ()), fee_fen=int(g.get("fee_fen", 0)),
        statutory_days=int(g.get("statutory_days", 0)), promised_days=int(g.get("promised_days", 0)),
        online=bool(g.get("online")), bookable=bool(g.get("bookable")), visit_required=bool(g.get("visit_required")),
        max_visits=int(g.get("max_visits", 0)), conditions=g.get("conditions"), fee_note=g.get("fee_note"),
        fee_items=None if items is None else tuple(fee_item(i) for i in items), location=g.get("location"),
        legal_basis=g.get("legal_basis"), contact_phone=g.get("contact_phone"),
        issues_licence=None if lic is None else IssuedLicence(type=str(lic["type"]), name=str(lic["name"]),
                                                              validity_days=int(lic["validity_days"])),
        issues_none="issues_licence" in g and lic is None,
        form=None if form is None else tuple(GuideField(key=str(f["key"]), label=str(f["label"]), type=f.get("type"),
                                                        required=f.get("required")) for f in form))


def _field(f: GuideField) -> dict[str, Any]:
    out: dict[str, Any] = {"key": f.key, "label": f.label}
    if f.type is not None:
        out["type"] = f.type
    if f.required is not None:
        out["required"] = f.required
    return out


def fee_item_json(i: FeeItem) -> dict[str, Any]:
    return {"code": i.code, "name": i.name, "amount_fen": i.amount_fen, "unit_code": i.unit_code}


def document(g: Guide) -> dict[str, Any]:
    """A guide in its JSON shape: what it does not state is left out."""
    out: dict[str, Any] = {
        "materials": [{"key": m.key, "name": m.name, "required": m.required, "tolerable": m.tolerable,
                       "copies": m.copies, **({"note": m.note} if m.note is not None else {}),
                       **({"licence_type": m.licence_type} if m.licence_type is not None else {})}
                      for m in g.materials],
        "fee_fen": g.fee_fen, "statutory_days": g.statutory_days, "promised_days": g.promised_days,
        "online": g.online, "bookable": g.bookable, "visit_required": g.visit_required, "max_visits": g.max_visits}
    optional = {"conditions": g.conditions, "fee_note": g.fee_note, "location": g.location,
                "legal_basis": g.legal_basis, "contact_phone": g.contact_phone}
    out.update({k: v for k, v in optional.items() if v is not None})
    if g.fee_items is not None:
        out["fee_items"] = [fee_item_json(i) for i in g.fee_items]
    if g.issues_licence is not None:
        lic = g.issues_licence
        out["issues_licence"] = {"type": lic.type, "name": lic.name, "validity_days": lic.validity_days}
    elif g.issues_none:
        out["issues_licence"] = None
    if g.form is not None:
        out["form"] = [_field(f) for f in g.form]
    return out


def view(g: Guide) -> dict[str, Any]:
    """A guide as the API shows it: every material with its defaults, a location (empty when none
    is given) and a form (the default one when none is defined)."""
    out = document(g)
    out["location"] = g.location if g.location is not None else ""
    out["materials"] = [{"key": m.key, "name": m.name, "required": m.required, "tolerable": m.tolerable,
                         "copies": m.copies, "note": m.note, "licence_type": m.licence_type} for m in g.materials]
    out["form"] = out.get("form") or DEFAULT_FORM
    return out
