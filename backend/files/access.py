"""Who may see a stored file (材料): one policy, and the one function that loads a file and checks it.

A resident reaches only their own files (another's is not found: 404). Staff whose roles handle
cases (clerks, approvers) reach a file attached to a case they may inspect; they, the 12345
hotline and supervisors reach a file attached to a complaint they may read (工单照片). Whether they
may is the owning domain's own access check (``FileReaders``: cases and complaints register
theirs), so a member of staff limited to departments reaches only their departments' files. Any
other member of staff, or a file attached to nothing they may reach, is not found (404, never
403: a file's id reveals nothing).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from backend.core import errors
from backend.core.access import Policy, Principal, Resident, Rule, Scope, Staff, own
from backend.files.store import FileStore
from backend.files.values import StoredFile

CASE_HANDLERS = ("clerk", "approver")
COMPLAINT_READERS = ("hotline", "supervisor")   # besides the departments' clerks and approvers
COMPLAINT_REF = "complaint:"                    # how a complaint refers to its photos

FILE = Policy("file", {
    "upload": own(),
    "view": own(),                    # the owner reads the file's record, bytes and thumbnail
    # staff handling cases read a file attached to one (others: 404)
    "inspect": Rule(frozenset(CASE_HANDLERS + COMPLAINT_READERS), scope=Scope.HANDLING),
})


Reader = Callable[[Staff, str], Awaitable[bool]]


class FileReaders:
    """How to tell whether a member of staff may reach what a file is attached to, by the kind of
    reference (``""``: a case id, ``"complaint:"``: a complaint), registered by the owning domains."""

    def __init__(self) -> None:
        self._checks: dict[str, Reader] = {}

    def add(self, prefix: str, check: Reader) -> None:
        self._checks[prefix] = check

    async def may_read(self, staff: Staff, ref: str) -> bool:
        prefix = COMPLAINT_REF if ref.startswith(COMPLAINT_REF) else ""
        roles = CASE_HANDLERS + COMPLAINT_READERS if prefix else CASE_HANDLERS
        check = self._checks.get(prefix)
        return bool(staff.roles & set(roles)) and check is not None and await check(staff, ref[len(prefix):])


class FileAccess:
    """Loads a file for one action of one principal, through the store."""

    def __init__(self, store: FileStore, readers: FileReaders):
        self._store = store
        self._readers = readers

    async def access_file(self, principal: Principal | None, file_id: str, action: str) -> StoredFile:
        """The stored file, when ``principal`` may take ``action`` on it; otherwise 401 without a
        principal and 404 for everything else."""
        rule = FILE.rule(action)
        if principal is None:
            raise errors.Unauthenticated()
        if isinstance(principal, Resident):
            allowed = rule.resident
        else:
            allowed = bool(principal.roles & rule.roles)
        f = await self._store.get(file_id) if allowed else None
        if f is None:
            raise errors.NotFound()
        if isinstance(principal, Resident):
            if f.owner_id != principal.id:
                raise errors.NotFound()
        elif rule.scope is Scope.HANDLING and not await self._handles(principal, f):
            raise errors.NotFound()
        return f

    async def _handles(self, staff: Staff, f: StoredFile) -> bool:
        """Whether ``staff`` may reach something the file is attached to."""
        for ref in f.refs:
            if await self._readers.may_read(staff, ref):
                return True
        return False
