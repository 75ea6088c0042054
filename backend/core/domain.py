"""What a domain hands to the app, and what the app hands to a domain.

Each domain package has one builder, ``build(config, infra, needs) -> Built[<Domain>Provides]``: it
constructs its store(s) and service(s) from the shared infrastructure (``backend.core.infra.Infra``)
and its ``Needs`` (a dataclass of the small ports it calls on other domains, declared by the
consumer), and returns its runtime description (``Domain``: routes, periodic jobs, collections,
gauges) with what it provides to later builders (a typed dataclass). ``make_app`` calls the
builders explicitly in dependency order; a missing dependency is a type error there.

Handlers receive the objects they need as route keyword arguments (Tornado's ``initialize``), so a
handler can reach only what its domain gave it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Generic, TypeVar

from backend.core.migrations import Migration
from backend.core.words import Vocabulary
from backend.db.mongo import CollectionSpec

GaugeRead = Callable[[], Awaitable[list[tuple[dict[str, str], float]]]]
Route = tuple[str, type, dict[str, Any], str]
OnStart = Callable[[], Awaitable[object]]
OnStop = Callable[[], object]
Namer = Callable[[list[str]], Awaitable[dict[str, str]]]   # ids → what people call them
Probe = Callable[[], Awaitable[bool]]   # is a process this one relies on answering? (``/readyz``)
P = TypeVar("P")


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
    """A domain's runtime description: what the app mounts, runs and prepares for it."""
    name: str
    service: Any = None                       # the domain's main object, for the CLI and tests
    routes: list[Route] = field(default_factory=list)
    sandbox_routes: list[Route] = field(default_factory=list)   # mounted only in sandbox mode
    jobs: list[JobSpec] = field(default_factory=list)
    # Periodic upkeep every process runs, workers or not: cheap reloads of what any process may
    # change (the entered calendar years, the sandbox clock), so no process answers from stale state.
    upkeep: list[JobSpec] = field(default_factory=list)
    collections: list[CollectionSpec] = field(default_factory=list)
    gauges: list[GaugeSpec] = field(default_factory=list)
    on_start: list[OnStart] = field(default_factory=list)  # after the schema is ready
    on_stop: list[OnStop] = field(default_factory=list)    # when the app stops: close what it opened
    words: Vocabulary | None = None           # its errors, labels and events, for the lexicon
    migrations: list[Migration] = field(default_factory=list)   # upgrades of its stored data, each run once
    # What people call its objects, by audit target type (a serial, a number, a name): the audit
    # log shows those instead of ids.
    names: dict[str, Namer] = field(default_factory=dict)
    # Other processes it relies on, by name, each with its check: ``/readyz`` is 200 only while all answer.
    probes: dict[str, Probe] = field(default_factory=dict)


@dataclass(frozen=True)
class Built(Generic[P]):
    """What a builder returns: its runtime description and the typed interfaces it provides."""
    domain: Domain
    provides: P
