"""The typed values of case materials and service guides read and write the shapes stored and shown
before they were typed: what a document does not have stays out, null stays null."""
from __future__ import annotations

import datetime as dt

from backend.cases import materials
from backend.cases.store import _material_doc, _material_from_doc
from backend.catalogue import guides

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone.utc)


def test_a_guide_keeps_what_it_states_and_leaves_out_what_it_does_not() -> None:
    stated_none = {"materials": [{"key": "id_card", "name": "居民身份证", "required": True}], "fee_fen": 0,
                   "statutory_days": 5, "promised_days": 3, "online": True, "bookable": False,
                   "visit_required": False, "max_visits": 0, "issues_licence": None}
    doc = guides.document(guides.read(stated_none))
    assert doc["issues_licence"] is None
    assert doc["materials"] == [{"key": "id_card", "name": "居民身份证", "required": True, "tolerable": False,
                                 "copies": 1}]
    silent = {k: v for k, v in stated_none.items() if k != "issues_licence"}
    shown = guides.view(guides.read(silent))
    assert "issues_licence" not in shown and "fee_items" not in shown and "conditions" not in shown
    assert shown["location"] == "" and shown["form"] == guides.DEFAULT_FORM
    assert shown["materials"][0]["note"] is None and shown["materials"][0]["licence_type"] is None


def test_a_material_reads_an_old_document_and_writes_it_back_whole() -> None:
    old = {"key": "hukou", "name": "户口簿", "required": True, "tolerable": True, "licence_type": None,
           "provided": False,
           "source": None, "file_ids": [], "files": [], "licence_id": None, "licence": None, "review": None}
    m = _material_from_doc(old)
    assert m.promised  # tolerable and not given: promised, as the view always read it
    assert materials.view([m], staff=False)[0]["source"] == "promised"
    given = {**old, "provided": True, "source": "file", "file_ids": ["f1"], "promised": False,
             "files": [{"id": "f1", "name": "a.jpg", "content_type": "image/jpeg", "size_bytes": 10,
                        "has_thumbnail": True}],
             "review": {"status": "rejected", "reason": "不清晰", "at": AT,
                        "by": {"type": "staff", "id": "s1", "name": "王"}},
             "promise": {"status": "kept", "due": AT, "promised_at": AT, "kept_at": AT},
             "history": [{"source": "declared", "file_ids": [], "files": [], "licence_id": None, "licence": None,
                          "review": None, "correction": {"requested_at": AT, "reason": "缺页"}, "replaced_at": AT}]}
    assert _material_doc(_material_from_doc(given)) == given
    resident, staff = (materials.view([_material_from_doc(given)], staff=s, now=AT)[0] for s in (False, True))
    assert "by" not in resident["review"] and staff["review"]["by"] == {"type": "staff", "id": "s1", "name": "王"}
    assert resident["promise"] == {"status": "kept", "due": AT, "overdue": False, "kept_at": AT}
    assert resident["history"][0]["correction"] == {"requested_at": AT, "reason": "缺页"}
