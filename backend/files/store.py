"""Every query of materials (files): their records in ``files`` and their bytes in GridFS
(bucket ``file_blobs``), so every app process and host sees the same files.

A record goes ``uploading`` → ``stored`` → ``deleting`` (then is gone). ``sweep_due_at`` is set
while nothing references a file (and while an upload is unfinished); the orphan sweep reads
only records due by that field's index, and removes one only by a conditional update that still
finds it unreferenced, so a file attached to a case at the same moment is never removed.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from bson.binary import Binary
from gridfs import AsyncGridFSBucket, NoFile
from gridfs.asynchronous.grid_file import AsyncGridOut
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from backend.core.ids import object_id as oid
from backend.db.mongo import CollectionSpec
from backend.files.values import FileStatus, StoredContent, StoredFile, SweepItem

BUCKET = "file_blobs"
STATUSES = [str(x) for x in FileStatus]
UPLOADING, STORED, DELETING = FileStatus.UPLOADING.value, FileStatus.STORED.value, FileStatus.DELETING.value

COLLECTIONS = [
    CollectionSpec(
        "files",
        indexes=(
            # The same bytes from one resident are stored once.
            IndexModel([("owner_id", ASCENDING), ("sha256", ASCENDING)], unique=True, name="one_copy_per_owner",
                       partialFilterExpression={"status": "stored"}),
            IndexModel([("owner_id", ASCENDING), ("_id", DESCENDING)]),
            # What the orphan sweep may remove, by when: only unreferenced records carry the field.
            IndexModel([("sweep_due_at", ASCENDING)], name="sweep_due",
                       partialFilterExpression={"sweep_due_at": {"$type": "date"}}),
        ),
        validator={"$jsonSchema": {
            "bsonType": "object",
            "required": ["owner_id", "status", "refs", "created_at"],
            "properties": {"status": {"enum": STATUSES}, "refs": {"bsonType": "array"},
                           "size_bytes": {"bsonType": ["int", "long"], "minimum": 1, "maximum": 104857600}},
        }},
        doc="Materials residents uploaded: owner, type, size, SHA-256, which cases reference them; bytes in GridFS.",
    ),
    CollectionSpec(f"{BUCKET}.files", doc="GridFS: one document per stored byte stream (content, thumbnail)."),
    CollectionSpec(f"{BUCKET}.chunks",
                   indexes=(IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], unique=True),),
                   doc="GridFS: the bytes, in chunks."),
]


CHUNK_SIZE = 255 * 1024  # GridFS's default chunk size


class BlobWriter:
    """Writes one GridFS file as its bytes arrive, in GridFS's own layout (so the bucket reads and
    deletes it), inserting each chunk as soon as it is full: a stream holds at most one chunk.
    PyMongo's own upload stream keeps up to 32 MB of chunks before it inserts them, which would
    hold a whole 10 MB upload in memory."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], blob_id: ObjectId, filename: str, metadata: dict[str, Any]):
        self._files = db[f"{BUCKET}.files"]
        self._chunks = db[f"{BUCKET}.chunks"]
        self.id = blob_id
        self._filename = filename
        self._metadata = metadata
        self._pending = bytearray()
        self._n = 0
        self.length = 0

    async def write(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) >= CHUNK_SIZE:
            await self._put(bytes(self._pending[:CHUNK_SIZE]))
            del self._pending[:CHUNK_SIZE]

    async def _put(self, chunk: bytes) -> None:
        await self._chunks.insert_one({"files_id": self.id, "n": self._n, "data": Binary(chunk)})
        self._n += 1
        self.length += len(chunk)

    async def close(self) -> None:
        if self._pending:
            await self._put(bytes(self._pending))
            self._pending.clear()
        await self._files.insert_one({"_id": self.id, "length": self.length, "chunkSize": CHUNK_SIZE,
                                      "uploadDate": dt.datetime.now(dt.timezone.utc), "filename": self._filename,
                                      "metadata": self._metadata})

    async def abort(self) -> None:
        self._pending.clear()
        await self._chunks.delete_many({"files_id": self.id})



class FileStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]):
        self._db = db
        self._col = db["files"]
        self._bucket = AsyncGridFSBucket(db, bucket_name=BUCKET)

    # Uploading ---------------------------------------------------------------------------------
    async def begin(self, owner_id: str, name: str, now: dt.datetime, stale_at: dt.datetime) -> ObjectId:
        """A record for an upload that starts now; swept at ``stale_at`` if it never finishes."""
        res = await self._col.insert_one({"owner_id": owner_id, "status": UPLOADING, "name": name, "refs": [],
                                          "blob_ids": [], "created_at": now, "sweep_due_at": stale_at})
        file_id: ObjectId = res.inserted_id
        return file_id

    def open_blob_writer(self, file_id: ObjectId, role: str, name: str) -> tuple[ObjectId, "BlobWriter"]:
        blob_id = ObjectId()
        return blob_id, BlobWriter(self._db, blob_id, name, {"file_id": str(file_id), "role": role})

    async def note_blob(self, file_id: ObjectId, blob_id: ObjectId) -> None:
        """Remember a blob of an unfinished upload, so a sweep can remove it if the upload dies."""
        await self._col.update_one({"_id": file_id, "status": UPLOADING}, {"$push": {"blob_ids": blob_id}})

    async def complete(self, file_id: ObjectId, owner_id: str, content: StoredContent, *, at: dt.datetime,
                       sweep_due_at: dt.datetime) -> StoredFile | None:
        """``uploading`` → ``stored``: the stored file. Raises DuplicateKeyError when the owner already
        stored these bytes; None when the record is no longer uploading (swept as stale)."""
        fields = _content_fields(content)
        res = await self._col.update_one({"_id": file_id, "status": UPLOADING},
                                         {"$set": {**fields, "stored_at": at, "status": STORED,
                                                   "sweep_due_at": sweep_due_at}})
        if res.modified_count != 1:
            return None
        return StoredFile(id=file_id, owner_id=owner_id, status=FileStatus.STORED, content=content, refs=(),
                          created_at=at)

    async def stored_copy(self, owner_id: str, sha256: str) -> StoredFile | None:
        doc = await self._col.find_one({"owner_id": owner_id, "sha256": sha256, "status": STORED})
        return None if doc is None else _from_doc(doc)

    async def read_blob(self, blob_id: ObjectId) -> bytes:
        out = await self._bucket.open_download_stream(blob_id)
        return await out.read()

    async def delete_blobs(self, blob_ids: list[ObjectId]) -> None:
        for blob_id in blob_ids:
            try:
                await self._bucket.delete(blob_id)
            except NoFile:  # never finished writing (or already gone): its chunks are removed anyway
                pass

    async def drop(self, file_id: ObjectId) -> None:
        """Remove an upload that will not be kept: every blob it noted, then its record."""
        doc = await self._col.find_one({"_id": file_id}, {"blob_ids": 1})
        await self.delete_blobs(list((doc or {}).get("blob_ids", [])))
        await self._col.delete_one({"_id": file_id})

    # Reading -----------------------------------------------------------------------------------
    async def get(self, file_id: str) -> StoredFile | None:
        o = oid(file_id)
        doc = None if o is None else await self._col.find_one({"_id": o, "status": STORED})
        return None if doc is None else _from_doc(doc)

    async def many(self, file_ids: list[str]) -> list[StoredFile]:
        oids = [o for o in (oid(f) for f in file_ids) if o is not None]
        if not oids:
            return []
        return [_from_doc(d) for d in await self._col.find({"_id": {"$in": oids}, "status": STORED}).to_list(None)]

    async def owned(self, owner_id: str, *, before: ObjectId | None, limit: int) -> list[StoredFile]:
        filt: dict[str, Any] = {"owner_id": owner_id, "status": STORED}
        if before is not None:
            filt["_id"] = {"$lt": before}
        return [_from_doc(d) for d in await self._col.find(filt).sort("_id", DESCENDING).limit(limit).to_list(limit)]

    async def open_blob(self, blob_id: ObjectId) -> AsyncGridOut:
        return await self._bucket.open_download_stream(blob_id)

    async def count_by_status(self) -> list[tuple[str, int]]:
        from backend.db.mongo import count_by
        return await count_by(self._col, "status")

    # References from cases ---------------------------------------------------------------------
    async def attach(self, file_ids: list[ObjectId], owner_id: str, ref: str, session: Any = None) -> int:
        """Reference stored files of ``owner_id`` from ``ref`` (a case); how many matched. A file
        being removed (``deleting``) does not match."""
        res = await self._col.update_many({"_id": {"$in": file_ids}, "owner_id": owner_id, "status": STORED},
                                          {"$addToSet": {"refs": ref}, "$unset": {"sweep_due_at": ""}},
                                          session=session)
        return res.matched_count

    # The orphan sweep --------------------------------------------------------------------------
    async def due_for_sweep(self, now: dt.datetime, limit: int) -> list[SweepItem]:
        docs = await self._col.find({"sweep_due_at": {"$lte": now}}, {"status": 1, "blob_ids": 1}) \
            .sort("sweep_due_at", ASCENDING).limit(limit).to_list(limit)
        return [SweepItem(id=d["_id"], status=FileStatus(d["status"]), blob_ids=tuple(d.get("blob_ids") or ()))
                for d in docs]

    async def make_unattached_due(self, owner_id: str, now: dt.datetime) -> list[SweepItem]:
        """An owner's stored files that nothing references, made due for removal now."""
        q: dict[str, Any] = {"owner_id": owner_id, "status": STORED, "refs": {"$size": 0}}
        docs = await self._col.find(q, {"status": 1, "blob_ids": 1}).to_list(None)
        if docs:
            await self._col.update_many({**q, "_id": {"$in": [d["_id"] for d in docs]}},
                                        {"$set": {"sweep_due_at": now}})
        return [SweepItem(id=d["_id"], status=FileStatus(d["status"]), blob_ids=tuple(d.get("blob_ids") or ()))
                for d in docs]

    async def claim_for_removal(self, file_id: ObjectId, now: dt.datetime, retry_at: dt.datetime) -> bool:
        """Still due and referenced by nothing: mark it ``deleting`` (no attach can match it after).
        Its removal is retried from ``retry_at`` should this process die before it is done."""
        res = await self._col.update_one({"_id": file_id, "sweep_due_at": {"$lte": now}, "refs": {"$size": 0}},
                                         {"$set": {"status": DELETING, "sweep_due_at": retry_at}})
        return res.modified_count == 1

    async def remove(self, item: SweepItem) -> None:
        """Remove a record marked ``deleting`` and its bytes (idempotent)."""
        await self.delete_blobs(list(item.blob_ids))
        await self._col.delete_one({"_id": item.id, "status": DELETING})


def _from_doc(d: dict[str, Any]) -> StoredFile:
    """A stored (or deleting) record: its content fields are there once the upload finished."""
    return StoredFile(
        id=d["_id"], owner_id=str(d["owner_id"]), status=FileStatus(d["status"]), refs=tuple(d.get("refs") or ()),
        created_at=d["created_at"],
        content=StoredContent(content_type=d["content_type"], kind=d["kind"], name=d["name"],
                              size_bytes=int(d["size_bytes"]), sha256=d["sha256"], blob_id=d["blob_id"],
                              blob_ids=tuple(d.get("blob_ids") or ()), thumb_blob_id=d.get("thumb_blob_id"),
                              width=d.get("width"), height=d.get("height")))


def _content_fields(c: StoredContent) -> dict[str, Any]:
    fields: dict[str, Any] = {"content_type": c.content_type, "kind": c.kind, "name": c.name,
                              "size_bytes": c.size_bytes, "sha256": c.sha256, "blob_id": c.blob_id,
                              "blob_ids": list(c.blob_ids)}
    if c.thumb_blob_id is not None:
        fields.update(thumb_blob_id=c.thumb_blob_id, width=c.width, height=c.height)
    return fields
