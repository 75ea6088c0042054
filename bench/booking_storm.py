"""Booking storm: N verified residents book one released day of slots at the same instant, as
ratios to the fair references measured in the same run, and as the city's data grows.

    python bench/booking_storm.py                       # 200 residents on 8 slots, starts everything itself
    python bench/booking_storm.py --same-slot           # 200 residents on one slot
    python bench/booking_storm.py --sizes 1000,10000,100000
    python bench/booking_storm.py --url http://127.0.0.1:8000 --db-uri mongodb://... --db-name zhijianban

It creates its own hall, service and schedule (``--capacity`` places per slot), releases a day,
has each resident open the app (``GET /api/v1/me``, as the home page does; ``--cold`` skips it),
waits until the set-up's messages are delivered, and fires every resident's booking at once, each
on its own warm keep-alive connection (bench/reference.py's client). The references too start
once nothing is left to deliver. It prints bookings/s and latency, the overbooked count (must be
0), and, as ratios, the same figures for the references of bench/reference.py at the same
concurrency: the brief conditional update (``{_id, free >= 1}`` → ``$inc``) and ``/healthz``.
From the database's own accounting (``top``) it prints the groups achieved (bookings per slot
claim and per appointment insert) and the database's operations and time per booking, by part
(claim, insert, outbox, rate-limit counters, session checks, the rest); from ``/proc``, the CPU
per booking of the database, the app and this client.

With ``--sizes`` it first seeds existing bookings through the driver (bench/seed_bookings.py)
up to each size and, at each, measures the idle database CPU (workers running), one booking at
a time (``--singles`` of them), and the storm, then prints every figure as a ratio to the
first size.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.db.embedded import EmbeddedDatabase, free_port  # noqa: E402
from backend.db.mongo import connect  # noqa: E402
from bench.common import machine  # noqa: E402
from bench.reference import against, brief_update, connections, healthz, pct  # noqa: E402
from bench.seed_bookings import seed  # noqa: E402
from tests.support import make_id_number  # noqa: E402

PASSWORD = "Zjb-demo-2026"


def _post(s: requests.Session, base: str, path: str, body: dict[str, Any],
          token: str | None = None) -> requests.Response:
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = f"Bearer {token}"
    return s.post(base + path, data=json.dumps(body).encode(), headers=h, timeout=120)


def start_system(db_uri: str, db_name: str, workdir: Path, processes: int = 1,
                 workers: bool = True, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZJB_")},
           "ZJB_DATABASE_URI": db_uri, "ZJB_DATABASE_NAME": db_name,
           "ZJB_RATELIMIT_LOGIN_PER_IP_PER_MINUTE": "1000000", "ZJB_RATELIMIT_REALNAME_PER_IP_PER_MINUTE": "1000000",
           "ZJB_LOGGING_LEVEL": "WARNING", "ZJB_WORKERS_ENABLED": "true" if workers else "false",
           **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port), "--data-dir", str(workdir),
                             "--processes", str(processes)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not become ready")


def app_env(settings: list[str]) -> dict[str, str]:
    """``--app-env`` settings as environment variables for the app (``ZJB_SECTION_KEY=VALUE``)."""
    env = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not (sep and key.startswith("ZJB_")):
            raise SystemExit(f"--app-env {item!r}: expected ZJB_SECTION_KEY=VALUE")
        env[key] = value
    return env


def make_residents(base: str, n: int, workers: int = 16) -> list[str]:
    def one(_: int) -> str:
        s = requests.Session()
        for attempt in range(4):  # a loaded machine may answer 5xx now and then; this is set-up, not the storm
            code = f"test-storm-{uuid.uuid4().hex[:12]}"
            r = _post(s, base, "/api/v1/auth/wechat-login", {"code": code})
            if r.status_code == 200:
                token: str = r.json()["access_token"]
                number = make_id_number()
                face = _post(s, base, "/sandbox/wechat/face-verify",
                             {"openid": "o-" + code, "name": "张伟", "id_number": number, "pass": True})
                r = _post(s, base, "/api/v1/me/realname", {"name": "张伟", "id_number": number,
                                                           "verify_result": face.json().get("verify_result")}, token)
                if r.status_code == 200:
                    return token
            time.sleep(1 + attempt)
        raise SystemExit(f"could not make a resident: {r.status_code} {r.text[:300]}")
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(n)))


def open_app(base: str, tokens: list[str], workers: int = 16) -> None:
    """Each resident opens the mini-program before the release (its home page asks who they are),
    as residents waiting for a release have: the storm then meets sessions and accounts each
    process has read lately, not ones it never saw."""
    def one(token: str) -> None:
        r = requests.get(base + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        r.raise_for_status()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, tokens))


def wait_delivered(db_uri: str, db_name: str, timeout: float = 60.0) -> None:
    """Until the set-up's messages (bindings, single bookings) are delivered: the storm starts on a
    database doing nothing else, as the references do."""
    from pymongo import MongoClient
    c: MongoClient[dict[str, Any]]
    with MongoClient(db_uri) as c:
        outbox = c[db_name]["outbox"]
        deadline = time.monotonic() + timeout
        while outbox.count_documents({"status": {"$in": ["pending", "sending"]},
                                      "deliver_after": {"$lte": dt.datetime.now(dt.UTC)}}, limit=1) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
    time.sleep(1.0)  # a delivery run that found nothing has ended


def prepare_day(base: str, capacity: int, slot_minutes: int,
                days_ahead: int = 3) -> tuple[str, str, str, list[dict[str, Any]]]:
    """A new hall and service with a released day of slots of at least ``capacity`` places each
    (windows × places per window, at most 50 each)."""
    s = requests.Session()
    mgr = _post(s, base, "/api/v1/staff/login", {"username": "hall1", "password": PASSWORD}).json()["access_token"]
    auth = {"Authorization": f"Bearer {mgr}", "Content-Type": "application/json"}
    dept = s.get(base + "/api/v1/departments").json()["items"][0]["id"]
    code = "STORM-" + uuid.uuid4().hex[:6].upper()
    hall = _post(s, base, "/api/v1/staff/halls", {"code": code, "name": "压测大厅", "address": "压测路 1 号",
                                                  "opening_hours": [{"weekday": d, "start": "09:00", "end": "17:00"}
                                                                    for d in range(1, 8)]}, mgr).json()
    svc = _post(s, base, "/api/v1/staff/services", {
        "code": code, "name": "压测事项", "department_id": dept, "hall_ids": [hall["id"]], "guide": {
            "materials": [], "fee_fen": 0, "statutory_days": 5, "promised_days": 1, "online": False,
            "bookable": True, "visit_required": True, "max_visits": 1}}, mgr).json()
    s.patch(base + f"/api/v1/staff/halls/{hall['id']}", data=json.dumps({"windows": [
        {"number": "01", "name": "窗口", "area_prefix": "A", "service_ids": [svc["id"]]}]}), headers=auth)
    r = s.put(base + f"/api/v1/staff/halls/{hall['id']}/schedules", data=json.dumps({"items": [
        {"service_id": svc["id"], "periods": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 8)],
         "slot_minutes": slot_minutes, "windows": min(capacity, 50), "per_window": -(-capacity // 50),
         "release_days": 7}]}), headers=auth)
    assert r.status_code == 200, r.text
    day = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() + dt.timedelta(days=days_ahead)).isoformat()
    _post(s, base, f"/api/v1/staff/halls/{hall['id']}/exceptions",
          {"date": day, "kind": "open", "periods": [{"start": "09:00", "end": "17:00"}]}, mgr)
    _post(s, base, "/api/v1/staff/slots/release", {"hall_id": hall["id"], "date": day}, mgr)
    slots = s.get(base + f"/api/v1/services/{svc['id']}/slots", params={"date": day}).json()["items"]
    return mgr, hall["id"], day, slots


async def storm(base: str, tokens: list[str], slot_ids: list[str]) -> tuple[list[float], list[int], float, float]:
    """Every resident's booking fired at the same instant, each on its own (warm) connection.
    Returns each one's latency and status, the wall time, and this client's CPU seconds."""
    conns = await connections(base, len(tokens))
    lat = [0.0] * len(tokens)
    codes = [0] * len(tokens)

    async def one(i: int) -> None:
        # spread evenly: with a place for everyone, everyone books
        t = time.perf_counter()
        r = await conns[i].request("POST", "/api/v1/appointments", {"slot_id": slot_ids[i % len(slot_ids)]}, tokens[i])
        lat[i], codes[i] = time.perf_counter() - t, r.status
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*[one(i) for i in range(len(tokens))])
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    await asyncio.gather(*[c.close() for c in conns])
    return lat, codes, wall, cpu


def singles(base: str, tokens: list[str], slot_ids: list[str]) -> list[float]:
    """One booking at a time, each resident its own: the latency of a booking with nothing else going on."""
    s = requests.Session()
    out = []
    for i, token in enumerate(tokens):
        t = time.perf_counter()
        r = _post(s, base, "/api/v1/appointments", {"slot_id": slot_ids[i % len(slot_ids)]}, token)
        out.append(time.perf_counter() - t)
        assert r.status_code == 201, r.text
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its children (the app and its worker processes)."""
    total = 0.0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
                if int(d.name) == pid or int(stat[1]) == pid:
                    total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
    return total


def system_cpu(db_pid: int | None, app_pid: int | None) -> tuple[float, float]:
    """CPU seconds so far of the database and of the app with its children (0 for one not known)."""
    return (cpu_seconds(db_pid) if db_pid else 0.0, tree_cpu_seconds(app_pid) if app_pid else 0.0)


def wait_settled(app_pid: int | None, db_pid: int | None, *, share: float = 0.15, window: float = 0.5,
                 calm: int = 2, timeout: float = 60.0) -> float:
    """Wait until the app (with its children) and the database each use less than ``share`` of a
    core for ``calm`` windows in a row, and return the seconds waited. A system started seconds ago
    is still doing its start-up work (a fresh database's booking window of slots, the calendar);
    a morning's peak meets one that has been running, so the timed part starts once that is done."""
    t0 = time.monotonic()
    quiet = 0
    last = system_cpu(db_pid, app_pid)
    while quiet < calm and time.monotonic() - t0 < timeout:
        time.sleep(window)
        now = system_cpu(db_pid, app_pid)
        busy = max(now[0] - last[0], now[1] - last[1]) / window
        quiet = quiet + 1 if busy < share else 0
        last = now
    return time.monotonic() - t0


def idle_cpu(pid: int, seconds: float) -> float:
    """Share of one core the process used over ``seconds`` while nobody sent a request."""
    a, t = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    return (cpu_seconds(pid) - a) / (time.perf_counter() - t)


def check(base: str, mgr: str, hall_id: str, day: str, ok: int) -> tuple[int, int]:
    h = {"Authorization": f"Bearer {mgr}"}
    cal = requests.get(base + f"/api/v1/staff/halls/{hall_id}/calendar", params={"from": day, "to": day},
                       headers=h, timeout=60).json()["items"]
    overbooked = sum(max(0, c["booked"] - c["capacity"]) for c in cal)
    appts = requests.get(base + "/api/v1/staff/appointments", params={"hall_id": hall_id, "date": day}, headers=h,
                         timeout=60).json()["items"]
    mismatch = abs(sum(c["booked"] for c in cal) - len(appts)) + abs(len(appts) - ok)
    return overbooked, mismatch


SECTIONS = ("queries", "getmore", "insert", "update", "remove", "commands")


def db_top(uri: str) -> dict[tuple[str, str], tuple[int, int]]:
    """The database's own accounting (``top``): per collection and kind of operation, (count, µs)."""
    from pymongo import MongoClient
    c: MongoClient[dict[str, Any]]
    with MongoClient(uri) as c:
        totals = c.admin.command("top")["totals"]
    return {(ns, sec): (v[sec]["count"], v[sec]["time"]) for ns, v in totals.items() if isinstance(v, dict)
            for sec in SECTIONS if sec in v}


# What each database operation during a storm is for: (collection, kind of operation) → part.
PARTS = {("appt_slots", "update"): "claim (slot update)", ("appt_slots", "queries"): "slot read",
         ("appointments", "insert"): "appointment insert", ("appointments", "queries"): "appointment read",
         ("appt_people", "queries"): "person records read", ("outbox", "insert"): "outbox insert",
         ("rate_limits", "insert"): "rate-limit counters", ("rate_limits", "update"): "rate-limit counters",
         ("rate_limits", "queries"): "rate-limit counters", ("users", "queries"): "session checks (accounts)",
         ("realnames", "queries"): "session checks (identities)",
         ("sessions", "queries"): "session checks (sessions)", ("session_ends", "queries"): "sessions ended (looks)"}
OTHER_PREFIX = "other: "   # message delivery, sweeps


def top_delta(before: dict[tuple[str, str], tuple[int, int]],
              after: dict[tuple[str, str], tuple[int, int]]) -> dict[tuple[str, str], tuple[int, int]]:
    """The database's operations between two ``db_top`` readings, by collection (without its
    database) and kind of operation: (count, µs), those that happened only."""
    delta: dict[tuple[str, str], tuple[int, int]] = {}
    for (ns, sec), (n, us) in after.items():
        n0, us0 = before.get((ns, sec), (0, 0))
        if n > n0:
            key = (ns.split(".", 1)[-1], sec)
            c, t = delta.get(key, (0, 0))
            delta[key] = (c + n - n0, t + us - us0)
    return delta


def top_parts(before: dict[tuple[str, str], tuple[int, int]],
              after: dict[tuple[str, str], tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """The database's operations and time during the storm, by part: (count, µs). What is not
    the booking's own is named by collection and operation, as "other: outbox update"."""
    parts: dict[str, tuple[int, int]] = {}
    for (name, sec), (n, us) in top_delta(before, after).items():
        part = PARTS.get((name, sec), f"{OTHER_PREFIX}{name} {sec}")
        c, t = parts.get(part, (0, 0))
        parts[part] = (c + n, t + us)
    return parts


def print_top(parts: dict[str, tuple[int, int]], bookings: int, slots: int) -> dict[str, float]:
    """Groups, and where the database's time went during the storm, per booking and per group.
    A wave's claims (one conditional update per slot) are one command, as are its inserts."""
    claims = parts.get("claim (slot update)", (0, 0))[0] or 1
    inserts = parts.get("appointment insert", (0, 0))[0] or 1
    total = sum(t for _, t in parts.values()) or 1
    ops = sum(n for part, (n, _) in parts.items() if not part.startswith(OTHER_PREFIX))
    print(f"  groups: {bookings / claims:.1f} bookings per claim command (a wave), {bookings / inserts:.1f} per "
          f"appointment insert, so {bookings / claims / slots:.1f} per slot and wave on {slots} slot(s); "
          f"{ops / bookings:.2f} database operations per booking ({ops / claims:.1f} per wave), delivery and "
          f"sweeps beside")
    print(f"  database time during the storm, by part ({total / 1000:.0f} ms in all; the database's own "
          f"accounting, waits included):")
    print(f"    {'part':<34}{'ops/booking':>12}{'ops/wave':>11}{'ms/booking':>12}{'share':>8}")
    for part, (n, us) in sorted(parts.items(), key=lambda kv: -kv[1][1]):
        print(f"    {part:<34}{n / bookings:12.2f}{n / claims:11.2f}{us / bookings / 1000:12.2f}"
              f"{us / total * 100:7.1f}%")
    return {"group": bookings / claims, "ops": ops / bookings}


def one_round(base: str, db_uri: str, db_name: str, args: argparse.Namespace, days_ahead: int,
              pids: tuple[int | None, int | None] = (None, None)) -> dict[str, float]:
    tokens = make_residents(base, args.residents + args.singles)
    mgr, hall_id, day, slots = prepare_day(base, args.capacity, args.slot_minutes, days_ahead)
    slot_ids = [slots[0]["id"]] if args.same_slot else [s["id"] for s in slots]
    places = args.capacity * len(slot_ids)
    one = singles(base, tokens[args.residents:], slot_ids) if args.singles else []
    if not args.cold:
        open_app(base, tokens[:args.residents])
    wait_delivered(db_uri, db_name)
    db_pid, app_pid = pids
    wait_settled(app_pid, db_pid)
    db_cpu = (lambda: cpu_seconds(db_pid)) if db_pid else None  # noqa: E731
    cpu0 = system_cpu(db_pid, app_pid)
    top0 = db_top(db_uri)
    lat, codes, wall, client_cpu = asyncio.run(storm(base, tokens[:args.residents], slot_ids))
    cpu1 = system_cpu(db_pid, app_pid)
    parts = top_parts(top0, db_top(db_uri))
    ok, full = codes.count(201), codes.count(409)
    overbooked, mismatch = check(base, mgr, hall_id, day, ok + len(one))
    wait_delivered(db_uri, db_name)   # the references too start on a database doing nothing else
    brief = asyncio.run(brief_update(db_uri, args.residents, args.rounds, db_cpu))
    health = asyncio.run(healthz(base, args.residents, args.rounds))
    r = {"places": places, "booked": ok, "refused": full, "other": len(codes) - ok - full, "wall": wall,
         "requests_s": len(codes) / wall, "bookings_s": ok / wall, "p50": pct(lat, 50), "p99": pct(lat, 99),
         "overbooked": overbooked, "mismatch": mismatch, "brief_s": brief.rate, "brief_p99": brief.p99_ms,
         "healthz_s": health.rate, "healthz_p99": health.p99_ms,
         "single_p50": pct(one, 50) if one else 0.0, "single_mean": statistics.mean(one) * 1000 if one else 0.0}
    print(f"  storm: {len(codes)} residents on {len(slot_ids)} slot(s), {places} places: {ok} booked (201), "
          f"{full} refused (409), {r['other']:.0f} other")
    print(f"  wall {wall:.2f}s  → {r['requests_s']:.0f} requests/s, {r['bookings_s']:.0f} bookings/s")
    print(f"  latency ms: p50 {r['p50']:.0f}  p95 {pct(lat, 95):.0f}  p99 {r['p99']:.0f}  max {max(lat) * 1000:.0f}")
    print(f"  overbooked: {overbooked}   (count mismatches slot/appointments/answers: {mismatch})")
    print(f"  brief update ({{_id, free >= 1}} → $inc), {args.residents} at once: {brief.rate:.0f}/s, "
          f"p99 {brief.p99_ms:.0f} ms;  /healthz, {args.residents} at once: {health.rate:.0f}/s, "
          f"p99 {health.p99_ms:.0f} ms")
    print("  " + against("bookings", r["bookings_s"], r["p99"], brief, "brief update"))
    print("  " + against("bookings", r["bookings_s"], r["p99"], health, "/healthz"))
    if db_pid and app_pid and ok:
        r["db_cpu"] = (cpu1[0] - cpu0[0]) / ok * 1000
        r["brief_cpu"] = brief.db_cpu * 1000
        print(f"  CPU per booking during the storm: database {r['db_cpu']:.2f} ms, "
              f"app (with its workers) {(cpu1[1] - cpu0[1]) / ok * 1000:.2f} ms, this client "
              f"{client_cpu / len(codes) * 1000:.2f} ms; database per brief update {r['brief_cpu']:.2f} ms "
              f"(booking ÷ update: {r['db_cpu'] / r['brief_cpu']:.2f})")
    if ok:
        r.update(print_top(parts, ok, len(slot_ids)))
    if one:
        print(f"  one booking at a time ({len(one)}): p50 {r['single_p50']:.1f} ms, mean {r['single_mean']:.1f} ms")
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server (sandbox mode); default: start one")
    ap.add_argument("--db-uri", help="its database, for the raw rate and the seeding")
    ap.add_argument("--db-name", default="zhijianban", help="its database name (with --url)")
    ap.add_argument("-n", "--residents", type=int, default=200)
    ap.add_argument("--capacity", type=int, help="places per slot (8 slots); default: a place for everyone")
    ap.add_argument("--slot-minutes", type=int, default=60)
    ap.add_argument("--same-slot", action="store_true", help="everyone books the same slot")
    ap.add_argument("--rounds", type=int, default=10, help="bursts of the references (brief update, /healthz)")
    ap.add_argument("--no-workers", action="store_true",
                    help="no background workers (the storm without message delivery beside it)")
    ap.add_argument("--processes", type=int, default=1, help="app processes (serve --processes N)")
    ap.add_argument("--app-env", action="append", default=[], metavar="ZJB_SECTION_KEY=VALUE",
                    help="a setting for the app it starts, e.g. ZJB_WORKERS_YIELD_AT_REQUESTS=0 (repeatable)")
    ap.add_argument("--sizes", help="existing bookings to seed first, e.g. 1000,10000,100000")
    ap.add_argument("--singles", type=int, default=0, help="bookings one at a time before each storm")
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    ap.add_argument("--cold", action="store_true",
                    help="residents book without having opened the app before (no session or account read lately)")
    ap.add_argument("--no-outbox", action="store_true",
                    help="seed no delivered messages (tells the appointments' cost from a growing outbox's)")
    args = ap.parse_args()
    if args.sizes and not args.singles:
        args.singles = 20
    if args.capacity is None:
        args.capacity = -(-(args.residents + args.singles) // (1 if args.same_slot else 8))

    tmp = tempfile.TemporaryDirectory(prefix="storm-")
    db: EmbeddedDatabase | None = None
    proc: subprocess.Popen[bytes] | None = None
    db_uri, db_name = args.db_uri, args.db_name
    rounds: list[tuple[int, dict[str, float]]] = []
    try:
        if not args.url or not db_uri:
            db = EmbeddedDatabase(Path(tmp.name) / "db")
            db.start()
            db_uri = db.uri
            db_name = f"storm_{uuid.uuid4().hex[:6]}"
        base = args.url
        if not base:
            proc, base = start_system(db_uri, db_name, Path(tmp.name) / "data", args.processes,
                                      workers=not args.no_workers, extra_env=app_env(args.app_env))
            time.sleep(3 if args.processes > 1 else 0)  # every app process up
        print(f"machine: {machine()}")
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [0]
        seeded = 0
        for i, size in enumerate(sizes):
            if size:
                took = asyncio.run(_seed(db_uri, db_name, seeded, size, outbox=not args.no_outbox))
                seeded = size
                print(f"\n== {size:,} existing bookings (seeded through the driver in {took:.0f} s)")
            idle = None
            db_pid = db.proc.pid if db is not None and db.proc is not None else None
            if db_pid is not None and size:
                time.sleep(3)  # what the seeding set going settles
                idle = idle_cpu(db_pid, args.idle_seconds)
                print(f"  idle database CPU, workers running: {idle * 100:.1f}% of a core")
            r = one_round(base, db_uri, db_name, args, days_ahead=3 + i,
                          pids=(db_pid, proc.pid if proc is not None else None))
            if idle is not None:
                r["idle_cpu"] = idle
            rounds.append((size, r))
        if len(rounds) > 1:
            first = rounds[0][1]
            print("\n| existing bookings | one booking p50 | storm bookings/s ÷ brief update | "
                  "storm p99 ÷ update p99 | overbooked | idle DB CPU | vs first size: one booking, bookings/s |")
            print("|---|---|---|---|---|---|---|")
            for size, r in rounds:
                # the idle database is measured once bookings are seeded, not on an empty one
                idle_cell = f"{r['idle_cpu'] * 100:.1f}%" if "idle_cpu" in r else "—"
                print(f"| {size:,} | {r['single_p50']:.1f} ms | {r['bookings_s'] / r['brief_s']:.2f} | "
                      f"{r['p99'] / r['brief_p99']:.2f} | {r['overbooked']:.0f} | {idle_cell} | "
                      f"{r['single_p50'] / first['single_p50']:.2f}×, "
                      f"{(r['bookings_s'] / r['brief_s']) / (first['bookings_s'] / first['brief_s']):.2f}× |")
        bad = any(r["overbooked"] or r["mismatch"] or r["other"] for _, r in rounds)
        return 1 if bad else 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        if db is not None:
            db.stop()
        tmp.cleanup()


async def _seed(uri: str, name: str, start: int, stop: int, *, outbox: bool) -> float:
    client = connect(uri, server_selection_timeout_ms=10000)
    try:
        return await seed(client[name], start, stop, outbox=outbox)
    finally:
        await client.close()


if __name__ == "__main__":
    raise SystemExit(main())
