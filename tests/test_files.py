"""Materials (files) through the API: each allowed type stored and read back; everything else,
empty and oversized files refused with nothing stored; owners only; staff only through a case
they handle, audited; one copy per resident; bytes in GridFS across a restart; the orphan sweep."""
from __future__ import annotations

import http.client
import io
import socket
import time
from typing import Iterator

import pytest
from PIL import Image

from tests.conftest import test_config
from tests.support import Api, AppServer, assert_error, new_resident, staff_login
from tests.support_cases import service
from tests.support_files import GPS_IFD, jpeg_bytes, pdf_bytes, png_bytes, stored_counts, upload, uploaded

MB = 1024 * 1024


@pytest.fixture(scope="module")
def staff(server: AppServer) -> dict[str, str]:
    api = Api(server.base)
    return {r: staff_login(api, role=r)["access_token"] for r in ("clerk", "approver", "finance", "hall_manager",
                                                                  "supervisor")}


def content(api: Api, path: str, token: str):  # noqa: ANN201
    return api.get(path, token=token)


def attach_to_case(api: Api, resident, file_id: str) -> dict:  # noqa: ANN001
    """An online application to 户口迁入 with this file as the housing proof."""
    svc = service(api, "HJ-QIANRU")
    r = api.post("/api/v1/applications", {"service_id": svc["id"], "form": {"reason": "投靠配偶"},
                                          "materials": ["id_card", "hukou", "relation"],
                                          "attachments": [{"material_key": "housing", "file_id": file_id}]},
                 token=resident.access_token)
    assert r.status_code == 201, r.text
    return r.json()


def test_each_allowed_type_is_stored_judged_by_its_content(api: Api) -> None:
    r = new_resident(api, verified=True)
    cases = [(jpeg_bytes(), "IMG_0001.JPG", "application/octet-stream", "image/jpeg", "jpg"),
             (png_bytes(), "scan.png", "image/png", "image/png", "png"),
             (pdf_bytes(), "户口簿.pdf", "application/pdf", "application/pdf", "pdf")]
    for data, name, declared, real, ext in cases:
        resp = upload(api, r, data, name=name, content_type=declared)
        assert resp.status_code == 201, resp.text
        f = resp.json()
        assert f["content_type"] == real and f["name"].endswith("." + ext) and len(f["sha256"]) == 64
        got = content(api, f"/api/v1/files/{f['id']}/content", r.access_token)
        assert got.status_code == 200 and got.headers["Content-Type"] == real
        assert len(got.content) == f["size_bytes"]
        if real == "application/pdf":
            assert got.content == data and not f["has_thumbnail"]  # a PDF is kept byte for byte
        else:
            assert f["has_thumbnail"] and f["width"] and f["height"]
            thumb = content(api, f"/api/v1/files/{f['id']}/thumbnail", r.access_token)
            assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    listed = api.get("/api/v1/files", token=r.access_token).json()["items"]
    assert sorted(f["content_type"] for f in listed) == ["application/pdf", "image/jpeg", "image/png"]


def test_images_lose_their_exif_location_and_stay_upright(api: Api) -> None:
    r = new_resident(api, verified=True)
    original = jpeg_bytes(size=(400, 200), gps=True, orientation=6)  # taken sideways, with GPS
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    f = uploaded(api, r, original)
    stored = Image.open(io.BytesIO(content(api, f"/api/v1/files/{f['id']}/content", r.access_token).content))
    exif = stored.getexif()
    assert not exif.get_ifd(GPS_IFD) and len(exif) == 0
    assert stored.size == (200, 400) and (f["width"], f["height"]) == (200, 400)  # turned upright
    png = uploaded(api, r, png_bytes(), name="p.png", content_type="image/png")
    back = Image.open(io.BytesIO(content(api, f"/api/v1/files/{png['id']}/content", r.access_token).content))
    assert "Comment" not in back.info  # PNG text chunks dropped too


@pytest.mark.parametrize("data,name,declared", [
    (b"\x7fELF\x02\x01\x01\x00" + bytes(4096), "photo.jpg", "image/jpeg"),          # a renamed executable
    (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(4096), "scan.pdf", "application/pdf"),   # a renamed Windows program
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "a.html", "text/html"),
    (b"", "empty.jpg", "image/jpeg"),
])
def test_other_types_and_empty_files_are_refused_and_nothing_is_stored(api: Api, server: AppServer, data: bytes,
                                                                      name: str, declared: str) -> None:
    r = new_resident(api, verified=True)
    before = stored_counts(server)
    err = assert_error(upload(api, r, data, name=name, content_type=declared), 400, "unsupported_file_type")
    assert err["message"]
    assert stored_counts(server) == before
    assert api.get("/api/v1/files", token=r.access_token).json()["items"] == []


def test_a_damaged_image_is_refused_and_nothing_is_stored(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    before = stored_counts(server)
    assert_error(upload(api, r, b"\xff\xd8\xff\xe0" + bytes(5000)), 400, "unsupported_file_type")
    assert stored_counts(server) == before


def test_an_11_mb_file_is_refused_with_413_and_nothing_is_stored(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    before = stored_counts(server)
    big = b"%PDF-1.7\n" + bytes(11 * MB)
    assert_error(upload(api, r, big, name="big.pdf", content_type="application/pdf"), 413, "file_too_large")
    assert stored_counts(server) == before
    # The connection is still good for the next request (the body was read and dropped).
    assert upload(api, r, pdf_bytes(), name="ok.pdf", content_type="application/pdf").status_code == 201


def test_an_oversized_upload_without_a_length_is_cut_off_while_it_streams(api: Api, server: AppServer) -> None:
    """Chunked: no Content-Length to judge up front; the running count refuses it at 10 MB,
    after which nothing more is written and what was written is removed."""
    r = new_resident(api, verified=True)
    before = stored_counts(server)
    boundary = "zjbBoundary7MA4YWxkTrZu0gW"

    def body() -> Iterator[bytes]:
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n"
               f"Content-Type: image/jpeg\r\n\r\n").encode()
        yield b"\xff\xd8\xff\xe0"
        for _ in range(11 * 4):
            yield bytes(256 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()
    resp = api.session.post(api.base + "/api/v1/files", data=body(), timeout=60, headers={
        "Authorization": f"Bearer {r.access_token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert_error(resp, 413, "file_too_large")
    assert stored_counts(server) == before


def test_a_client_asking_first_is_refused_before_it_sends_anything(server: AppServer) -> None:
    """With ``Expect: 100-continue`` the answer comes before the body: the 11 MB never travel."""
    api = Api(server.base)
    r = new_resident(api, verified=True)
    conn = http.client.HTTPConnection("127.0.0.1", int(server.base.rsplit(":", 1)[1]), timeout=10)
    conn.putrequest("POST", "/api/v1/files")
    conn.putheader("Authorization", f"Bearer {r.access_token}")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(11 * MB))
    conn.putheader("Expect", "100-continue")
    conn.endheaders()  # nothing of the body is sent
    resp = conn.getresponse()
    assert resp.status == 413 and b"file_too_large" in resp.read()
    conn.close()
    api.session.close()


def test_another_residents_file_is_not_found(api: Api) -> None:
    owner, other = new_resident(api, verified=True), new_resident(api, verified=True)
    f = uploaded(api, owner)
    for path in (f"/api/v1/files/{f['id']}", f"/api/v1/files/{f['id']}/content", f"/api/v1/files/{f['id']}/thumbnail"):
        assert_error(api.get(path, token=other.access_token), 404, "not_found")
        assert api.get(path, token=owner.access_token).status_code == 200
    assert api.get("/api/v1/files", token=other.access_token).json()["items"] == []


def test_staff_see_a_file_only_while_a_case_they_handle_has_it_and_every_read_is_audited(
        api: Api, server: AppServer, staff: dict[str, str]) -> None:
    r = new_resident(api, verified=True)
    f = uploaded(api, r)
    path = f"/api/v1/staff/files/{f['id']}/content"
    assert_error(api.get(path, token=staff["clerk"]), 404, "not_found")  # not attached to any case yet
    case = attach_to_case(api, r, f["id"])
    housing = next(m for m in case["materials"] if m["key"] == "housing")
    assert housing["provided"] and housing["source"] == "file" and housing["file_ids"] == [f["id"]]
    for role in ("clerk", "approver"):
        got = api.get(path, token=staff[role])
        assert got.status_code == 200 and got.content == api.get(f"/api/v1/files/{f['id']}/content",
                                                                 token=r.access_token).content
    for role in ("finance", "hall_manager", "supervisor"):  # roles that do not handle cases
        assert_error(api.get(path, token=staff[role]), 404, "not_found")
        assert_error(api.get(f"/api/v1/staff/files/{f['id']}/thumbnail", token=staff[role]), 404, "not_found")
    assert_error(api.get(path, token=r.access_token), 401, "unauthenticated")  # a resident token opens no staff route

    async def downloads() -> list[dict]:
        return await server.ctx.db["audit_log"].find({"action": "file.download", "target.id": f["id"]}).to_list(None)
    entries = server.run(downloads())
    assert len(entries) == 2 and {e["actor"]["id"] for e in entries} == {
        api.get("/api/v1/staff/me", token=staff[k]).json()["id"] for k in ("clerk", "approver")}
    assert all(case["id"] in e["details"]["application_ids"] for e in entries)


def test_the_same_bytes_from_one_resident_are_stored_once(api: Api, server: AppServer) -> None:
    r, other = new_resident(api, verified=True), new_resident(api, verified=True)
    data = jpeg_bytes(colour=(1, 2, 3))
    first = uploaded(api, r, data, name="a.jpg")
    before = stored_counts(server)
    again = upload(api, r, data, name="copy.jpg")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert stored_counts(server) == before
    pdf = pdf_bytes("same twice")
    one = uploaded(api, r, pdf, name="x.pdf", content_type="application/pdf")
    assert upload(api, r, pdf, name="y.pdf", content_type="application/pdf").json()["id"] == one["id"]
    theirs = uploaded(api, other, data)  # another resident's copy is their own
    assert theirs["id"] != first["id"]
    assert len(api.get("/api/v1/files", token=r.access_token).json()["items"]) == 2


def test_gridfs_keeps_the_bytes_across_an_app_restart(database, tmp_path) -> None:  # noqa: ANN001
    config = test_config(database, tmp_path)
    first = AppServer(config).start()
    api = Api(first.base)
    r = new_resident(api, verified=True)
    data = pdf_bytes("kept across a restart")
    f = uploaded(api, r, data, name="keep.pdf", content_type="application/pdf")
    first.stop()  # the app process is gone; only the database remains
    second = AppServer(config).start()
    try:
        api2 = Api(second.base)
        got = api2.get(f"/api/v1/files/{f['id']}/content", token=r.access_token)
        assert got.status_code == 200 and got.content == data
    finally:
        api.session.close()
        api2.session.close()
        second.stop()


def test_the_orphan_sweep_removes_unreferenced_files_after_the_grace_period(api: Api, server: AppServer,
                                                                            clock) -> None:  # noqa: ANN001
    r = new_resident(api, verified=True)
    orphan = uploaded(api, r, jpeg_bytes(colour=(9, 9, 9)))
    kept = uploaded(api, r, jpeg_bytes(colour=(8, 8, 8)))
    attach_to_case(api, r, kept["id"])
    files = server.ctx.service("files")
    db = server.ctx.db

    async def held(file_id: str) -> tuple[int, int]:
        from bson import ObjectId
        return (await db["files"].count_documents({"_id": ObjectId(file_id)}),
                await db["file_blobs.files"].count_documents({"metadata.file_id": file_id}))
    clock.advance(hours=server.config.files.orphan_grace_hours - 1)
    server.run(files.sweep())  # within the grace period nothing goes
    assert server.run(held(orphan["id"])) == (1, 2) and server.run(held(kept["id"])) == (1, 2)
    clock.advance(hours=2)
    server.run(files.sweep())
    assert server.run(held(orphan["id"])) == (0, 0)  # record, picture and thumbnail gone
    assert server.run(held(kept["id"])) == (1, 2)
    r2 = new_resident(api, code=r.openid[2:])  # a fresh token after the clock moved
    assert_error(api.get(f"/api/v1/files/{orphan['id']}", token=r2.access_token), 404, "not_found")
    assert api.get(f"/api/v1/files/{kept['id']}/content", token=r2.access_token).status_code == 200


def test_the_sweep_reads_only_what_is_due() -> None:
    from backend.files.store import COLLECTIONS
    spec = next(c for c in COLLECTIONS if c.name == "files")
    due = next(i.document for i in spec.indexes if i.document["name"] == "sweep_due")
    assert list(due["key"].items()) == [("sweep_due_at", 1)]
    assert due["partialFilterExpression"] == {"sweep_due_at": {"$type": "date"}}


def _announce(server: AppServer, path: str, length: int, token: str) -> socket.socket:
    """A connection that sent the headers of a POST announcing a body of ``length``, and no body."""
    port = int(server.base.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                  f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n"
                  "Expect: 100-continue\r\n\r\n").encode())
    return sock


def test_only_the_upload_route_takes_large_bodies(api: Api, server: AppServer) -> None:
    r = new_resident(api, verified=True)
    five_mb = 5 * MB  # over the server's body limit, under the file limit
    with _announce(server, "/api/v1/files", five_mb, r.access_token) as sock:
        assert sock.recv(64).startswith(b"HTTP/1.1 100 (Continue)")  # send it
    with _announce(server, "/api/v1/me/realname", five_mb, r.access_token) as sock:
        seen = b""
        while chunk := sock.recv(4096):  # until the server closes the connection
            seen += chunk
        assert b"HTTP/1.1 400 Bad Request" in seen  # the body is refused by the connection itself


def test_content_answers_name_the_file_and_run_nothing(api: Api) -> None:
    r = new_resident(api, verified=True)
    f = uploaded(api, r, pdf_bytes(), name="户口簿 扫描.pdf", content_type="application/pdf")
    got = api.get(f"/api/v1/files/{f['id']}/content", token=r.access_token)
    assert got.headers["Content-Disposition"] == ("inline; filename*=UTF-8''"
                                                  "%E6%88%B7%E5%8F%A3%E7%B0%BF%20%E6%89%AB%E6%8F%8F.pdf")
    assert "sandbox" in got.headers["Content-Security-Policy"] and got.headers["X-Content-Type-Options"] == "nosniff"


def test_refusals_before_the_body_keep_the_connection_usable(api: Api) -> None:
    r = new_resident(api, verified=True)
    assert_error(api.get("/api/v1/files?limit=0", token=r.access_token), 400, "invalid_input")
    assert_error(upload(api, "not-a-token", pdf_bytes()), 401, "unauthenticated")
    assert api.get("/api/v1/files", token=r.access_token).status_code == 200  # same pooled connection


def test_bytes_reach_gridfs_while_the_upload_is_still_arriving(api: Api, server: AppServer) -> None:
    """The upload is not held in memory: chunks are in the database before the body has ended."""
    r = new_resident(api, verified=True)
    boundary = "zjbStreamingProof"
    chunks = server.ctx.db["file_blobs.chunks"]
    before = server.run(chunks.count_documents({}))
    seen: list[int] = []

    def body() -> Iterator[bytes]:
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n"
               "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n").encode()
        for _ in range(12):
            yield bytes(256 * 1024)  # 3 MB so far
        deadline = time.monotonic() + 20
        while server.run(chunks.count_documents({})) - before < 8:  # 2 MB of it stored
            assert time.monotonic() < deadline, "nothing reached GridFS while the upload streamed"
            time.sleep(0.05)
        seen.append(server.run(chunks.count_documents({})) - before)
        for _ in range(4):
            yield bytes(256 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()
    resp = api.session.post(api.base + "/api/v1/files", data=body(), timeout=60, headers={
        "Authorization": f"Bearer {r.access_token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert resp.status_code == 201, resp.text
    assert seen and seen[0] >= 8 and resp.json()["size_bytes"] == 9 + 16 * 256 * 1024
