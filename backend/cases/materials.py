"""A case's materials (申请材料): what the applicant gave for each material of the guide, and
what staff made of it.

Each material of the guide becomes one entry on the case. It is provided by uploaded files
(``attachments``), by an e-licence the applicant holds (``licences``: a valid licence of the
type the guide names replaces the paper), or by paper brought to the window (``materials``, the
keys alone); a required material the guide allows under 容缺受理 may be left missing with the
applicant's promise to bring it. Staff (受理, 审查) judge each material accepted or not acceptable
with a reason; the unacceptable ones are what a correction request (补正) names by default, and
resubmitting attaches new files or a licence to exactly those.

Files and licences are other domains': this module reaches them through ``file_links`` and
``licence_wallet`` and references them inside the case's own transaction, so a file referenced
by a case is never swept as an orphan.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.core import errors

REVIEWABLE = ("submitted", "accepted", "in_review")
MAX_FILES_PER_MATERIAL = 10


def _by_key(items: list[dict[str, Any]], id_field: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i in items:
        ids = out.setdefault(i["material_key"], [])
        if i[id_field] not in ids:
            ids.append(i[id_field])
    return out


def entry(m: dict[str, Any]) -> dict[str, Any]:
    """A guide material on a case, nothing given yet."""
    return {"key": m["key"], "name": m["name"], "required": bool(m.get("required")),
            "tolerable": bool(m.get("tolerable")), "licence_type": m.get("licence_type"), "provided": False,
            "source": None, "file_ids": [], "files": [], "licence_id": None, "licence": None, "promised": False,
            "review": None}


def view(materials: list[dict[str, Any]], *, staff: bool) -> list[dict[str, Any]]:
    """Materials as the case shows them; residents do not see who reviewed."""
    out = []
    for m in materials:
        v = {"key": m["key"], "name": m["name"], "required": m.get("required", False),
             "tolerable": m.get("tolerable", False), "licence_type": m.get("licence_type"),
             "provided": m.get("provided", False), "source": m.get("source", "paper" if m.get("provided") else None),
             "file_ids": list(m.get("file_ids", [])), "files": list(m.get("files", [])),
             "licence_id": m.get("licence_id"), "licence": m.get("licence"),
             "promised": m.get("promised", bool(m.get("tolerable")) and not m.get("provided")), "review": None}
        r = m.get("review")
        if r:
            v["review"] = {"status": r["status"], "reason": r.get("reason"), "at": r["at"],
                           **({"by": r.get("by")} if staff else {})}
        out.append(v)
    return out


class CaseMaterials:
    def __init__(self, *, files: Any, licences: Any):
        self.files = files          # file_links (backend.files.service.FileLinks)
        self.licences = licences    # licence_wallet (backend.licences.service.LicenceWallet)

    async def _given(self, applicant_id: str, known: dict[str, dict[str, Any]], body: dict[str, Any],
                     keys_only: set[str] | None = None) -> dict[str, dict[str, Any]]:
        """What the body gives, per material key: validated against the guide and the applicant's
        own files and licences."""
        attachments = body.get("attachments") or []
        licences = body.get("licences") or []
        paper = set(body.get("materials") or [])
        named = {a["material_key"] for a in attachments} | {x["material_key"] for x in licences} | paper
        unknown = sorted(named - set(known))
        if unknown:
            raise errors.InvalidInput({"materials": "包含办事指南中没有的材料"}, details={"unknown": unknown})
        files_by_key = _by_key(attachments, "file_id")
        if any(len(ids) > MAX_FILES_PER_MATERIAL for ids in files_by_key.values()):
            raise errors.InvalidInput({"attachments": f"每项材料最多 {MAX_FILES_PER_MATERIAL} 个文件"})
        wanted = sorted({f for ids in files_by_key.values() for f in ids})
        owned = await self.files.owned(applicant_id, wanted) if wanted else {}
        if set(wanted) - set(owned):
            raise errors.InvalidInput({"attachments": "材料文件不存在，请重新上传"},
                                      details={"file_ids": sorted(set(wanted) - set(owned))})
        lic_by_key = _by_key(licences, "licence_id")
        if any(len(ids) > 1 for ids in lic_by_key.values()):
            raise errors.InvalidInput({"licences": "每项材料只需一本证照"})
        held = await self.licences.held(applicant_id, [ids[0] for ids in lic_by_key.values()]) if lic_by_key else {}
        out: dict[str, dict[str, Any]] = {}
        for key, (lid,) in lic_by_key.items():
            ref = held.get(lid)
            if ref is None:
                raise errors.InvalidInput({"licences": "电子证照不存在"}, details={"licence_id": lid})
            want = known[key].get("licence_type")
            if not want or ref.type != want:
                raise errors.InvalidInput({"licences": f"该证照不能作为“{known[key]['name']}”提交"},
                                          details={"material_key": key, "licence_type": want})
            if ref.status != "valid":
                state = "已撤销" if ref.status == "revoked" else "已过期"
                raise errors.InvalidInput({"licences": f"证照“{ref.name}”{state}，不能使用"},
                                          details={"licence_id": lid, "status": ref.status})
            out[key] = {"provided": True, "source": "licence", "file_ids": [], "files": [], "licence_id": lid,
                        "licence": {"id": ref.id, "type": ref.type, "name": ref.name, "number": ref.number,
                                    "holder_masked": ref.holder_masked, "issuer": ref.issuer,
                                    "expires_at": ref.expires_at, "status": ref.status}}
        for key, ids in files_by_key.items():
            if key in out:
                raise errors.InvalidInput({"attachments": f"“{known[key]['name']}”已使用电子证照，无需再上传"})
            out[key] = {"provided": True, "source": "file", "file_ids": ids, "licence_id": None, "licence": None,
                        "files": [{"id": f, "name": owned[f].name, "content_type": owned[f].content_type,
                                   "size_bytes": owned[f].size_bytes, "has_thumbnail": owned[f].has_thumbnail}
                                  for f in ids]}
        for key in paper - set(out):
            out[key] = {"provided": True, "source": "paper", "file_ids": [], "files": [], "licence_id": None,
                        "licence": None}
        if keys_only is not None:
            extra = sorted(set(out) - keys_only)
            if extra:
                raise errors.InvalidInput({"materials": "只能补正被要求补正的材料"}, details={"unexpected": extra})
        return out

    async def resolve(self, applicant_id: str, guide_materials: list[dict[str, Any]],
                      body: dict[str, Any]) -> list[dict[str, Any]]:
        """The materials of a new case; 400 when a required material is neither given nor tolerable."""
        known = {m["key"]: m for m in guide_materials}
        given = await self._given(applicant_id, known, body)
        out = []
        for m in guide_materials:
            e = {**entry(m), **given.get(m["key"], {})}
            e["promised"] = e["tolerable"] and not e["provided"]
            out.append(e)
        missing = [m["name"] for m in out if m["required"] and not m["tolerable"] and not m["provided"]]
        if missing:
            raise errors.InvalidInput({"materials": "缺少必需材料：" + "、".join(missing)},
                                      details={"missing": missing})
        return out

    async def resupply(self, case: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The materials after a resubmission (补正), or None when it changes none. Every material the
        correction named must be given again; only those may be."""
        materials = case.get("materials", [])
        known = {m["key"]: m for m in materials}
        named = set((case.get("correction") or {}).get("materials") or [])
        if not any(body.get(k) for k in ("attachments", "licences", "materials")):
            if named:
                raise errors.InvalidInput({"materials": "请补正："
                                                        + "、".join(known[k]["name"] for k in sorted(named))},
                                          details={"missing": sorted(named)})
            return None
        given = await self._given(case["applicant_id"], known, body, keys_only=named or None)
        lacking = sorted(named - set(given))
        if lacking:
            raise errors.InvalidInput({"materials": "请补正：" + "、".join(known[k]["name"] for k in lacking)},
                                      details={"missing": lacking})
        out = []
        for m in materials:
            g = given.get(m["key"])
            if g is None:
                out.append(m)
                continue
            history = list(m.get("history", []))
            if m.get("provided"):
                history.append({k: m.get(k) for k in ("source", "file_ids", "licence_id", "review")})
            out.append({**m, **g, "promised": False, "review": None, "history": history})
        return out

    async def reference(self, case_id: str, applicant_id: str, materials: list[dict[str, Any]], session: Any) -> None:
        """Inside the case's transaction: its files are referenced (no longer orphans) and its
        licences' use recorded."""
        file_ids = sorted({f for m in materials for f in m.get("file_ids", [])})
        await self.files.attach(applicant_id, file_ids, case_id, session)
        licence_ids = sorted({m["licence_id"] for m in materials if m.get("licence_id")})
        await self.licences.note_use(applicant_id, licence_ids, case_id, session)

    async def completed(self, case: dict[str, Any], session: Any) -> None:
        """Inside the transaction that completes a case: the licence its service issues."""
        await self.licences.issue_for_case(case, session)

    def judged(self, case: dict[str, Any], key: str, verdict: str, reason: str | None, *, by: dict[str, Any],
               now: dt.datetime) -> list[dict[str, Any]]:
        """The materials with one of them judged; 409 outside review, 400 without a reason to refuse."""
        if case["status"] not in REVIEWABLE:
            raise errors.InvalidState("办件当前状态下不能审核材料", details={"status": case["status"]})
        materials = case.get("materials", [])
        if key not in {m["key"] for m in materials}:
            raise errors.NotFound("该办件没有这项材料")
        if verdict == "rejected" and not (reason and reason.strip()):
            raise errors.InvalidInput({"reason": "请说明不予认可的原因（将告知申请人补正）"})
        review = {"status": verdict, "reason": (reason or "").strip() or None, "at": now, "by": by}
        return [{**m, "review": review} if m["key"] == key else m for m in materials]

    @staticmethod
    def correction(case: dict[str, Any], missing: list[str] | None,
                   keys: list[str] | None) -> tuple[list[str], list[str]]:
        """What a correction request names: the materials given (or, by default, those judged not
        acceptable) and the free-text list shown to the applicant."""
        materials = {m["key"]: m for m in case.get("materials", [])}
        if keys:
            unknown = sorted(set(keys) - set(materials))
            if unknown:
                raise errors.InvalidInput({"materials": "包含本办件没有的材料"}, details={"unknown": unknown})
        else:
            keys = [k for k, m in materials.items() if (m.get("review") or {}).get("status") == "rejected"]
        text = list(missing or [])
        for k in keys:
            m = materials[k]
            reason = (m.get("review") or {}).get("reason")
            line = f"{m['name']}：{reason}" if reason else m["name"]
            if not any(m["name"] in t for t in text):
                text.append(line)
        return text, list(keys)
