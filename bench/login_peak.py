"""The morning login peak: N residents open the mini-program at once, each from its own client
address, logging in with WeChat, binding a real name and loading the home page, as ratios to the
references of bench/reference.py in the same run.

    python bench/login_peak.py                         # 500 residents, starts everything itself
    python bench/login_peak.py -n 100 --rounds 3
    python bench/login_peak.py --standins inline       # the stand-ins on the app's own event loop
    python bench/login_peak.py --no-home               # login and binding only, no home page after

Before the timed part each resident goes through face verification in WeChat (the sandbox hook
``POST /sandbox/wechat/face-verify``, as ``wx.startFacialRecognitionVerify`` would) and gets its
``verify_result``. The timed part then waits for the system to settle (a fresh database's start-up
work, such as the booking window's slots, done), as a morning's peak meets a system that has been
running. Then all at once, each on its own warm keep-alive connection and from its own
address (``X-Forwarded-For`` through 127.0.0.1, a trusted proxy, with the product's per-address
limits in force), a resident sends ``POST /api/v1/auth/wechat-login`` (a fresh code: the app calls
``code2session`` at the WeChat stand-in), ``POST /api/v1/me/realname`` (the app checks the face
verification with WeChat and the name with the real-name verification stand-in), and then, as the
home page does, ``GET /api/v1/me``, ``/api/v1/services?frequent=true``, ``/api/v1/departments`` and
``/api/v1/life-events`` together.

It prints p50/p99 of each step and of login + binding (what the seed's 认证时间不超过3秒 is about),
how many took over 3 s, failures by step and status, the ratio of the p99 to 3 s, and the rate
against the brief conditional update and ``/healthz`` at the same concurrency. The stand-ins run in
their own process unless ``--standins inline``, so the peak measures the product, not them.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import resource
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.config import RateLimitConfig  # noqa: E402
from backend.db.embedded import EmbeddedDatabase  # noqa: E402
from bench.booking_storm import app_env, cpu_seconds, db_top, start_system, top_delta, tree_cpu_seconds, wait_settled  # noqa: E402
from bench.common import machine  # noqa: E402
from bench.reference import Http, against, brief_update, connections, healthz, pct  # noqa: E402
from tests.support import CHINESE_NAMES, make_id_number  # noqa: E402

SEED_LIMIT_S = 3.0   # 认证时间不超过3秒
HOME = ("/api/v1/me", "/api/v1/services?frequent=true", "/api/v1/departments", "/api/v1/life-events")
STEPS = ("login", "binding", "home page")


@dataclass(frozen=True)
class Resident:
    code: str
    name: str
    id_number: str
    address: str
    verify_result: str = ""


def residents(n: int, addresses: int) -> list[Resident]:
    """``n`` residents with distinct ID numbers, spread over ``addresses`` client addresses."""
    first_born = dt.date(1960, 1, 1) + dt.timedelta(days=random.randrange(0, 365 * 30))

    def address(k: int) -> str:
        return f"10.{k // 65536 % 256}.{k // 256 % 256}.{k % 256}"
    return [Resident(code=f"test-peak-{uuid.uuid4().hex[:12]}", name=random.choice(CHINESE_NAMES),
                     id_number=make_id_number(born=first_born + dt.timedelta(days=i // 1000), seq=i % 1000),
                     address=address(i % addresses))
            for i in range(n)]


async def face_verified(base: str, people: list[Resident], concurrency: int = 16) -> list[Resident]:
    """Each resident's verify_result from the sandbox hook (set-up, not timed)."""
    conns = await connections(base, concurrency)
    out: list[Resident] = []
    for start in range(0, len(people), concurrency):
        batch = people[start:start + concurrency]
        answers = await asyncio.gather(*[
            c.request("POST", "/sandbox/wechat/face-verify",
                      {"openid": "o-" + p.code, "name": p.name, "id_number": p.id_number, "pass": True})
            for c, p in zip(conns, batch, strict=False)])
        for p, a in zip(batch, answers, strict=True):
            if a.status != 200:
                raise SystemExit(f"face verification hook answered {a.status}: {a.body[:300]!r}")
            out.append(Resident(p.code, p.name, p.id_number, p.address, a.json()["verify_result"]))
    await asyncio.gather(*[c.close() for c in conns])
    return out


async def registered(base: str, people: list[Resident], concurrency: int = 16) -> None:
    """Each resident logs in and binds the real name once (set-up, not timed): the returning
    residents of a morning peak."""
    conns = await connections(base, concurrency, [p.address for p in people[:concurrency]])
    for start in range(0, len(people), concurrency):
        async def one(c: Http, p: Resident) -> None:
            r = await c.request("POST", "/api/v1/auth/wechat-login", {"code": p.code})
            if r.status == 200:
                r = await c.request("POST", "/api/v1/me/realname", {"name": p.name, "id_number": p.id_number,
                                                                   "verify_result": p.verify_result},
                                    token=r.json()["access_token"])
            if r.status != 200:
                raise SystemExit(f"registering a resident answered {r.status}: {r.body[:300]!r}")
        await asyncio.gather(*[one(c, p) for c, p in zip(conns, people[start:start + concurrency], strict=False)])
    await asyncio.gather(*[c.close() for c in conns])


@dataclass
class Peak:
    times: dict[str, list[float]]            # seconds per step, and "login + binding", "all", of those who finished
    failures: dict[tuple[str, int], int]     # (step, status) → count
    wall: float


async def peak(base: str, people: list[Resident], *, home: bool = True, bind: bool = True) -> Peak:
    """Every resident's login, binding (unless ``bind`` is False: residents who bound before) and
    home page (unless ``home`` is False) at once."""
    n = len(people)
    conns = await connections(base, n, [p.address for p in people])
    homes = [[await Http(base, forwarded_for=p.address).open() for _ in HOME[1:]] if home else [] for p in people]
    times: dict[str, list[float]] = {k: [] for k in (*STEPS, "login + binding", "all")}
    failures: dict[tuple[str, int], int] = {}

    def failed(step: str, status: int) -> None:
        failures[(step, status)] = failures.get((step, status), 0) + 1

    async def one(i: int) -> None:
        p, c = people[i], conns[i]
        t0 = time.perf_counter()
        r = await c.request("POST", "/api/v1/auth/wechat-login", {"code": p.code})
        t1 = time.perf_counter()
        if r.status != 200:
            return failed("login", r.status)
        token = r.json()["access_token"]
        if bind:
            r = await c.request("POST", "/api/v1/me/realname",
                                {"name": p.name, "id_number": p.id_number, "verify_result": p.verify_result},
                                token=token)
            if r.status != 200:
                return failed("binding", r.status)
        t2 = time.perf_counter()
        calls = [c.request("GET", HOME[0], token=token)] if home else []
        calls += [h.request("GET", path, token=token) for h, path in zip(homes[i], HOME[1:], strict=False)]
        answers = await asyncio.gather(*calls)
        t3 = time.perf_counter()
        bad = [a.status for a in answers if a.status != 200]
        for status in bad:
            failed("home page", status)
        times["login"].append(t1 - t0)
        if bind:
            times["binding"].append(t2 - t1)
            times["login + binding"].append(t2 - t0)
        if not bad:
            if calls:
                times["home page"].append(t3 - t2)
            times["all"].append(t3 - t0)
    t = time.perf_counter()
    await asyncio.gather(*[one(i) for i in range(n)])
    wall = time.perf_counter() - t
    await asyncio.gather(*[c.close() for c in conns], *[c.close() for cs in homes for c in cs])
    return Peak(times, failures, wall)


class Spent:
    """The CPU each party uses from now until ``stop``: the app process, the stand-ins (its child
    processes), the database and this load generator. On two shared cores their sum per resident
    is what bounds the peak, and it moves less with a noisy host than the peak's p99 does. The
    database may be a child of the app (``serve`` started it): it is then not counted twice."""

    def __init__(self, app_pid: int, db_pid: int | None):
        self._app, self._db = app_pid, db_pid
        self._db_is_child = db_pid is not None and _parent_pid(db_pid) == app_pid
        self._start = self._now()
        self._spent: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        app = cpu_seconds(self._app)
        db = cpu_seconds(self._db) if self._db else 0.0
        me = resource.getrusage(resource.RUSAGE_SELF)
        children = tree_cpu_seconds(self._app) - app - (db if self._db_is_child else 0.0)
        return {"app": app, "stand-ins": children, "database": db, "this client": me.ru_utime + me.ru_stime}

    def stop(self) -> None:
        now = self._now()
        self._spent = {k: now[k] - self._start[k] for k in now}

    def per(self, n: int) -> str:
        parts = [f"{k} {v * 1000 / n:.1f} ms" for k, v in self._spent.items()]
        return ", ".join(parts) + f"; all {sum(self._spent.values()) * 1000 / n:.1f} ms"


def _parent_pid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def print_db_parts(before: dict[tuple[str, str], tuple[int, int]],
                   after: dict[tuple[str, str], tuple[int, int]], n: int, shown: int = 8,
                   unit: str = "resident") -> None:
    """The database's operations between two ``top`` readings by collection and kind, per
    ``unit`` (a resident of the peak, a paid order), most time first (its own accounting, waits
    included)."""
    parts = [(us, count, f"{name} {kind}") for (name, kind), (count, us) in top_delta(before, after).items()]
    total = sum(us for us, _, _ in parts) or 1
    parts.sort(reverse=True)
    print(f"  database time per {unit}, by collection and operation ({total / 1000 / n:.2f} ms in all):")
    print("    " + "; ".join(f"{name} {count / n:.2f}× {us / 1000 / n:.2f} ms" for us, count, name in parts[:shown]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--residents", type=int, default=500)
    ap.add_argument("--addresses", type=int, default=0, help="client addresses they come from (default: one each)")
    ap.add_argument("--rounds", type=int, default=5, help="bursts of the references")
    ap.add_argument("--standins", choices=("process", "inline"), default="process",
                    help="where the sandbox's stand-ins run (default: their own process, as `make run`)")
    ap.add_argument("--no-workers", action="store_true", help="no background workers")
    ap.add_argument("--app-env", action="append", default=[], metavar="ZJB_SECTION_KEY=VALUE",
                    help="a setting for the app it starts (repeatable)")
    ap.add_argument("--returning", action="store_true",
                    help="residents who logged in and bound their real name before (set-up, not timed): the "
                         "timed part is their login and home page, as on an ordinary morning")
    ap.add_argument("--no-home", action="store_true",
                    help="login and binding only: no home page after them (what the seed's 3 s is about, alone)")
    args = ap.parse_args()
    n = args.residents
    limits = RateLimitConfig()   # the product's per-address limits, not the storm's lifted ones
    env = {"ZJB_SERVER_TRUSTED_PROXIES": "127.0.0.1/32", "ZJB_SANDBOX_STANDINS_MODE": args.standins,
           "ZJB_RATELIMIT_LOGIN_PER_IP_PER_MINUTE": str(limits.login_per_ip_per_minute),
           "ZJB_RATELIMIT_REALNAME_PER_IP_PER_MINUTE": str(limits.realname_per_ip_per_minute)}
    with tempfile.TemporaryDirectory(prefix="login-peak-") as tmp:
        db = EmbeddedDatabase(Path(tmp) / "db")
        db.start()
        proc = None
        try:
            proc, base = start_system(db.uri, f"peak_{uuid.uuid4().hex[:6]}", Path(tmp) / "data",
                                      workers=not args.no_workers, extra_env={**env, **app_env(args.app_env)})
            print(f"machine: {machine()}")
            people = asyncio.run(face_verified(base, residents(n, args.addresses or n)))
            if args.returning:
                asyncio.run(registered(base, people))
            db_pid = db.proc.pid if db.proc is not None else None
            settled = wait_settled(proc.pid, db_pid)
            spent = Spent(proc.pid, db_pid)
            top0 = db_top(db.uri)
            result = asyncio.run(peak(base, people, home=not args.no_home, bind=not args.returning))
            spent.stop()
            top1 = db_top(db.uri)
            brief = asyncio.run(brief_update(db.uri, n, args.rounds))
            health = asyncio.run(healthz(base, n, args.rounds))
            t = result.times
            failures = ", ".join(f"{step} {status}: {count}"
                                 for (step, status), count in sorted(result.failures.items()))
            print(f"  peak: {n} {'returning ' if args.returning else ''}residents at once from "
                  f"{args.addresses or n} addresses, stand-ins {args.standins}; {len(t['all'])} logged in"
                  f"{'' if args.returning else ', bound their real name'}"
                  f"{'' if args.no_home else ' and loaded the home page'} in "
                  f"{result.wall:.2f} s; failures by step and status: {failures or 'none'}; it began once the "
                  f"system had settled ({settled:.1f} s after the set-up)")
            for name in (*STEPS, "login + binding", "all"):
                values = t[name]
                if not values:
                    continue
                print(f"  {name:<16} p50 {pct(values, 50):6.0f} ms   p99 {pct(values, 99):6.0f} ms   "
                      f"max {pct(values, 100):6.0f} ms   ({len(values)})")
            identity = "login" if args.returning else "login + binding"
            both = t[identity]
            over = sum(1 for s in both if s > SEED_LIMIT_S)
            print(f"  {identity} over the seed's 3 s: {over} of {len(both)}; "
                  f"p99 ÷ 3 s = {pct(both, 99) / 1000 / SEED_LIMIT_S:.2f}")
            print(f"  CPU per resident during the peak: {spent.per(n)}")
            print_db_parts(top0, top1, n)
            print(f"  brief update, {n} at once: {brief.rate:.0f}/s, p99 {brief.p99_ms:.0f} ms;  "
                  f"/healthz: {health.rate:.0f}/s, p99 {health.p99_ms:.0f} ms")
            rate = len(both) / result.wall
            print("  " + against("residents", rate, pct(both, 99), brief, "brief update"))
            print("  " + against("residents", rate, pct(both, 99), health, "/healthz"))
            return 1 if result.failures else 0
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(30)
            db.stop()


if __name__ == "__main__":
    raise SystemExit(main())
