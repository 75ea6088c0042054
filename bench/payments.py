"""Payment notices per second and their p99, with repeats mixed in; checks every order counted once.

    .venv/bin/python bench/payments.py [-n 200] [--repeats 3] [-c 8]

Starts the whole system (``python -m backend serve``: embedded SecantusDB, stand-ins) in a
temporary folder, creates ``n`` payment orders through the API (residents, finance staff) and
a WeChat Pay attempt for each, marks each paid at the WeChat Pay stand-in without a notice,
then sends every order's genuine notice (AES-256-GCM, RSA-signed by the stand-in's platform key)
``repeats`` times, shuffled, ``c`` at a time, to ``POST /api/v1/pay/notify/wechat``. At the end
it reads the database: every order must be paid once, with one receipt and one payment.paid event.

The reference, measured in the same run just before and just after the notices (the machine is
shared and noisy): the brief conditional update of bench/reference.py, ``c`` at once, the
reference every hot path is measured against. It prints notices/s and p99 as ratios to it, the
CPU the database, the app and the stand-ins spent per paid order during the notices, and where the
database's time went, by collection and operation (its own ``top`` accounting, waits included).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
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

from bson import ObjectId  # noqa: E402
from pymongo import MongoClient  # noqa: E402
from pymongo.database import Database  # noqa: E402

from backend.core.children import stop_process  # noqa: E402
from backend.db.embedded import free_port, running_database_uri  # noqa: E402
from bench.booking_storm import db_top  # noqa: E402
from bench.login_peak import Spent, print_db_parts  # noqa: E402
from bench.reference import against, both, brief_update, pct  # noqa: E402
from tests.support import make_id_number  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200, help="orders")
    ap.add_argument("--repeats", type=int, default=3, help="times each notice is sent")
    ap.add_argument("-c", type=int, default=8, help="concurrent senders")
    ap.add_argument("--rounds", type=int, default=100, help="bursts of the brief update before and after the notices")
    a = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="zjb-bench-pay-") as tmp:
        data = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}
        log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port),
                                 "--data-dir", str(data)],
                                cwd=ROOT, env={**env, "ZJB_LOGGING_LEVEL": "WARNING"}, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, proc)
            run(base, data, a, proc.pid)
        finally:
            stop_process(proc, 30, label="serve")
            log.close()


def _wait(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("serve exited")
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("serve did not become ready")


def run(base: str, data: Path, a: argparse.Namespace, app_pid: int) -> None:
    from backend.config import load_config
    from sandbox.paystandins import sandbox_standins

    s = requests.Session()
    uri = running_database_uri(data)
    if uri is None:
        raise SystemExit("serve is not running on this data folder")
    db: Database[dict[str, Any]] = MongoClient(uri)["zhijianban"]
    staff = s.post(base + "/api/v1/staff/login", json={"username": "finance1", "password": "Zjb-demo-2026"}).json()
    staff_h = {"Authorization": "Bearer " + staff["access_token"]}
    config = load_config(None, env={},
                         overrides={"data_dir": str(data), "server": {"port": int(base.rsplit(":", 1)[1])}})
    standin = sandbox_standins(config)["wechatpay"]  # same SQLite state and keys as the server's stand-in

    t0 = time.perf_counter()
    orders: list[tuple[str, str]] = []
    for i in range(a.n):
        code = f"test-bench-{uuid.uuid4().hex[:10]}"
        login = s.post(base + "/api/v1/auth/wechat-login", json={"code": code}).json()
        h = {"Authorization": "Bearer " + login["access_token"]}
        number = make_id_number()
        vr = s.post(base + "/sandbox/wechat/face-verify", json={"openid": "o-" + code, "name": "张伟",
                                                                "id_number": number, "pass": True}).json()
        r = s.post(base + "/api/v1/me/realname", json={"name": "张伟", "id_number": number,
                                                        "verify_result": vr["verify_result"]}, headers=h)
        assert r.status_code == 200, r.text
        if i == 0:
            svc = next(x for x in s.get(base + "/api/v1/services").json()["items"] if x["code"] == "BDC-BF")
        case = s.post(base + "/api/v1/applications", headers=h, json={
            "service_id": svc["id"], "form": {}, "materials": ["id_card", "notice"]}).json()
        p = s.post(base + "/api/v1/staff/payments", headers=staff_h,
                   json={"application_id": case["id"], "items": [{"name": "登记费", "amount_fen": 8000 + i}]}).json()
        pay = s.post(base + f"/api/v1/payments/{p['id']}/pay", json={"channel": "wechat"}, headers=h).json()
        orders.append((p["id"], pay["request_payment"]["package"].removeprefix("prepay_id=")))
    setup_s = time.perf_counter() - t0

    notices = []
    for _, prepay in orders:
        paid = standin.pay(prepay)
        resource = {k: v for k, v in paid.items() if k != "notify_url"}
        body = standin.notice_body(resource, "TRANSACTION.SUCCESS", "transaction", "支付成功")
        notices += [body] * a.repeats
    random.shuffle(notices)

    def send(body: str) -> tuple[float, int]:
        headers = {"Content-Type": "application/json", **standin.sign_headers(body)}
        t = time.perf_counter()
        r = requests.post(base + "/api/v1/pay/notify/wechat", data=body.encode(), headers=headers, timeout=30)
        return time.perf_counter() - t, r.status_code

    before = asyncio.run(brief_update(uri, a.c, a.rounds))
    db_pid = json.loads((data / "run" / "db.json").read_text())["pid"]  # serve's embedded database
    spent, top0 = Spent(app_pid, db_pid), db_top(uri)
    t1 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=a.c) as pool:
        results = list(pool.map(send, notices))
    wall = time.perf_counter() - t1
    # what the notices left to do (receipts' messages delivered, numbering) is counted with them
    deadline = time.monotonic() + 30
    while db["outbox"].count_documents({"status": {"$in": ["pending", "sending"]}}) and time.monotonic() < deadline:
        time.sleep(0.2)
    spent.stop()
    top1 = db_top(uri)
    brief = both(before, asyncio.run(brief_update(uri, a.c, a.rounds)))
    lat = sorted(x[0] * 1000 for x in results)
    codes = {c: sum(1 for _, x in results if x == c) for c in {x for _, x in results}}

    ids = [ObjectId(pid) for pid, _ in orders]
    paid = db["payments"].count_documents({"_id": {"$in": ids}, "status": "paid"})
    receipts = db["receipts"].count_documents({"payment_id": {"$in": ids}})
    events = db["outbox"].count_documents({"kind": "payment.paid",
                                           "payload.payment_id": {"$in": [str(i) for i in ids]}})
    seqs = sorted(r["seq"] for r in db["receipts"].find({}, {"seq": 1}))
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"setup: {a.n} orders with a WeChat Pay attempt in {setup_s:.1f} s")
    print(f"notices: {len(notices)} ({a.n} orders × {a.repeats}, shuffled), {a.c} concurrent senders")
    print(f"throughput: {len(notices) / wall:.0f} notices/s over {wall:.2f} s; answers {codes}")
    print(f"latency ms: p50 {statistics.median(lat):.1f}  p90 {lat[int(len(lat) * 0.9) - 1]:.1f}  "
          f"p99 {lat[max(0, int(len(lat) * 0.99) - 1)]:.1f}  max {lat[-1]:.1f}")
    print(f"brief update ({{_id, free >= 1}} → $inc), {a.c} at once, before and after: {brief.rate:.0f}/s, "
          f"p99 {brief.p99_ms:.0f} ms")
    print(against("notices", len(notices) / wall, pct([x[0] for x in results], 99), brief, "brief update"))
    print(f"CPU per paid order ({a.repeats} notices), until its messages were delivered: {spent.per(a.n)}")
    print_db_parts(top0, top1, a.n, shown=14, unit="paid order")
    ok = paid == receipts == events == a.n and seqs == list(range(1, len(seqs) + 1))
    print(f"counted once: {paid}/{a.n} paid, {receipts} receipts, {events} payment.paid events, "
          f"receipt numbers 1..{len(seqs)} without gaps: {'OK' if ok else 'FAILED'}")
    print(f"at {dt.datetime.now().isoformat(timespec='seconds')}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
