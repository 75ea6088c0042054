"""The whole process killed (SIGKILL) at random points of a booking race, again and again; after
every restart the counts are consistent: no slot above capacity, each slot's count equal to its
bookings, and no booking left half-done once the sweep has run. Bounded in time."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from pymongo import MongoClient

from backend.db.embedded import free_port, running_database_uri
from tests.conftest import ROOT
from tests.support import Api, new_resident
from tests.support_appointments import make_bookable, open_day, slots

pytestmark = pytest.mark.slow
ITERATIONS = 6
BUDGET_SECONDS = 100


def _start(data: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}
    env.update({"ZJB_APPOINTMENTS_SWEEP_INTERVAL_SECONDS": "0.3", "ZJB_APPOINTMENTS_PENDING_TIMEOUT_SECONDS": "2",
                "ZJB_PAYMENTS_SANDBOX_RETRY_FACTOR": "0.05",
                "ZJB_LOGGING_LEVEL": "WARNING"})
    with open(data.parent / "serve.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "backend", "serve", "--port", str(port),
                                 "--data-dir", str(data)],
                                cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (data.parent / "serve.log").read_text()[-2000:]
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError("serve did not restart")


def _db_gone(data: Path) -> None:
    deadline = time.monotonic() + 20
    while running_database_uri(data) is not None and time.monotonic() < deadline:
        time.sleep(0.1)


def _invariants(data: Path, hall_id: str) -> dict[str, int]:
    uri = running_database_uri(data)
    assert uri
    with MongoClient(uri) as c:
        db = c["zhijianban"]
        unsettled = ({"hall_id": hall_id, "status": "pending"}, {"hall_id": hall_id, "check_due": {"$exists": True}})

        def left() -> int:
            return db.appointments.count_documents(unsettled[0]) + db.appt_slots.count_documents(unsettled[1])
        deadline = time.monotonic() + 20
        while left() and time.monotonic() < deadline:
            time.sleep(0.2)  # the sweep finishes or undoes what the kill interrupted, checks the places
        assert left() == 0
        booked_total = 0
        for slot in db.appt_slots.find({"hall_id": hall_id}):
            active = db.appointments.count_documents({"slot_id": str(slot["_id"]),
                                                      "status": {"$in": ["booked", "pending"]}})
            assert slot["booked"] <= slot["capacity"], slot
            assert slot["booked"] == active == len(slot.get("claims", [])), (slot, active)
            assert slot["free"] == slot["capacity"] - slot["booked"] - slot.get("held", 0), slot
            booked_total += active
        users = [a["user_id"] for a in db.appointments.find({"hall_id": hall_id, "status": "booked"})]
        assert len(users) == len(set(users)), "someone holds two bookings of one day"
        return {"booked": booked_total}


def test_kills_at_random_points_of_a_booking_race_leave_consistent_counts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    proc = _start(data, port)
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        api = Api(base)
        b = make_bookable(api, capacity=3, services=1)
        hall_day = None
        import datetime as dt

        from backend.core.clock import TZ
        hall_day = dt.datetime.now(TZ).date() + dt.timedelta(days=2)
        open_day(api, b, hall_day)
        slot_ids = [s["id"] for s in slots(api, b, hall_day)]
        residents = [new_resident(api, verified=True) for _ in range(24)]
        rng = random.Random(20261123)
        done = 0
        for i in range(ITERATIONS):
            if time.monotonic() - started > BUDGET_SECONDS:
                break
            batch = residents[i * 4:(i + 1) * 4] or residents[:4]

            def book(token: str, slot_id: str) -> None:
                try:
                    requests.post(base + "/api/v1/appointments", json={"slot_id": slot_id},
                                  headers={"Authorization": f"Bearer {token}"}, timeout=10)
                except requests.RequestException:
                    pass  # the server died under it
            threads = [threading.Thread(target=book, args=(r.access_token, rng.choice(slot_ids))) for r in batch
                       for _ in range(2)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.0, 0.25))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            for t in threads:
                t.join(15)
            _db_gone(data)
            proc = _start(data, port)
            _invariants(data, b.hall_id)
            done += 1
        assert done >= 3
        # And afterwards the system books normally.
        late = new_resident(Api(base), verified=True)
        free = [s for s in slots(Api(base), b, hall_day) if s["remaining"] > 0]
        if free:
            assert Api(base).post("/api/v1/appointments", {"slot_id": free[0]["id"]},
                                  token=late.access_token).status_code == 201
        _invariants(data, b.hall_id)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def test_kills_while_payments_are_being_notified_leave_each_counted_once(tmp_path: Path) -> None:
    from tests.support_payments import confirm_wechat, create_order, pay_wechat, prepay_id
    data = tmp_path / "data"
    port = free_port()
    proc = _start(data, port)
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    rng = random.Random(11232026)
    orders = []
    try:
        api = Api(base)
        for i in range(ITERATIONS):
            if time.monotonic() - started > BUDGET_SECONDS:
                break
            resident, order = create_order(api, None,
                                           items=[{"name": "工本费", "amount_fen": 1000 + i}])  # type: ignore[arg-type]
            prepay = prepay_id(pay_wechat(api, resident, order["id"]))
            orders.append((resident, order))
            confirm_wechat(api, prepay)  # the notice is on its way (sent, retried by the stand-in)
            time.sleep(rng.uniform(0.0, 0.3))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            _db_gone(data)
            proc = _start(data, port)
        assert len(orders) >= 3
        deadline = time.monotonic() + 90
        for resident, order in orders:  # the stand-in's retries (or our queries) bring every one in
            while api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()["status"] != "paid":
                assert time.monotonic() < deadline, f"order {order['id']} never became paid"
                time.sleep(0.5)
        uri = running_database_uri(data)
        with MongoClient(uri) as c:
            db = c["zhijianban"]
            ids = [o["id"] for _, o in orders]
            from bson import ObjectId
            receipts = list(db.receipts.find({"payment_id": {"$in": ids + [ObjectId(i) for i in ids]}}))
            assert sorted(str(r["payment_id"]) for r in receipts) == sorted(ids)  # exactly one each
            numbers = sorted(int(r["number"]) for r in db.receipts.find({}))
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # gap-free
            for pid in ids:
                assert db.outbox.count_documents({"kind": "payment.paid",
                                                  "payload.payment_id": {"$in": [pid, ObjectId(pid)]}}) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
