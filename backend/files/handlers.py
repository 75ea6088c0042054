"""HTTP for materials (files). Thin: the rules are in ``service.py``.

``POST /files`` streams: Tornado hands the body over piece by piece (``data_received``) and the
upload is judged and stored as it arrives. This route alone raises the connection's body limit
(to the file limit plus multipart framing); every other route keeps the server's.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import pymongo.errors
import tornado.web
from tornado.http1connection import HTTP1Connection

from backend.core import errors
from backend.core.api import CallerHandler, Response, operation, route
from backend.files import schemas as s
from backend.files.access import FILE
from backend.files.errors import FileTooLarge
from backend.files.service import FileService, Upload, file_view
from backend.files.values import StoredFile

TAGS = ("材料",)
log = logging.getLogger("zjb.files")


class FilesBase(CallerHandler):
    """What every handler of files is given (``build.py`` binds them) and who called it."""
    files: FileService


@tornado.web.stream_request_body
class FilesHandler(FilesBase):
    limiter: Any
    upload: Upload | None = None
    refusal: errors.AppError | None = None
    _aborting: Any = None

    async def prepare(self) -> None:
        conn = self.request.connection
        # Tornado's HTTP/1 server connection: the one kind that streams a request body.
        assert isinstance(conn, HTTP1Connection)
        posting = self.request.method == "POST"
        length = self.request.headers.get("Content-Length", "")
        declared = int(length) if length.isdigit() else None
        if posting:
            # Raised before anything else can refuse, so a refusal is never followed by the
            # connection's own "body too large" answer.
            conn.set_max_body_size(max(declared or 0, self.files.drain_limit))
            conn.set_body_timeout(self.files.cfg.upload_timeout_seconds)
        try:
            await super().prepare()
            if posting:
                self.files.may_upload(self.resident)
                await self.limiter.per_resident("uploads", self.resident.id)
        except errors.AppError as e:
            # Answered once the (small) body has been read and dropped: answering now would close
            # the connection under a client that is about to reuse it.
            if posting and (declared is None or declared > self.files.drain_limit):
                raise
            self.refusal = e
            return
        if not posting:
            return
        if declared is not None and declared > self.files.body_limit:
            too_big = FileTooLarge(details={"max_bytes": self.files.cfg.max_bytes})
            if self.request.headers.get("Expect", "").lower() == "100-continue" or declared > self.files.drain_limit:
                raise too_big  # answered now; the body is never read (the connection closes)
            self.refusal = too_big  # read to its end and dropped, so the client sees the answer
            return
        self.upload = self.files.begin_upload(self.resident, self.request.headers.get("Content-Type", ""))

    async def data_received(self, chunk: bytes) -> None:
        if self.refusal is not None or self.upload is None:
            return  # refused: the rest of the body is dropped as it comes
        try:
            await self.upload.feed(chunk)
        except Exception as e:  # noqa: BLE001 - answered once the body has ended
            self.refusal = e if isinstance(e, errors.AppError) else (
                errors.ServiceUnavailable(details={"reason": "database_unavailable"})
                if isinstance(e, pymongo.errors.ConnectionFailure) else errors.InternalError())
            if not isinstance(e, errors.AppError):
                log.error("upload failed", exc_info=e)
            await self._abort()

    async def _abort(self) -> None:
        upload, self.upload = self.upload, None
        if upload is not None:
            try:
                await upload.abort()
            except pymongo.errors.PyMongoError:  # the sweep removes it once it is stale
                log.warning("could not remove an aborted upload; the sweep will")

    def on_connection_close(self) -> None:
        if self.upload is not None:  # the client went away mid-upload
            self._aborting = asyncio.ensure_future(self._abort())
        super().on_connection_close()

    @operation("上传材料（照片或扫描件：JPG、PNG、PDF，≤ 10 MB）", tags=TAGS, auth="resident",
               access=FILE.rule("upload"),
               responses={201: s.FILE, 200: Response(schema=s.FILE, description="本人已上传过相同内容，返回原文件")},
               errors=(400, 401, 403, 413, 415, 429),
               description="multipart/form-data，文件字段名 file（可另带 name 字段作为显示名称）。须已实名认证，"
                           "否则 403 realname_required。文件类型按内容判定，"
                           "其他类型为 400 unsupported_file_type；超过 10 MB 为 413 file_too_large（接收过程中即拒绝，"
                           "不保存任何内容）。图片按文件头判定解码后的像素数，超过上限为 400 unsupported_file_type"
                           "（details.reason = too_many_pixels），不解码；其余重新编码为 sRGB（去除 EXIF、位置信息、"
                           "色彩配置文件及其他元数据）并生成缩略图。")
    async def post(self) -> None:
        if self.refusal is not None:
            raise self.refusal
        assert self.upload is not None
        try:
            stored, created = await self.upload.finish()
        except BaseException:
            await self._abort()
            raise
        self.upload = None
        self.reply(file_view(stored), 201 if created else 200)

    @operation("我的材料", tags=TAGS, auth="resident", query=s.LIST_QUERY, responses={200: s.FILES}, errors=(400, 401))
    async def get(self) -> None:
        if self.refusal is not None:
            raise self.refusal
        self.reply(await self.files.list_own(self.resident, cursor=self.query.get("cursor"),
                                             limit=self.query.get("limit", 50)))


class FileHandler(FilesBase):
    @operation("材料信息（仅本人）", tags=TAGS, auth="resident", access=FILE.rule("view"),
               responses={200: s.FILE}, errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(file_view(await self.files.get_own(self.resident, id)))


class _Bytes(FilesBase):
    """Streams a file's bytes from GridFS, a chunk at a time."""

    async def send(self, f: StoredFile, *, thumbnail: bool) -> None:
        blob = await self.files.open(f, thumbnail=thumbnail)
        self.set_header("Content-Type", f.content.content_type)
        self.set_header("Content-Length", str(blob.length))
        self.set_header("Content-Disposition", "inline; filename*=UTF-8''" + quote(f.content.name))
        self.set_header("Cache-Control", "private, no-store")
        # Opened directly, the file may run nothing and load nothing.
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        while True:
            chunk = await blob.readchunk()
            if not chunk:
                break
            self.write(chunk)
            await self.flush()
        self.finish()


BYTES = {200: Response(content_type="application/octet-stream",
                       description="文件内容（image/jpeg、image/png 或 application/pdf）")}


class FileContentHandler(_Bytes):
    @operation("下载材料原件（仅本人）", tags=TAGS, auth="resident", access=FILE.rule("view"),
               responses=BYTES, errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        await self.send(await self.files.get_own(self.resident, id), thumbnail=False)


class FileThumbnailHandler(_Bytes):
    @operation("材料缩略图（仅图片，仅本人）", tags=TAGS, auth="resident", access=FILE.rule("view"),
               responses=BYTES, errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        await self.send(await self.files.get_own(self.resident, id), thumbnail=True)


class StaffFileHandler(FilesBase):
    @operation("办件材料信息（受理、审批人员；材料须已提交到办件）", tags=TAGS, auth="staff", responses={200: s.FILE},
               errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        self.reply(file_view(await self.files.get_for_staff(self.staff, id, ip=self.client_ip(),
                                                            action="file.view")))


class StaffFileContentHandler(_Bytes):
    @operation("查看办件材料原件（受理、审批人员；记入审计日志）", tags=TAGS, auth="staff", responses=BYTES,
               errors=(401, 404), description="仅当文件已提交到办件、且工作人员的角色办理办件时可见，否则 404。")
    async def get(self, id: str) -> None:  # noqa: A002
        f = await self.files.get_for_staff(self.staff, id, ip=self.client_ip(), action="file.download")
        await self.send(f, thumbnail=False)


class StaffFileThumbnailHandler(_Bytes):
    @operation("办件材料缩略图（受理、审批人员；记入审计日志）", tags=TAGS, auth="staff", responses=BYTES,
               errors=(401, 404))
    async def get(self, id: str) -> None:  # noqa: A002
        f = await self.files.get_for_staff(self.staff, id, ip=self.client_ip(), action="file.thumbnail")
        await self.send(f, thumbnail=True)


default_handlers = [
    route("/api/v1/files", FilesHandler),
    route("/api/v1/files/{id}", FileHandler),
    route("/api/v1/files/{id}/content", FileContentHandler),
    route("/api/v1/files/{id}/thumbnail", FileThumbnailHandler),
    route("/api/v1/staff/files/{id}", StaffFileHandler),
    route("/api/v1/staff/files/{id}/content", StaffFileContentHandler),
    route("/api/v1/staff/files/{id}/thumbnail", StaffFileThumbnailHandler),
]
