"""Factories for materials tests: real JPEG, PNG and PDF bytes, uploads through the API, and
counts of what the database holds."""
from __future__ import annotations

import io
from typing import Any

import requests

from tests.support import Api, AppServer, ResidentHandle

GPS_IFD = 0x8825


def jpeg_bytes(*, size: tuple[int, int] = (640, 480), colour: tuple[int, int, int] = (200, 60, 40),
               gps: bool = False, orientation: int | None = None) -> bytes:
    from PIL import Image
    img = Image.new("RGB", size, colour)
    for x in range(0, size[0], 7):  # some detail, so the encoder has work to do
        img.putpixel((x, x % size[1]), (10, 10, 10))
    exif = Image.Exif()
    exif[0x0110] = "ZJB-Phone"
    if orientation:
        exif[0x0112] = orientation
    if gps:
        g = exif.get_ifd(GPS_IFD)
        g[1], g[2], g[3], g[4] = "N", (39.0, 54.0, 27.0), "E", (116.0, 23.0, 17.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def png_bytes(*, size: tuple[int, int] = (300, 200)) -> bytes:
    from PIL import Image, PngImagePlugin
    img = Image.new("RGBA", size, (20, 120, 220, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "scanned at home, 北京市朝阳区")
    buf = io.BytesIO()
    img.save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def pdf_bytes(text: str = "Hukou booklet scan") -> bytes:
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def upload(api: Api, resident: ResidentHandle | str, data: bytes, *, name: str = "photo.jpg",
           content_type: str = "image/jpeg", fields: dict[str, str] | None = None) -> requests.Response:
    token = resident if isinstance(resident, str) else resident.access_token
    return api.session.post(api.base + "/api/v1/files", files={"file": (name, data, content_type)},
                            data=fields or {}, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def uploaded(api: Api, resident: ResidentHandle, data: bytes | None = None, **kw: Any) -> dict[str, Any]:
    r = upload(api, resident, data if data is not None else jpeg_bytes(), **kw)
    assert r.status_code == 201, r.text
    return r.json()


def stored_counts(server: AppServer) -> dict[str, int]:
    """How many file records and GridFS documents the database holds."""
    db = server.ctx.db

    async def count() -> dict[str, int]:
        return {name: await db[name].count_documents({}) for name in ("files", "file_blobs.files", "file_blobs.chunks")}
    return server.run(count())
