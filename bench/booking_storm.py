"""Booking storm: N verified residents book one released day of slots at the same instant.

    python bench/booking_storm.py                 # starts its own database and server
    python bench/booking_storm.py --url http://127.0.0.1:8000 --db-uri mongodb://...

It creates its own hall, service and schedule (capacity per slot = --capacity), releases one
day, lets every resident book a slot of it at once (--same-slot: all on one slot), then prints
bookings/s, latency p50/p95/p99, the overbooked count (must be 0) and, in the same run, the
database's raw rate for the conditional update a booking takes its place with.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from bson import ObjectId

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.db.embedded import EmbeddedDatabase, free_port  # noqa: E402
from backend.db.mongo import connect  # noqa: E402
from tests.support import make_id_number  # noqa: E402

PASSWORD = "Zjb-demo-2026"


def _post(s: requests.Session, base: str, path: str, body: dict, token: str | None = None) -> requests.Response:
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    import json
    return s.post(base + path, data=json.dumps(body).encode(), headers=h, timeout=60)


def start_system(db_uri: str, workdir: Path, processes: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "ZJB_DATABASE_URI": db_uri, "ZJB_DATABASE_NAME": f"storm_{uuid.uuid4().hex[:6]}",
           "ZJB_RATELIMIT_LOGIN_PER_IP_PER_MINUTE": "1000000", "ZJB_RATELIMIT_REALNAME_PER_IP_PER_MINUTE": "1000000",
           "ZJB_LOGGING_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port), "--data-dir", str(workdir),
                             "--processes", str(processes)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not become ready")


def make_residents(base: str, n: int, workers: int) -> list[str]:
    def one(_: int) -> str:
        s = requests.Session()
        r = _post(s, base, "/api/v1/auth/wechat-login", {"code": f"test-storm-{uuid.uuid4().hex[:12]}"})
        token = r.json()["access_token"]
        r = _post(s, base, "/api/v1/me/realname", {"name": "张伟", "id_number": make_id_number()}, token)
        assert r.status_code == 200, r.text
        return token
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(n)))


def prepare_day(base: str, capacity: int, slot_minutes: int) -> tuple[str, str, str, list[dict]]:
    s = requests.Session()
    mgr = _post(s, base, "/api/v1/staff/login", {"username": "hall1", "password": PASSWORD}).json()["access_token"]
    dept = s.get(base + "/api/v1/departments").json()["items"][0]["id"]
    code = "STORM-" + uuid.uuid4().hex[:6].upper()
    hall = _post(s, base, "/api/v1/staff/halls", {"code": code, "name": "压测大厅", "address": "压测路 1 号",
                                                  "opening_hours": [{"weekday": d, "start": "09:00", "end": "17:00"}
                                                                    for d in range(1, 8)]}, mgr).json()
    svc = _post(s, base, "/api/v1/staff/services", {
        "code": code, "name": "压测事项", "department_id": dept, "hall_ids": [hall["id"]], "guide": {
            "materials": [], "fee_fen": 0, "statutory_days": 5, "promised_days": 1, "online": False,
            "bookable": True, "visit_required": True, "max_visits": 1}}, mgr).json()
    s.patch(base + f"/api/v1/staff/halls/{hall['id']}", data=__import__("json").dumps({"windows": [
        {"number": "01", "name": "窗口", "area_prefix": "A", "service_ids": [svc["id"]]}]}),
        headers={"Authorization": f"Bearer {mgr}", "Content-Type": "application/json"})
    r = s.put(base + f"/api/v1/staff/halls/{hall['id']}/schedules", data=__import__("json").dumps({"items": [
        {"service_id": svc["id"], "periods": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 8)],
         "slot_minutes": slot_minutes, "windows": capacity, "release_days": 7}]}),
        headers={"Authorization": f"Bearer {mgr}", "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    day = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() + dt.timedelta(days=3)).isoformat()
    _post(s, base, f"/api/v1/staff/halls/{hall['id']}/exceptions",
          {"date": day, "kind": "open", "periods": [{"start": "09:00", "end": "17:00"}]}, mgr)
    rel = _post(s, base, "/api/v1/staff/slots/release", {"hall_id": hall["id"], "date": day}, mgr).json()
    slots = s.get(base + f"/api/v1/services/{svc['id']}/slots", params={"date": day}).json()["items"]
    print(f"released {rel['released']} slots on {day}, capacity {capacity} each ({capacity * len(slots)} places)")
    return mgr, hall["id"], day, slots


def storm(base: str, tokens: list[str], slot_ids: list[str]) -> tuple[list[float], list[int], float]:
    barrier = threading.Barrier(len(tokens))
    sessions = [requests.Session() for _ in tokens]

    def one(i: int) -> tuple[float, int]:
        sid = random.choice(slot_ids)
        barrier.wait()
        t = time.perf_counter()
        r = _post(sessions[i], base, "/api/v1/appointments", {"slot_id": sid}, tokens[i])
        return time.perf_counter() - t, r.status_code
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(tokens)) as pool:
        res = list(pool.map(one, range(len(tokens))))
    wall = time.perf_counter() - t0
    return [x[0] for x in res], [x[1] for x in res], wall


async def raw_rate(db_uri: str, ops: int, concurrency: int, capacity: int) -> float:
    """The booking's contended write, straight to the database: conditional $inc + $push."""
    client = connect(db_uri)
    col = client["storm_raw"]["slots"]
    await col.drop()
    now = dt.datetime.now(dt.timezone.utc)
    n_slots = max(1, ops // capacity)
    ids = [ObjectId() for _ in range(n_slots)]
    await col.insert_many([{"_id": i, "status": "open", "free": capacity, "booked": 0, "claims": [],
                            "release_at": now} for i in ids])
    done = 0

    async def worker() -> None:
        nonlocal done
        while done < ops:
            done += 1
            await col.update_one({"_id": random.choice(ids), "status": "open", "free": {"$gt": 0},
                                  "release_at": {"$lte": now}},
                                 {"$inc": {"free": -1, "booked": 1}, "$push": {"claims": ObjectId()}})
    t = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    rate = ops / (time.perf_counter() - t)
    await client.drop_database("storm_raw")
    await client.close()
    return rate


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server (sandbox mode); default: start one")
    ap.add_argument("--db-uri", help="its database, for the raw-rate measurement")
    ap.add_argument("-n", "--residents", type=int, default=300)
    ap.add_argument("--capacity", type=int, default=10, help="places per slot")
    ap.add_argument("--slot-minutes", type=int, default=60)
    ap.add_argument("--same-slot", action="store_true", help="everyone books the same slot")
    ap.add_argument("--raw-ops", type=int, default=3000)
    ap.add_argument("--processes", type=int, default=1, help="app processes (serve --processes N)")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="storm-")
    db = None
    proc = None
    db_uri = args.db_uri
    try:
        if not args.url or not db_uri:
            db = EmbeddedDatabase(Path(tmp.name) / "db")
            db.start()
            db_uri = db_uri or db.uri
        base = args.url
        if not base:
            proc, base = start_system(db.uri, Path(tmp.name) / "data", args.processes)
            time.sleep(3 if args.processes > 1 else 0)  # every app process up
            print(f"started the system at {base}")
        t = time.perf_counter()
        tokens = make_residents(base, args.residents, 16)
        print(f"{len(tokens)} verified residents in {time.perf_counter() - t:.1f}s")
        mgr, hall_id, day, slots = prepare_day(base, args.capacity, args.slot_minutes)
        slot_ids = [slots[0]["id"]] if args.same_slot else [s["id"] for s in slots]
        places = args.capacity * len(slot_ids)
        lat, codes, wall = storm(base, tokens, slot_ids)
        ok = codes.count(201)
        full = codes.count(409)
        other = len(codes) - ok - full
        cal = requests.get(base + f"/api/v1/staff/halls/{hall_id}/calendar", params={"from": day, "to": day},
                           headers={"Authorization": f"Bearer {mgr}"}).json()["items"]
        booked_by_slot = {c["id"]: c["booked"] for c in cal}
        overbooked = sum(max(0, c["booked"] - c["capacity"]) for c in cal)
        appts = requests.get(base + "/api/v1/staff/appointments", params={"hall_id": hall_id, "date": day},
                             headers={"Authorization": f"Bearer {mgr}"}).json()["items"]
        mismatch = abs(sum(booked_by_slot.values()) - len(appts)) + abs(len(appts) - ok)
        print(f"\nstorm: {len(tokens)} residents, {len(slot_ids)} slot(s), {places} places")
        print(f"  answers: {ok} booked (201), {full} refused (409), {other} other")
        print(f"  wall {wall:.2f}s  → {len(codes) / wall:.0f} requests/s, {ok / wall:.0f} bookings/s")
        print(f"  latency ms: p50 {pct(lat, 50):.0f}  p95 {pct(lat, 95):.0f}  p99 {pct(lat, 99):.0f}  "
              f"max {max(lat) * 1000:.0f}  mean {statistics.mean(lat) * 1000:.0f}")
        print(f"  overbooked: {overbooked}   (count mismatches slot/appointments/answers: {mismatch})")
        print(f"  booked == min(places, residents): {ok == min(places, len(tokens))}")
        rate = asyncio.run(raw_rate(db_uri, args.raw_ops, 32, args.capacity))
        print(f"\nraw database rate of the conditional update ($inc free>0 + $push claim), 32 concurrent: "
              f"{rate:.0f} updates/s")
        print(f"  API requests/s ÷ raw updates/s = {len(codes) / wall / rate:.2f}")
        return 0 if overbooked == 0 and mismatch == 0 and other == 0 else 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        if db is not None:
            db.stop()
        tmp.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
