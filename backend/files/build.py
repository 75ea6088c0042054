"""Build materials (files): uploads into GridFS, owners' and case handlers' reads, the orphan
sweep, and ``file_links`` through which cases attach files."""
from __future__ import annotations

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, GaugeSpec, JobSpec
from backend.files import handlers, words
from backend.files.service import FileLinks, FileService
from backend.files.store import COLLECTIONS, FileStore


def build(config: Config, deps: Deps) -> Domain:
    store = FileStore(deps.db)
    files = FileService(store=store, audit=deps.need("audit"), clock=deps.clock, config=config.files)

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_by_status()]

    links = FileLinks(store)
    return Domain(
        "files", words=words.WORDS, service=files,
        routes=bind(handlers.default_handlers, files=files, limiter=deps.need("limiter")),
        jobs=[JobSpec("files.sweep", files.sweep, config.files.sweep_interval_seconds)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_files", "Uploaded materials by status.", by_status)],
        provides={"file_links": links, "file_ownership": links},
    )
