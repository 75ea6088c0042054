"""Who may read the audit log: administrators and supervisors (监察)."""
from __future__ import annotations

from backend.core.access import Policy, staff

AUDIT_LOG = Policy("audit_log", {
    "read": staff("admin", "supervisor"),
})
