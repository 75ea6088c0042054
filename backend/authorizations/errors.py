"""The errors of 帮办代办: acting for a resident: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict, Forbidden


class AuthorizationRequired(Forbidden):
    """Acting for a resident needs their active grant to the actor, or their current 办事码."""
    code = "authorization_required"
    message = "代办须经居民授权，或由居民当场出示办事码"


class TooManyGrants(Conflict):
    """A resident holds at most ``max_active_grants`` grants in force at once."""
    code = "too_many_grants"
    message = "有效的授权已达上限，请先撤销不再需要的授权"


class IdentityCodeTaken(Forbidden):
    """A 办事码 is bound to the clerk who first scanned it or filed with it."""
    code = "identity_code_taken"
    message = "该办事码已由其他工作人员使用，请居民刷新办事码后重新出示"


class IdentityCodeUsed(Conflict):
    """A 办事码 makes one filing; the same filing again answers the case it made."""
    code = "identity_code_used"
    message = "该办事码已用于登记另一件办件，如需再办请居民刷新办事码后重新出示"


ALL = (AuthorizationRequired, TooManyGrants, IdentityCodeTaken, IdentityCodeUsed)
