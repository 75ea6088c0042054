"""The errors of 帮办代办: acting for a resident: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Forbidden


class AuthorizationRequired(Forbidden):
    """Acting for a resident needs their active grant to the actor, or their current 办事码."""
    code = "authorization_required"
    message = "代办须经居民授权，或由居民当场出示办事码"


ALL = (AuthorizationRequired,)
