"""Uploads within budget: a picture that would decode to too many pixels is refused from its header,
fast, and nothing is kept; a large JPEG counts at the scale it is decoded at; decodes wait their
turn (at most ``files.image_workers`` at once); what is kept carries no colour profile and no other
metadata; only residents who have verified their real name upload."""
from __future__ import annotations

import io
import threading
import time

import pytest
import requests
from PIL import Image, ImageCms, PngImagePlugin

from tests.support import Api, AppServer, assert_error, new_resident
from tests.support_files import jpeg_bytes, png_bytes, upload, uploaded

MARK = b"ZJB-HIDDEN-PAYLOAD-0123456789"


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A 7700×7700 PNG: small on the wire, 59 million pixels once decoded."""
    buf = io.BytesIO()
    Image.new("L", (7700, 7700), 255).save(buf, "PNG", optimize=False, compress_level=9)
    return buf.getvalue()


def files_of(api: Api, token: str) -> list[dict]:
    return api.get("/api/v1/files", token=token).json()["items"]


def test_a_picture_over_the_pixel_budget_is_refused_from_its_header_fast(api: Api, bomb: bytes) -> None:
    assert len(bomb) < 1024 * 1024
    r = new_resident(api, verified=True)
    started = time.monotonic()
    uploaded(api, r, png_bytes(size=(640, 480)), name="small.png", content_type="image/png")
    small = time.monotonic() - started
    started = time.monotonic()
    refused = upload(api, r, bomb, name="bomb.png", content_type="image/png")
    took = time.monotonic() - started
    err = assert_error(refused, 400, "unsupported_file_type")
    assert err["details"] == {"reason": "too_many_pixels", "max_pixels": 40_000_000}
    assert "像素过多" in err["message"]
    # Decoding it takes seconds on this machine; reading its header takes about as long as a small
    # picture's whole upload.
    assert took < 2.0 and took < small + 1.5, (took, small)
    assert [f["name"] for f in files_of(api, r.access_token)] == ["small.png"]


def test_a_large_jpeg_counts_at_the_scale_it_is_decoded_at(api: Api) -> None:
    """A 48-million-pixel phone photo is decoded at half scale (12 million), so it is taken."""
    buf = io.BytesIO()
    Image.new("L", (8000, 6000), 128).save(buf, "JPEG", quality=70)
    f = uploaded(api, new_resident(api, verified=True), buf.getvalue(), name="big.jpg")
    assert (f["width"], f["height"]) == (4000, 3000)


def test_decodes_wait_their_turn(api: Api, server: AppServer) -> None:
    gate = server.ctx.service("files").images
    workers = server.config.files.image_workers
    r = new_resident(api, verified=True)
    for _ in range(workers):  # every decoding slot taken
        server.run(gate.__aenter__())
    answers: list[requests.Response] = []
    sender = threading.Thread(target=lambda: answers.append(
        upload(api, r, png_bytes(size=(320, 240)), name="waits.png", content_type="image/png")))
    try:
        sender.start()
        deadline = time.monotonic() + 30
        while gate.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gate.waiting == 1 and gate.running == workers and not answers  # stored, waiting to be decoded
    finally:
        for _ in range(workers):
            server.run(gate.__aexit__(None, None, None))
    sender.join(30)
    assert answers and answers[0].status_code == 201, answers
    assert gate.running == 0 and gate.waiting == 0


def _icc() -> bytes:
    """An sRGB colour profile with bytes of someone's choosing after it."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() + MARK


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_no_colour_profile_or_other_metadata_survives(api: Api, fmt: str, content_type: str) -> None:
    r = new_resident(api, verified=True)
    img = Image.new("RGB", (400, 300), (200, 60, 40))
    buf = io.BytesIO()
    extra: dict = {"icc_profile": _icc()}
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", MARK.decode())
        extra["pnginfo"] = info
    else:
        extra["comment"] = MARK
    img.save(buf, fmt, **extra)
    assert MARK in buf.getvalue() and Image.open(io.BytesIO(buf.getvalue())).info.get("icc_profile")
    f = uploaded(api, r, buf.getvalue(), name=f"p.{fmt.lower()}", content_type=content_type)
    for tail in ("content", "thumbnail"):
        data = api.get(f"/api/v1/files/{f['id']}/{tail}", token=r.access_token).content
        assert MARK not in data, tail
        kept = Image.open(io.BytesIO(data))
        assert "icc_profile" not in kept.info and "comment" not in kept.info and "Comment" not in kept.info, kept.info
        pixel = kept.convert("RGB").getpixel((10, 10))
        assert all(abs(a - b) <= 6 for a, b in zip(pixel, (200, 60, 40), strict=True)), pixel  # still the colour


def test_a_profile_that_is_not_one_is_dropped(api: Api) -> None:
    r = new_resident(api, verified=True)
    buf = io.BytesIO()
    Image.new("RGB", (200, 100), (20, 120, 220)).save(buf, "PNG", icc_profile=MARK * 8)
    f = uploaded(api, r, buf.getvalue(), name="junk-profile.png", content_type="image/png")
    data = api.get(f"/api/v1/files/{f['id']}/content", token=r.access_token).content
    assert MARK not in data and "icc_profile" not in Image.open(io.BytesIO(data)).info


def test_only_residents_with_a_verified_real_name_upload(api: Api) -> None:
    r = new_resident(api)
    err = assert_error(upload(api, r, jpeg_bytes()), 403, "realname_required")
    assert "实名" in err["message"]
    assert files_of(api, r.access_token) == []
    verified = new_resident(api, verified=True)
    assert upload(api, verified, jpeg_bytes()).status_code == 201
