"""Who may see a stored file (材料): one policy, and the one function that loads a file and checks it.

A resident reaches only their own files (another's is not found: 404). Staff whose roles handle
cases reach a file once it is attached (the ``HANDLING`` scope); the 12345 hotline and supervisors
reach a file attached to a complaint (工单照片); any other member of staff, or a file attached to
nothing they handle, is not found (404, never 403: a file's id reveals nothing).
"""
from __future__ import annotations

from backend.core import errors
from backend.core.access import Policy, Principal, Resident, Rule, Scope, own
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


class FileAccess:
    """Loads a file for one action of one principal, through the store."""

    def __init__(self, store: FileStore):
        self._store = store

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
        elif rule.scope is Scope.HANDLING and not self._handles(principal.roles, f):
            raise errors.NotFound()
        return f

    @staticmethod
    def _handles(roles: frozenset[str], f: StoredFile) -> bool:
        """Whether staff with ``roles`` handle what the file is attached to."""
        if not f.attached:
            return False
        if roles & set(CASE_HANDLERS):
            return True
        return any(ref.startswith(COMPLAINT_REF) for ref in f.refs)
