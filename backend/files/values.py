"""The typed values of stored files (材料)."""
from __future__ import annotations

import datetime as dt
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


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile:
    """A resident's file whose upload finished (``stored``; ``deleting`` while the sweep removes
    it): what it became, and which cases or complaints reference it (``refs``)."""
    id: ObjectId
    owner_id: str
    status: FileStatus
    content: StoredContent
    refs: tuple[str, ...]
    created_at: dt.datetime

    @property
    def attached(self) -> bool:
        return bool(self.refs)


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepItem:
    """A record the orphan sweep may remove (an unfinished upload among them): its status and
    every blob it wrote."""
    id: ObjectId
    status: FileStatus
    blob_ids: tuple[ObjectId, ...]
