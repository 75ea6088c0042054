"""A resident's own data (PIPL arts. 44–47): see it all, take a copy, cancel the account.

Each domain hands over its part through the ``PersonalData`` port (``backend/core/personal.py``);
this service only composes them: the sections in one document (JSON, or a ZIP with the files),
and cancellation (注销) in one order — refuse while anything in flight cannot be dropped, end the
account and its sessions at once, then let each domain delete, cancel or detach its part. Should
the process die half-way, the erasure job finishes what the request began (each part's ``forget``
is safe to run again). Every export and cancellation, refused ones too, is in the audit log.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from backend.audit.service import AuditLog, resident_actor, system_actor
from backend.core import errors
from backend.core.access import Resident
from backend.core.api import to_json
from backend.core.clock import Clock
from backend.core.personal import DataSection, PersonalData
from backend.mydata.errors import CancellationBlocked, CancellationNotConfirmed
from backend.mydata.ports import Account

log = logging.getLogger("zjb.mydata")

# A cancellation whose erasure has not finished this long after it began is finished by the job.
ERASURE_GRACE = dt.timedelta(minutes=2)
NOTICE = ("本文件是政务服务中心“指尖办”保存的与您有关的全部个人信息的副本（依据《个人信息保护法》第四十五条）。"
          "实名信息以打码形式列出；如需更正请到政务服务中心窗口办理。")


class _Chunks:
    """A write-only stream the ZIP writer fills; the handler sends what it holds after each file."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, b: bytes) -> int:
        self.parts.append(bytes(b))
        return len(b)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


class ResidentData:
    def __init__(self, *, account: Account, parts: Sequence[PersonalData], audit: AuditLog, clock: Clock):
        self._account = account
        self._parts = list(parts)
        self._audit = audit
        self._clock = clock

    async def _sections(self, resident: Resident) -> list[DataSection]:
        sections = await self._account.sections(resident)
        for part in self._parts:
            sections += await part.sections(resident)
        return sections

    def _document(self, resident: Resident, sections: list[DataSection]) -> dict[str, Any]:
        return {"resident_id": resident.id, "generated_at": self._clock.now(), "notice": NOTICE,
                "sections": [{"key": s.key, "title": s.title, "count": len(s.items), "kept": s.kept,
                              "on_cancel": s.on_cancel, "items": s.items} for s in sections]}

    def filename(self, ext: str) -> str:
        return f"我的数据-{self._clock.local_now():%Y%m%d}.{ext}"

    async def export(self, resident: Resident, ip: str | None) -> dict[str, Any]:
        """Everything held about the resident, as one document."""
        document = self._document(resident, await self._sections(resident))
        await self._audit.record(actor=resident_actor(resident), action="resident.data.export",
                                 target_type="resident", target_id=resident.id, details={"format": "json"}, ip=ip)
        return document

    async def archive(self, resident: Resident, ip: str | None, send: Callable[[bytes], Awaitable[None]]) -> None:
        """The same document and the resident's files as a ZIP, sent in pieces (a file at a time)."""
        sections = await self._sections(resident)
        await self._audit.record(actor=resident_actor(resident), action="resident.data.export",
                                 target_type="resident", target_id=resident.id, details={"format": "zip"}, ip=ip)
        out = _Chunks()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            text = json.dumps(self._document(resident, sections), ensure_ascii=False, indent=2, default=to_json)
            zf.writestr("我的数据.json", text)
            await send(out.take())
            for section in sections:
                for name, read in section.files:
                    zf.writestr(f"{section.title}/{name}", await read())
                    await send(out.take())
        await send(out.take())

    async def check_cancel(self, resident: Resident) -> dict[str, Any]:
        reasons = await self._holds(resident.id)
        return {"can_cancel": not reasons, "reasons": reasons}

    async def _holds(self, resident_id: str) -> list[str]:
        return [reason for part in self._parts for reason in await part.holds(resident_id)]

    async def cancel(self, resident: Resident, confirm: bool, ip: str | None) -> dict[str, Any]:
        """Cancel the account (注销). Refused (409) while something in flight cannot be dropped."""
        if not confirm:
            raise CancellationNotConfirmed()
        reasons = await self._holds(resident.id)
        if reasons:
            await self._audit.record(actor=resident_actor(resident), action="resident.account.cancel",
                                     target_type="resident", target_id=resident.id, outcome="denied",
                                     details={"reason": "；".join(reasons)}, ip=ip)
            raise CancellationBlocked("；".join(reasons), details={"reasons": reasons})
        if not await self._account.cancel(resident.id):
            raise errors.Unauthenticated("账号不可用，请重新登录")
        counts = await self._erase(resident.id)
        await self._audit.record(actor=resident_actor(resident), action="resident.account.cancel",
                                 target_type="resident", target_id=resident.id, details=counts, ip=ip)
        log.info("resident account cancelled", extra={"user_id": resident.id})
        return {"cancelled": True}

    async def _erase(self, resident_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for part in self._parts:
            counts.update(await part.forget(resident_id))
        await self._account.erasure_done(resident_id)
        return counts

    async def finish_erasures(self) -> int:
        """Finish the erasure of accounts whose cancellation request died half-way."""
        pending = await self._account.awaiting_erasure(ERASURE_GRACE)
        for resident_id in pending:
            counts = await self._erase(resident_id)
            await self._audit.record(actor=system_actor("mydata.erasure"), action="resident.account.erase",
                                     target_type="resident", target_id=resident_id, details=counts)
        return len(pending)
