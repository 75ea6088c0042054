"""Uploads: residents sending 5 MB files all at once — uploads per second, and the memory of the
app process while they stream in (it must not hold the files in memory).

    .venv/bin/python bench/uploads.py [--url http://host:port --pid APP_PID] [-c 20] [--mb 5] [--waves 2]

Without --url it starts the whole system in a temporary folder. ``c`` residents each upload one
file at the same moment, ``waves`` times with PDFs (stored as they arrive) and once with JPEG
photos (also re-encoded, a few at a time). The app process's resident memory is sampled every
10 ms from /proc. Reference figures, measured in the same run: the database's own GridFS write
rate for the same bytes (this process writing straight to the database, ``c`` writers at once),
and what holding one wave of files in memory would take (c × size).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fmt_ms, machine, percentiles, served  # noqa: E402
from tests.support import make_id_number  # noqa: E402

MB = 1024 * 1024


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """The peak resident memory of a process while a block runs, sampled every 10 ms."""

    def __init__(self, pid: int | None):
        self.pid = pid or 0   # 0: no process to sample
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self._stop.wait(0.01)

    def __enter__(self) -> "RssSampler":
        if self.pid:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.pid:
            self._thread.join()


def pdf_of(size: int, tag: str) -> bytes:
    head = f"%PDF-1.7\n% {tag}\n".encode()
    return head + os.urandom(size - len(head))


def jpeg_of(size: int) -> bytes:
    """A photo-sized JPEG of about ``size`` bytes (noise compresses poorly, like a busy scene)."""
    from PIL import Image
    side = int((size / 1.1) ** 0.5)
    img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=75)
    return buf.getvalue()


def vary_jpeg(data: bytes, i: int) -> bytes:
    """The same photo with a different comment, so each resident's file is its own."""
    return data[:2] + b"\xff\xfe" + (len(f"zjb-{i:06d}") + 2).to_bytes(2, "big") + f"zjb-{i:06d}".encode() + data[2:]


def login(base: str, n: int) -> list[str]:
    s = requests.Session()
    tokens = []
    for i in range(n):
        r = s.post(base + "/api/v1/auth/wechat-login", json={"code": f"test-up-{uuid.uuid4().hex[:10]}"},
                   headers={"X-Forwarded-For": f"10.1.0.{i % 250}"}, timeout=30)
        r.raise_for_status()
        token = r.json()["access_token"]
        # Only residents who have verified their real name upload.
        s.post(base + "/api/v1/me/realname", json={"name": "张伟", "id_number": make_id_number()},
               headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": f"10.1.0.{i % 250}"},
               timeout=30).raise_for_status()
        tokens.append(token)
    return tokens


def wave(base: str, tokens: list[str], files: list[tuple[str, bytes, str]], pid: int | None) -> dict[str, Any]:
    """Every resident uploads their file at the same moment; timings and the app's peak memory."""
    start = threading.Barrier(len(tokens))

    def one(k: int) -> float:
        name, data, ctype = files[k]
        with requests.Session() as s:
            start.wait()
            t = time.perf_counter()
            r = s.post(base + "/api/v1/files", files={"file": (name, data, ctype)},
                       headers={"Authorization": "Bearer " + tokens[k]}, timeout=300)
            if r.status_code != 201:
                raise SystemExit(f"upload answered {r.status_code}: {r.text[:300]}")
            print(f"  {name}: {r.status_code} in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
            return (time.perf_counter() - t) * 1000

    before = rss_mb(pid) if pid else 0.0
    with RssSampler(pid) as rss, ThreadPoolExecutor(len(tokens)) as pool:
        t0 = time.perf_counter()
        ms = list(pool.map(one, range(len(tokens))))
        wall = time.perf_counter() - t0
    return {"wall": wall, "ms": ms, "bytes": sum(len(f[1]) for f in files), "rss_before": before, "rss_peak": rss.peak}


def raw_gridfs_rate(data_dir: Path | None, blobs: list[bytes]) -> float | None:
    """MB/s of writing the same bytes straight into GridFS, one writer per file, all at once."""
    if data_dir is None:
        return None
    from gridfs import GridFSBucket
    from pymongo import MongoClient

    from backend.db.embedded import running_database_uri
    uri = running_database_uri(data_dir)
    if uri is None:
        return None
    client: MongoClient[dict[str, Any]] = MongoClient(uri, journal=True)
    try:
        bucket = GridFSBucket(client["zhijianban"], bucket_name="bench_raw")
        start = threading.Barrier(len(blobs))

        def put(data: bytes) -> object:
            start.wait()
            return bucket.upload_from_stream("raw", data)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(len(blobs)) as pool:
            ids = list(pool.map(put, blobs))
        wall = time.perf_counter() - t0
        for i in ids:
            bucket.delete(i)
        return sum(len(b) for b in blobs) / MB / wall
    finally:
        client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url")
    ap.add_argument("--pid", type=int, help="the app process to measure (with --url)")
    ap.add_argument("-c", type=int, default=20)
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--waves", type=int, default=2)
    args = ap.parse_args()
    size = int(args.mb * MB)
    c = args.c
    photo = jpeg_of(size)
    with served(args.url) as srv:
        pid = args.pid or srv.pid
        tokens = login(srv.base, c)
        idle = rss_mb(pid) if pid else 0.0
        pdf_waves = [wave(srv.base, tokens, [(f"scan-{w}-{k}.pdf", pdf_of(size, f"{w}-{k}"), "application/pdf")
                                             for k in range(c)], pid) for w in range(args.waves)]
        jpg = wave(srv.base, tokens, [(f"photo-{k}.jpg", vary_jpeg(photo, k), "image/jpeg") for k in range(c)], pid)
        raw = raw_gridfs_rate(srv.data_dir, [pdf_of(size, f"raw-{k}") for k in range(c)])

    print(f"machine: {machine()}")
    print(f"{c} residents at once, one file each of {size / MB:.1f} MB (JPEG {len(photo) / MB:.1f} MB)")
    n = c * len(pdf_waves)
    wall = sum(w["wall"] for w in pdf_waves)
    mbytes = sum(w["bytes"] for w in pdf_waves) / MB
    print(f"PDF uploads  {n} in {args.waves} waves: {n / wall:.1f} uploads/s, {mbytes / wall:.1f} MB/s  "
          f"{fmt_ms(percentiles([x for w in pdf_waves for x in w['ms']]))}")
    print(f"JPEG uploads {c} in 1 wave (re-encoded, thumbnail): {c / jpg['wall']:.1f} uploads/s, "
          f"{jpg['bytes'] / MB / jpg['wall']:.1f} MB/s  {fmt_ms(percentiles(jpg['ms']))}")
    if pid:
        peak_pdf = max(w["rss_peak"] for w in pdf_waves)
        print(f"app process RSS: idle {idle:.0f} MB; peak during PDF waves {peak_pdf:.0f} MB "
              f"(+{peak_pdf - idle:.0f} MB); peak during the JPEG wave {jpg['rss_peak']:.0f} MB "
              f"(+{jpg['rss_peak'] - idle:.0f} MB)")
    print(f"reference: one wave held in memory would be {c * size / MB:.0f} MB", end="")
    if raw is not None:
        print(f"; database raw GridFS write, same bytes, {c} writers: {raw:.1f} MB/s "
              f"(PDF API ÷ raw = {mbytes / wall / raw:.2f})")
    else:
        print()


if __name__ == "__main__":
    main()
