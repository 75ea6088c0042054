"""The typed values of stored files (材料)."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bson import ObjectId


class FileStatus(StrEnum):
    UPLOADING = "uploading"
    STORED = "stored"
    DELETING = "deleting"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredContent:
    """What an upload became: its type and bytes as kept (images re-encoded, with a thumbnail)."""
    content_type: str
    kind: str
    name: str
    size_bytes: int
    sha256: str
    blob_id: ObjectId
    blob_ids: tuple[ObjectId, ...]
    thumb_blob_id: ObjectId | None = None
    width: int | None = None
    height: int | None = None
