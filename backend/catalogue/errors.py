"""The errors of the service catalogue: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict


class CodeTaken(Conflict):
    code = "code_taken"
    message = "该编码已被使用"


ALL = (CodeTaken,)
