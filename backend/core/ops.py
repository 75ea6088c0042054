"""Who may read the operational endpoints: ``/metrics``, and the details of ``/readyz``.

In sandbox mode, anyone. In production, only a scraper presenting ``server.metrics_token`` as a
bearer token, or a client whose address (as ``Edge.client_ip`` decides it) is in
``server.metrics_addresses``. Everyone else gets 403 from ``/metrics`` and only "ready" or
"not ready" from ``/readyz`` (an orchestrator needs no more).
"""
from __future__ import annotations

import functools
import hmac
import ipaddress
from typing import Any

from backend.core import errors


@functools.lru_cache(maxsize=16)
def _networks(cidrs: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def ops_authorised(config: Any, authorization: str | None, client_ip: str) -> bool:
    """Whether this request may see operational details (``config`` is the app's ``Config``)."""
    if config.mode != "production":
        return True
    token = config.server.metrics_token
    if token and authorization and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    try:
        ip = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(config.server.metrics_addresses)))


def require_ops(config: Any, authorization: str | None, client_ip: str) -> None:
    """403 unless ``ops_authorised``."""
    if not ops_authorised(config, authorization, client_ip):
        raise errors.Forbidden("无权查看运行指标")
