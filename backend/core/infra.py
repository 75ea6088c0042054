"""The infrastructure every domain shares, built once per process by the composition root.

``Infra`` holds the database client and database, the clock, the rate limiter, the WeChat
access-token storage, the gateway resolver and the key reader. Domains receive it as their builder's second
argument; none of them builds any of these itself.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from backend.config import Config
from backend.core.clock import Clock
from backend.core.foreground import Foreground
from backend.core.providers import ProviderLimits
from backend.core.ratelimit import RateLimiter, resident_limits
from backend.core.store import COLLECTIONS, JobDayStore, RateLimitStore, WeChatTokenStore
from backend.core.wechat import DatabaseSessionStorage
from backend.db.mongo import CollectionSpec

# Resolves a configured gateway address: ``gateway(value, path)``; "sandbox" → the stand-in on this server.
Gateway = Callable[[str, str], str]
# Reads a configured key file by its setting's name (``receipts.signing_key_file``) → its PEM text.
KeyReader = Callable[[str], str]


@dataclass(frozen=True)
class Infra:
    clock: Clock
    client: AsyncMongoClient[dict[str, Any]]
    db: AsyncDatabase[dict[str, Any]]
    gateway: Gateway
    limiter: RateLimiter                 # per-resident and per-IP limits, counted for every process
    foreground: Foreground               # the requests in flight: background work gives way to a burst
    wechat_session: DatabaseSessionStorage   # the one WeChat access token every wechatpy client uses
    job_days: JobDayStore                # the per-day jobs' ledger
    read_key: KeyReader                  # the composition root decides where keys come from
    provider_limits: ProviderLimits      # each outside provider's share of a process

    @property
    def collections(self) -> list[CollectionSpec]:
        """The collections of the shared infrastructure (rate limits, WeChat tokens, job days)."""
        return list(COLLECTIONS)


def build_infra(config: Config, *, clock: Clock, client: AsyncMongoClient[dict[str, Any]],
                gateway: Gateway, read_key: KeyReader) -> Infra:
    db = client[config.database.name]
    foreground = Foreground(busy_at=config.workers.yield_at_requests, max_wait=config.workers.yield_max_seconds)
    return Infra(clock=clock, client=client, db=db, gateway=gateway, foreground=foreground,
                 limiter=RateLimiter(RateLimitStore(db), clock, resident_limits(config.ratelimit), foreground),
                 wechat_session=DatabaseSessionStorage(WeChatTokenStore(db),
                                                        keep_seconds=config.server.reference_cache_seconds),
                 job_days=JobDayStore(db), read_key=read_key,
                 provider_limits=ProviderLimits(**dataclasses.asdict(config.providers)))
