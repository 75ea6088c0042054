"""What a domain hands to the app, and what the app hands to a domain.

Each domain package has one builder, ``build(config, deps) -> Domain``: it constructs its store(s)
and service(s) from the shared infrastructure in ``Deps`` and the small interfaces other domains
provide, and returns its routes, periodic jobs, collections and gauges. ``make_app`` composes the
builders in dependency order; nothing else wires a domain.

Handlers receive the objects they need as route keyword arguments (Tornado's ``initialize``), so a
handler can reach only what its domain gave it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.clock import Clock
from backend.core.words import Vocabulary
from backend.db.mongo import CollectionSpec

GaugeRead = Callable[[], Awaitable[list[tuple[dict[str, str], float]]]]
Route = tuple[str, type, dict[str, Any], str]


@dataclass(frozen=True)
class JobSpec:
    """A periodic job; safe to run in several processes at once (leases, conditional updates)."""
    name: str
    fn: Callable[[], Awaitable[object]]
    interval: float


@dataclass(frozen=True)
class GaugeSpec:
    """A gauge read from the database at scrape time (the same in every process)."""
    name: str
    help: str
    read: GaugeRead


@dataclass
class Domain:
    name: str
    service: Any = None                       # the domain's main object, for other builders and the CLI
    routes: list[Route] = field(default_factory=list)
    sandbox_routes: list[Route] = field(default_factory=list)   # mounted only in sandbox mode
    jobs: list[JobSpec] = field(default_factory=list)
    # Periodic upkeep every process runs, workers or not: cheap reloads of what any process may
    # change (the entered calendar years, the sandbox clock), so no process answers from stale state.
    upkeep: list[JobSpec] = field(default_factory=list)
    collections: list[CollectionSpec] = field(default_factory=list)
    gauges: list[GaugeSpec] = field(default_factory=list)
    provides: dict[str, Any] = field(default_factory=dict)      # interfaces for other domains
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # after the schema is ready
    words: Vocabulary | None = None           # its errors, labels and events, for the lexicon


@dataclass
class Deps:
    """Shared infrastructure, plus what earlier domains provide (``deps.provided[name]``)."""
    clock: Clock
    client: AsyncMongoClient
    db: AsyncDatabase
    gateway: Callable[[str, str], str]        # resolves a configured gateway ("sandbox" → this server)
    provided: dict[str, Any] = field(default_factory=dict)

    def need(self, name: str) -> Any:
        try:
            return self.provided[name]
        except KeyError:
            raise LookupError(f"{name!r} is not provided by any domain built so far") from None
