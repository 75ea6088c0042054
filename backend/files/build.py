"""Build materials (files): uploads into GridFS, owners' and case handlers' reads, the orphan
sweep, and the file links through which cases and complaints attach files."""
from __future__ import annotations

from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, GaugeSpec, JobSpec
from backend.core.infra import Infra
from backend.files import handlers, words
from backend.files.access import FileReaders
from backend.files.personal import FileData
from backend.files.service import FileLinks, FileService, pillow_pixel_limit
from backend.files.store import COLLECTIONS, FileStore


@dataclass(frozen=True)
class Needs:
    audit: AuditLog


@dataclass(frozen=True)
class FilesProvides:
    links: FileLinks   # which files are a resident's, attaching them to a case or complaint, and who reads them
    personal: FileData  # a resident's files, in their data and at cancellation


def build(config: Config, infra: Infra, needs: Needs) -> Built[FilesProvides]:
    from PIL import Image
    # Pillow's own bomb check is process-wide; ``reencode`` checks each picture itself first.
    Image.MAX_IMAGE_PIXELS = pillow_pixel_limit(config.files)
    store = FileStore(infra.db)
    readers = FileReaders()
    files = FileService(store=store, audit=needs.audit, clock=infra.clock, config=config.files, readers=readers)

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_by_status()]

    return Built(Domain(
        "files", words=words.WORDS, service=files,
        routes=bind(handlers.default_handlers, files=files, limiter=infra.limiter),
        jobs=[JobSpec("files.sweep", files.sweep, config.files.sweep_interval_seconds)],
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_files", "Uploaded materials by status.", by_status)],
    ), FilesProvides(links=FileLinks(store, readers), personal=FileData(files)))
