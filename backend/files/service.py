"""Materials (材料): uploads judged by their content, kept once per resident, read by their owner
and by the staff handling a case they are attached to, removed when nothing references them.

An upload streams in (``Upload``): the multipart body is parsed as it arrives, the file's first
bytes decide its type (JPEG, PNG or PDF by their magic bytes; the name and the declared type
count for nothing), and its bytes go straight into GridFS while they are counted and hashed. Past
the size limit the upload stops there and what was written is removed, so a refused file leaves
nothing behind and no request ever holds a whole file in memory. Images are then re-encoded
with a thumbnail, a few at a time per process (``ImageGate``): the size they would decode to is
read from their header first and a picture over ``files.max_image_pixels`` is refused before any
decoding; what is kept is the pixels alone, in sRGB: EXIF (location included), text chunks, the
colour profile (converted away, or dropped when it cannot be read) and anything appended are gone.
Only residents who have verified their real name upload.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from gridfs.asynchronous.grid_file import AsyncGridOut
from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header
from pymongo.errors import DuplicateKeyError

from backend.audit.service import AuditLog, staff_actor
from backend.config import FilesConfig
from backend.core import errors
from backend.core.access import Resident, Staff, access_realname
from backend.core.clock import Clock
from backend.core.ids import cursor_id
from backend.core.ids import object_id as oid
from backend.files.access import FileAccess, FileReaders, Reader
from backend.files.errors import FileTooLarge, UnsupportedFileType
from backend.files.store import FileStore
from backend.files.values import FileStatus, StoredContent, StoredFile

log = logging.getLogger("zjb.files")

# Staff roles that handle cases (受理, 审查): they may open the materials of a case.
KINDS = {"image/jpeg": "image", "image/png": "image", "application/pdf": "pdf"}
# Room for the multipart framing around the file in a body (boundaries, part headers, a name field).
MULTIPART_SLACK = 16 * 1024
MAX_FIELD_BYTES = 1024


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, for the three types we take."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def clean_name(name: str | None, content_type: str) -> str:
    """A display name without paths or control characters, with the extension of its real type."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    ext = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[content_type]
    return f"{(stem or '材料')[:80]}.{ext}"


def file_view(f: StoredFile) -> dict[str, Any]:
    """The API's JSON of a stored file, built in this one place."""
    c = f.content
    return {"id": str(f.id), "name": c.name, "content_type": c.content_type, "kind": c.kind,
            "size_bytes": c.size_bytes, "sha256": c.sha256, "width": c.width, "height": c.height,
            "has_thumbnail": c.thumb_blob_id is not None, "attached": f.attached, "created_at": f.created_at}


@dataclass(frozen=True)
class Encoded:
    content: bytes
    thumbnail: bytes
    width: int
    height: int


def pillow_pixel_limit(cfg: FilesConfig) -> int:
    """What Pillow's own decompression-bomb check (``Image.MAX_IMAGE_PIXELS``, process-wide, on the
    declared size) is set to: the most a JPEG decoded at its smallest scale (1/8 a side) could
    declare and still fit ``max_image_pixels``, so it never refuses what ``reencode`` would take and
    stops absurd declarations even before ``reencode`` looks."""
    return cfg.max_image_pixels * 64


def too_many_pixels(cfg: FilesConfig) -> UnsupportedFileType:
    megapixels = cfg.max_image_pixels // 1_000_000
    return UnsupportedFileType(message=f"图片像素过多（超过 {megapixels} 百万像素），请缩小或压缩后再上传",
                               details={"reason": "too_many_pixels", "max_pixels": cfg.max_image_pixels})


def _to_srgb(img: Any, icc: bytes | None) -> Any:
    """The picture's pixels in sRGB, its colour profile gone: converted through the profile when it
    reads as one for the picture's mode, otherwise dropped (the pixels taken as they are)."""
    from PIL import ImageCms
    if not icc or img.mode not in ("RGB", "RGBA"):
        return img
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(img, source, ImageCms.createProfile("sRGB"), outputMode=img.mode) or img
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return img


def _pixels_only(img: Any) -> Any:
    """Nothing but the pixels goes into the saved file: Pillow writes what ``info`` carries (a PNG's
    colour profile and text among it) unless told otherwise, so only a palette's transparency stays."""
    keep = {"transparency": img.info["transparency"]} if "transparency" in img.info else {}
    img.info = keep
    return img


def jpeg_draft_box(size: tuple[int, int], cfg: FilesConfig) -> tuple[int, int]:
    """What to ask a JPEG's draft mode for: JPEG decodes at 1/2, 1/4 or 1/8 a side at little cost.
    The largest reduction that keeps the long side at least ``max_image_side`` (it is shrunk to that
    anyway), or a larger one when needed to stay within ``max_image_pixels`` (a 48-million-pixel
    phone photo is decoded at half scale)."""
    w, h = size
    scale = 1
    while scale < 8 and max(w, h) // (scale * 2) >= cfg.max_image_side:
        scale *= 2
    while scale < 8 and (w // scale) * (h // scale) > cfg.max_image_pixels:
        scale *= 2
    return max(1, w // scale), max(1, h // scale)


def reencode(raw: bytes, content_type: str, cfg: FilesConfig) -> Encoded:
    """Decode and encode again: only the pixels survive, in sRGB; the picture is turned upright
    first, since its EXIF orientation goes with the rest of the EXIF. The size it would decode to is
    read from its header first (``Image.open`` reads no pixels; a JPEG counts at the reduced scale
    ``draft`` decodes it at) and a picture over ``max_image_pixels`` is refused before decoding.
    At most one full-size copy of the pixels is held at a time."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    fmt = "JPEG" if content_type == "image/jpeg" else "PNG"
    img: Image.Image  # converted copies are plain images, not the file opened
    try:
        with Image.open(io.BytesIO(raw), formats=[fmt]) as img:
            if fmt == "JPEG":
                img.draft("RGB", jpeg_draft_box(img.size, cfg))  # decoded at a reduced scale, read nothing yet
            w, h = img.size
            if w * h > cfg.max_image_pixels:
                raise too_many_pixels(cfg)
            if w < 1 or h < 1:
                raise UnsupportedFileType(message="图片已损坏或格式不受支持，请重新拍摄或扫描",
                                          details={"reason": "damaged"})
            icc = img.info.get("icc_profile")
            img.load()
            ImageOps.exif_transpose(img, in_place=True)
            if fmt == "JPEG" and img.mode not in ("RGB", "L"):
                img = img.convert("RGB")  # CMYK and the like; a CMYK profile does not apply to the result
                icc = None
            if fmt == "PNG" and img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                img = img.convert("RGBA")
            img.thumbnail((cfg.max_image_side, cfg.max_image_side))
            img = _pixels_only(_to_srgb(img, icc))
            out = io.BytesIO()
            img.save(out, fmt, **({"quality": 88} if fmt == "JPEG" else {}))
            thumb = _pixels_only(ImageOps.contain(img, (cfg.thumbnail_side, cfg.thumbnail_side)))  # no full-size copy
            tout = io.BytesIO()
            thumb.save(tout, fmt, **({"quality": 80} if fmt == "JPEG" else {}))
            return Encoded(out.getvalue(), tout.getvalue(), img.width, img.height)
    except errors.AppError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels(cfg) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnsupportedFileType(message="图片已损坏或格式不受支持，请重新拍摄或扫描",
                                         details={"reason": "damaged"}) from None


class ImageGate:
    """At most ``limit`` pictures decoded at once in this process (each may hold
    ``max_image_pixels`` × 4 bytes); the others wait their turn. Counts what runs and waits."""

    def __init__(self, limit: int):
        self._sem = asyncio.Semaphore(limit)
        self.running = 0
        self.waiting = 0

    async def __aenter__(self) -> None:
        self.waiting += 1
        try:
            await self._sem.acquire()
        finally:
            self.waiting -= 1
        self.running += 1

    async def __aexit__(self, *exc: object) -> None:
        self.running -= 1
        self._sem.release()


@dataclass(frozen=True)
class FileRef:
    """What cases know of a resident's file."""
    id: str
    owner_id: str
    name: str
    content_type: str
    size_bytes: int
    has_thumbnail: bool


class FileLinks:
    """Provided to cases as ``file_links``: which files of an applicant may be attached, and
    attaching them to a case (within the case's own transaction)."""

    def __init__(self, store: FileStore, readers: FileReaders):
        self._store = store
        self._readers = readers

    def add_reader(self, prefix: str, check: Reader) -> None:
        """Register how staff are checked for the things referenced as ``prefix…`` (see ``FileReaders``)."""
        self._readers.add(prefix, check)

    async def owned(self, owner_id: str, file_ids: list[str]) -> dict[str, FileRef]:
        return {str(f.id): FileRef(id=str(f.id), owner_id=f.owner_id, name=f.content.name,
                                   content_type=f.content.content_type, size_bytes=f.content.size_bytes,
                                   has_thumbnail=f.content.thumb_blob_id is not None)
                for f in await self._store.many(file_ids) if f.owner_id == owner_id}

    async def owned_by(self, owner_id: str, file_ids: list[str]) -> set[str]:
        """Which of ``file_ids`` belong to ``owner_id`` (complaint photos)."""
        return set(await self.owned(owner_id, file_ids))

    async def attach(self, owner_id: str, file_ids: list[str], case_id: str, session: Any = None) -> None:
        ids = sorted({o for o in (oid(f) for f in file_ids) if o is not None})
        if not ids:
            return
        if await self._store.attach(ids, owner_id, case_id, session=session) != len(ids):
            raise errors.InvalidInput({"attachments": "材料文件不存在或已被清理，请重新上传"})


class FileService:
    def __init__(self, *, store: FileStore, audit: AuditLog, clock: Clock, config: FilesConfig,
                 readers: FileReaders):
        self.store = store
        self.audit = audit
        self.clock = clock
        self.cfg = config
        self.access = FileAccess(store, readers)
        self.images = ImageGate(config.image_workers)
        # Its own few threads: decoded pictures stay in a few malloc arenas instead of one per
        # thread of the default executor.
        self._image_threads = ThreadPoolExecutor(config.image_workers, thread_name_prefix="zjb-image")

    # Uploading ---------------------------------------------------------------------------------
    @property
    def body_limit(self) -> int:
        """The most a multipart body carrying a file of the largest size may be."""
        return self.cfg.max_bytes + MULTIPART_SLACK

    @property
    def drain_limit(self) -> int:
        """The largest body read to its end (and dropped) to answer an over-limit upload cleanly."""
        return int(self.body_limit * self.cfg.drain_factor)

    def may_upload(self, resident: Resident) -> None:
        """Only a resident who has verified their real name stores files (403 realname_required)."""
        access_realname(resident)

    def begin_upload(self, resident: Resident, content_type: str) -> "Upload":
        value, options = parse_options_header(content_type or "")
        boundary = options.get("boundary", "")
        if value.lower() != "multipart/form-data" or not boundary:
            raise errors.UnsupportedMediaType("请以 multipart/form-data 上传文件（字段名 file）")
        try:
            parser = PushMultipartParser(boundary, max_header_count=8, max_segment_count=8, strict=True)
        except MultipartError:
            raise errors.InvalidInput({"file": "multipart 边界无效"}) from None
        return Upload(self, resident.id, parser)

    async def _store_upload(self, owner_id: str, file_id: ObjectId, raw_blob: ObjectId, content_type: str,
                            name: str, size: int, digest: str) -> tuple[StoredFile, bool]:
        """Finish an upload whose bytes are in ``raw_blob``: re-encode images, keep one copy."""
        if content_type == "application/pdf":
            content = StoredContent(content_type=content_type, kind=KINDS[content_type], name=name, size_bytes=size,
                                    sha256=digest, blob_id=raw_blob, blob_ids=(raw_blob,))
        else:
            async with self.images:
                raw = await self.store.read_blob(raw_blob)
                encoded = await asyncio.get_running_loop().run_in_executor(
                    self._image_threads, reencode, raw, content_type, self.cfg)
                del raw
            blob_ids = []
            for role, data in (("content", encoded.content), ("thumbnail", encoded.thumbnail)):
                blob_id, stream = self.store.open_blob_writer(file_id, role, name)
                await self.store.note_blob(file_id, blob_id)
                await stream.write(data)
                await stream.close()
                blob_ids.append(blob_id)
            await self.store.delete_blobs([raw_blob])
            content = StoredContent(content_type=content_type, kind=KINDS[content_type], name=name,
                                    size_bytes=len(encoded.content), sha256=hashlib.sha256(encoded.content).hexdigest(),
                                    blob_id=blob_ids[0], thumb_blob_id=blob_ids[1], blob_ids=tuple(blob_ids),
                                    width=encoded.width, height=encoded.height)
        now = self.clock.now()
        try:
            stored = await self.store.complete(file_id, owner_id, content, at=now,
                                               sweep_due_at=now + dt.timedelta(hours=self.cfg.orphan_grace_hours))
        except DuplicateKeyError:
            stored = None
        if stored is None:
            await self.store.drop(file_id)
            existing = await self.store.stored_copy(owner_id, content.sha256)
            if existing is None:  # the upload outlived its stale time and was swept
                raise errors.ServiceUnavailable("上传超时，请重新上传")
            return existing, False
        log.info("file stored", extra={"file_id": str(file_id), "kind": content.kind, "size": content.size_bytes})
        return stored, True

    # Reading -----------------------------------------------------------------------------------
    async def list_own(self, resident: Resident, *, cursor: str | None, limit: int) -> dict[str, Any]:
        before = cursor_id(cursor)
        found = await self.store.owned(resident.id, before=before, limit=limit + 1)
        page = found[:limit]
        return {"items": [file_view(f) for f in page], "next_cursor": str(page[-1].id) if len(found) > limit else None}

    async def get_own(self, resident: Resident, file_id: str) -> StoredFile:
        return await self.access.access_file(resident, file_id, "view")

    async def get_for_staff(self, staff: Staff, file_id: str, *, ip: str, action: str) -> StoredFile:
        """A file attached to a case, for staff whose role handles cases; anyone else gets 404.
        Every staff read is in the audit log."""
        f = await self.access.access_file(staff, file_id, "inspect")
        await self.audit.record(actor=staff_actor(staff), action=action, target_type="file", target_id=file_id,
                                details={"application_ids": list(f.refs), "name": f.content.name}, ip=ip)
        return f

    async def open(self, f: StoredFile, *, thumbnail: bool) -> AsyncGridOut:
        blob_id = f.content.thumb_blob_id if thumbnail else f.content.blob_id
        if blob_id is None:
            raise errors.NotFound("该文件没有缩略图")
        return await self.store.open_blob(blob_id)

    async def remove_unattached_of(self, owner_id: str) -> int:
        """Remove now every file of an owner that no case or complaint references (their account
        is cancelled); how many. Files attached meanwhile stay."""
        now = self.clock.now()
        retry_at = now + dt.timedelta(minutes=self.cfg.stale_upload_minutes)
        removed = 0
        for item in await self.store.make_unattached_due(owner_id, now):
            if await self.store.claim_for_removal(item.id, now, retry_at):
                await self.store.remove(item)
                removed += 1
        return removed

    # The orphan sweep --------------------------------------------------------------------------
    async def sweep(self) -> int:
        """Remove files nobody references once their grace period is over, and uploads that never
        finished. Bounded: one batch of what is due, read by the ``sweep_due`` index."""
        now = self.clock.now()
        retry_at = now + dt.timedelta(minutes=self.cfg.stale_upload_minutes)
        removed = 0
        for item in await self.store.due_for_sweep(now, self.cfg.sweep_batch):
            if item.status != FileStatus.DELETING and not await self.store.claim_for_removal(item.id, now, retry_at):
                continue  # attached meanwhile
            await self.store.remove(item)
            removed += 1
        if removed:
            log.info("orphan files removed", extra={"count": removed})
        return removed


class Upload:
    """One multipart upload as it streams in. ``feed`` each piece of the body, then ``finish``;
    ``abort`` on any failure. Raises the refusal (type, size) as soon as it is known."""

    def __init__(self, service: FileService, owner_id: str, parser: PushMultipartParser):
        self.s = service
        self.owner_id = owner_id
        self.parser = parser
        self.part: MultipartSegment | None = None
        self.part_kind: str | None = None         # "file" | "name" | "other"
        self.field = bytearray()
        self.display_name: str | None = None
        self.file_seen = False
        self.filename: str | None = None
        self.head = bytearray()                    # the file's first bytes, until its type is known
        self.content_type: str | None = None
        self.size = 0
        self.sha = hashlib.sha256()
        self.file_id: ObjectId | None = None
        self.blob_id: ObjectId | None = None
        self.stream: Any = None

    async def feed(self, chunk: bytes) -> None:
        try:
            events = list(self.parser.parse(chunk))
        except MultipartError:
            raise errors.InvalidInput({"file": "multipart 内容格式有误"}) from None
        for ev in events:
            if isinstance(ev, MultipartSegment):
                await self._start_part(ev)
            elif ev is None:
                await self._end_part()
            else:
                await self._part_data(bytes(ev))

    async def _start_part(self, seg: MultipartSegment) -> None:
        self.part = seg
        self.field.clear()
        if seg.name == "file" and seg.filename is not None:
            if self.file_seen:
                raise errors.InvalidInput({"file": "一次只能上传一个文件"})
            self.file_seen = True
            self.part_kind = "file"
            self.filename = seg.filename
        else:
            self.part_kind = "name" if seg.name == "name" else "other"

    async def _part_data(self, data: bytes) -> None:
        if self.part_kind != "file":
            self.field += data
            if len(self.field) > MAX_FIELD_BYTES:
                raise errors.InvalidInput({self.part.name if self.part else "form": "表单字段过长"})
            return
        self.size += len(data)
        if self.size > self.s.cfg.max_bytes:
            raise FileTooLarge(f"文件过大，单个文件不能超过 {self.s.cfg.max_bytes // (1024 * 1024)} MB",
                                      details={"max_bytes": self.s.cfg.max_bytes})
        self.sha.update(data)
        if self.content_type is None:
            self.head += data
            if len(self.head) < 8:
                return
            await self._judge()
            data, self.head = bytes(self.head), bytearray()
        await self.stream.write(data)

    async def _judge(self) -> None:
        """Decide the type from the first bytes; only then is anything written."""
        content_type = sniff(bytes(self.head))
        if content_type is None:
            raise UnsupportedFileType(details={"allowed": sorted(KINDS)})
        self.content_type = content_type
        now = self.s.clock.now()
        self.file_id = await self.s.store.begin(self.owner_id, self.filename or "", now,
                                                now + dt.timedelta(minutes=self.s.cfg.stale_upload_minutes))
        self.blob_id, self.stream = self.s.store.open_blob_writer(self.file_id, "upload", self.filename or "")
        await self.s.store.note_blob(self.file_id, self.blob_id)

    async def _end_part(self) -> None:
        if self.part_kind == "file":
            if self.content_type is None:  # shorter than a signature (an empty file among them)
                if not self.head:
                    raise UnsupportedFileType(message="文件为空，请重新选择", details={"reason": "empty"})
                await self._judge()
                await self.stream.write(bytes(self.head))
                self.head = bytearray()
        elif self.part_kind == "name":
            self.display_name = self.field.decode("utf-8", "replace")
        self.part = None
        self.part_kind = None

    async def finish(self) -> tuple[StoredFile, bool]:
        """The stored file and whether it is new (False: the resident had stored these bytes)."""
        try:
            self.parser.close()
        except MultipartError:
            raise errors.InvalidInput({"file": "上传内容不完整"}) from None
        if not self.file_seen:
            raise errors.InvalidInput({"file": "请选择要上传的文件（字段名 file）"})
        assert self.file_id is not None and self.blob_id is not None and self.content_type is not None
        await self.stream.close()
        self.stream = None
        name = clean_name(self.display_name or self.filename, self.content_type)
        stored, created = await self.s._store_upload(self.owner_id, self.file_id, self.blob_id, self.content_type,
                                                     name, self.size, self.sha.hexdigest())
        self.file_id = None  # kept (or dropped as a duplicate): nothing for abort to do
        return stored, created

    async def abort(self) -> None:
        """Remove whatever this upload wrote."""
        if self.stream is not None:
            try:
                await self.stream.abort()
            except Exception:  # noqa: BLE001 - the chunks are removed below either way
                pass
            self.stream = None
        if self.file_id is not None:
            file_id, self.file_id = self.file_id, None
            await self.s.store.drop(file_id)
