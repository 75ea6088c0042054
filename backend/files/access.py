"""Who may see a stored file (材料): one policy, and the one function that loads a file and checks it.

A resident reaches only their own files (another's is not found: 404). Staff whose roles handle
cases reach a file once it is attached to a case (the ``HANDLING`` scope); any other member of
staff, or a file not attached to a case, is not found (404, never 403: a file's id reveals nothing).
"""
from __future__ import annotations

from backend.core import errors
from backend.core.access import Policy, Principal, Resident, Rule, Scope, own
from backend.files.store import FileStore
from backend.files.values import StoredFile

CASE_HANDLERS = ("clerk", "approver")

FILE = Policy("file", {
    "upload": own(),
    "view": own(),                    # the owner reads the file's record, bytes and thumbnail
    # staff handling cases read a file attached to one (others: 404)
    "inspect": Rule(frozenset(CASE_HANDLERS), scope=Scope.HANDLING),
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
        elif rule.scope is Scope.HANDLING and not f.attached:
            raise errors.NotFound()
        return f
