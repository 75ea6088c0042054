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


ALL = (AuthorizationRequired, TooManyGrants)
