"""Who may read the centre's staff alerts (时限预警, 整改). A resident's inbox needs no policy: every
read of it is scoped to the caller."""
from __future__ import annotations

from backend.core.access import Policy, staff

STAFF_ALERTS = Policy("staff_alerts", {
    "read": staff("clerk", "approver", "supervisor"),
})
