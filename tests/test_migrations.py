"""Versioned upgrades run each step once per database, in order, however many processes start at
once, and a step that failed or whose process died runs again at the next start."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from backend.cases.store import rename_applications_collection
from backend.core.clock import Clock
from backend.core.migrations import Migration, Migrations
from backend.core.store import MigrationLedger
from backend.db.embedded import EmbeddedDatabase
from backend.db.mongo import ensure_schema
from backend.identity.store import COLLECTIONS as IDENTITY
from backend.identity.store import (
    FACE_USER_INDEX_BEFORE,
    REALNAME_ID_HASH_INDEX,
    FaceVerificationStore,
    UserStore,
)
from backend.identity.values import FacePurpose, FaceVerification


def _run(database: EmbeddedDatabase, body: Callable[[MigrationLedger, AsyncMongoClient], Awaitable[None]]) -> None:
    async def main() -> None:
        client: AsyncMongoClient = AsyncMongoClient(database.uri)
        try:
            await body(MigrationLedger(client[f"zjb_mig_{uuid.uuid4().hex[:8]}"]), client)
        finally:
            await client.close()
    # In a thread of its own: a test before may have left this thread's event loop running.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


def test_each_step_runs_once_in_order_across_processes_and_starts(database: EmbeddedDatabase) -> None:
    ran: list[str] = []

    def step(name: str, *, before: bool = False) -> Migration:
        async def run() -> None:
            ran.append(name)
            await asyncio.sleep(0.05)   # long enough that the other runner finds it running
        return Migration(name, f"step {name}", run, before_schema=before)

    steps = [step("2026.12-02-b"), step("2026.12-01-a"), step("2026.12-00-rename", before=True)]

    async def body(ledger: MigrationLedger, _: AsyncMongoClient) -> None:
        one, two = Migrations(ledger, Clock(), poll_seconds=0.01), Migrations(ledger, Clock(), poll_seconds=0.01)
        first = await asyncio.gather(one.run(steps, before_schema=True), two.run(steps, before_schema=True))
        assert sorted(first, key=len) == [[], ["2026.12-00-rename"]]
        after = await asyncio.gather(one.run(steps, before_schema=False), two.run(steps, before_schema=False))
        assert sorted(x for r in after for x in r) == ["2026.12-01-a", "2026.12-02-b"]
        assert await Migrations(ledger, Clock()).run(steps, before_schema=False) == []

    _run(database, body)
    assert ran == ["2026.12-00-rename", "2026.12-01-a", "2026.12-02-b"]


def test_a_failed_step_runs_again_at_the_next_start(database: EmbeddedDatabase) -> None:
    attempts: list[int] = []

    async def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("disk full")

    steps = [Migration("2026.12-01-flaky", "flaky", flaky)]

    async def body(ledger: MigrationLedger, _: AsyncMongoClient) -> None:
        try:
            await Migrations(ledger, Clock()).run(steps, before_schema=False)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the failure was swallowed")
        assert not await ledger.is_done("2026.12-01-flaky")
        assert await Migrations(ledger, Clock()).run(steps, before_schema=False) == ["2026.12-01-flaky"]
        assert await ledger.is_done("2026.12-01-flaky")

    _run(database, body)
    assert len(attempts) == 2


def test_a_step_left_running_by_a_dead_process_is_taken_over_when_its_lease_ends(database: EmbeddedDatabase) -> None:
    ran: list[str] = []

    async def run() -> None:
        ran.append("x")

    steps = [Migration("2026.12-01-x", "x", run)]

    async def body(ledger: MigrationLedger, _: AsyncMongoClient) -> None:
        now = Clock().now()
        assert await ledger.claim("2026.12-01-x", "x", "dead:1", now, now + dt.timedelta(seconds=0.3))
        assert await Migrations(ledger, Clock(), poll_seconds=0.02).run(steps, before_schema=False) == ["2026.12-01-x"]

    _run(database, body)
    assert ran == ["x"]


def test_cases_stored_as_applications_move_to_the_cases_collection(database: EmbeddedDatabase) -> None:
    async def body(_: MigrationLedger, client: AsyncMongoClient) -> None:
        db = client[f"zjb_mig_{uuid.uuid4().hex[:8]}"]
        await db["applications"].insert_one({"serial": "ZJB-OLD-1", "status": "accepted"})
        await db["applications"].create_index("serial", unique=True)
        await rename_applications_collection(db)
        names = set(await db.list_collection_names())
        assert "applications" not in names and "cases" in names
        assert (await db["cases"].find_one({}, {"_id": 0})) == {"serial": "ZJB-OLD-1", "status": "accepted"}
        assert any(i["key"] == [("serial", 1)] and i.get("unique") for i in
                   (await db["cases"].index_information()).values())
        await rename_applications_collection(db)   # again: nothing left to move, nothing lost
        assert await db["cases"].count_documents({}) == 1

    _run(database, body)


def _identity(id_hash: str, name_hash: str | None = "n") -> dict[str, object]:
    sealed = {"kid": "k1", "nonce": "AA==", "ct": id_hash}
    return {"name_sealed": sealed, "id_sealed": sealed, "id_hash": id_hash, "name_masked": "张*",
            "id_masked": "1101**********0011", **({"name_hash": name_hash} if name_hash else {})}


def test_identities_held_in_the_accounts_move_to_a_collection_of_their_own(database: EmbeddedDatabase) -> None:
    """Every upgrade step of the ID number's indexes in turn, from accounts that held their identity
    (a unique partial index and a lookup twin, then a unique sparse one) to ``realnames``."""
    async def body(_: MigrationLedger, client: AsyncMongoClient) -> None:
        db = client[f"zjb_mig_{uuid.uuid4().hex[:8]}"]
        users = db["users"]
        await users.create_index("realname.id_hash", unique=True,
                                 partialFilterExpression={"realname.id_hash": {"$type": "string"}})
        await users.create_index("realname.id_hash", sparse=True, name="realname.id_hash_lookup")
        await users.create_index("realname.name_hash", sparse=True)
        account = {"created_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC), "status": "active"}
        await users.insert_many([{**account, "openid": f"u{i}", "realname": _identity(f"h{i}", None if i == 3 else "n")}
                                 for i in range(1, 6)] + [{**account, "openid": "free", "realname": None}])
        a, b, c = [(await users.find_one({"openid": o}))["_id"] for o in ("u1", "u2", "u3")]
        store = UserStore(db)
        assert await store.drop_id_hash_lookup_index() == ["realname.id_hash_lookup"]
        await ensure_schema(db, [spec for spec in IDENTITY if spec.name in ("users", "realnames")])
        assert await store.drop_partial_id_hash_index() == ["realname.id_hash_1"]
        # As a process that died half-way leaves it: one identity inserted and still in its account;
        # and one number a process of the new version bound meanwhile to another account.
        await db["realnames"].insert_one({**_identity("h1"), "_id": a})
        other = (await users.insert_one({**account, "openid": "other"})).inserted_id
        await db["realnames"].insert_one({**_identity("h2"), "_id": other})

        assert await store.move_realnames() == 4            # u1 (again), u3, u4, u5
        assert await store.move_realnames() == 0            # again: nothing left to move
        assert (await users.find_one({"_id": b}))["realname"]["id_hash"] == "h2"   # left, and logged
        assert await users.count_documents({"realname": {"$exists": True}}) == 1
        assert not any(k.startswith("realname.") for k, _ in
                       [kv for i in (await users.index_information()).values() for kv in i["key"]])
        moved = await db["realnames"].find_one({"_id": c})
        assert moved["id_hash"] == "h3" and "name_hash" not in moved
        assert (await store.by_id_hash("h3")).id == str(c) and (await store.by_id_hash("h1")).id == str(a)
        assert {u.openid for u in await store.by_name_hash("n", 10)} == {"u1", "u4", "u5", "other"}
        with pytest.raises(DuplicateKeyError):
            await db["realnames"].insert_one({**_identity("h3"), "_id": b})
        plan = (await db["realnames"].find({"id_hash": "h3"}).explain())["queryPlanner"]["winningPlan"]
        assert REALNAME_ID_HASH_INDEX in str(plan)

    _run(database, body)


def test_face_verifications_lose_their_index_by_account_and_are_still_read_through_one(
        database: EmbeddedDatabase) -> None:
    async def body(_: MigrationLedger, client: AsyncMongoClient) -> None:
        db = client[f"zjb_mig_{uuid.uuid4().hex[:8]}"]
        faces = db["face_verifications"]
        await faces.create_index([("user_id", 1), ("identified_at", 1)])
        await ensure_schema(db, IDENTITY)
        store = FaceVerificationStore(db)
        assert await store.drop_user_index() == [FACE_USER_INDEX_BEFORE]
        assert await store.drop_user_index() == []
        assert FACE_USER_INDEX_BEFORE not in await faces.index_information()
        at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
        for i, (user, id_hash) in enumerate([("u1", "h1"), ("u2", "h1"), ("u1", "h2"), ("u1", "h1")]):
            assert await store.record_once(FaceVerification(
                id=f"v{i}", user_id=user, id_hash=id_hash, name_hash="n", purpose=FacePurpose.REALNAME,
                identified_at=at + dt.timedelta(minutes=i), recorded_at=at + dt.timedelta(minutes=i)),
                purge_at=at + dt.timedelta(days=1))
        latest = await store.latest_of("u1", "h1", at)
        assert latest is not None and latest.id == "v3"
        assert await store.latest_of("u1", "h1", at + dt.timedelta(minutes=4)) is None
        claim = await store.latest_claim("h1", "n", since=at, after=None, not_user="u1")
        assert claim is not None and claim.id == "v1"
        # A lookup's first clause is the identity, which the index serves (the database reads it
        # through the index and checks the other clauses on what it returns).
        plan = (await faces.find({"id_hash": "h1"}).explain())["queryPlanner"]["winningPlan"]
        assert "id_hash_1_identified_at_1" in str(plan)

    _run(database, body)


def test_a_started_app_has_run_every_domains_migrations_once(server) -> None:
    steps = [s.id for d in server.ctx.domains.values() for s in d.migrations]
    assert {"2026.11-00-outbox-indexes", "2026.11-01-appointment-keys", "2026.11-02-case-lights",
            "2026.11-03-name-hashes", "2026.12-01-cases-collection", "2026.12-02-licence-check-codes",
            "2026.12-04-id-hash-lookup", "2026.12-05-id-hash-unique",
            "2026.12-06-realnames-apart", "2026.12-07-name-hashes-moved", "2026.12-08-face-user-index"} == set(steps)

    async def done() -> set[str]:
        return await MigrationLedger(server.ctx.db).done(steps)
    assert server.run(done()) == set(steps)


def test_an_identity_bound_before_names_were_hashed_is_moved_and_found_by_name(server) -> None:  # noqa: ANN001
    """A database as the first versions left it — the identity inside the account, no name hash,
    none of this year's steps run — upgraded by the app's own steps in their order: the resident
    is still verified, and staff find them by full name and by ID number."""
    from bson import ObjectId

    from backend.identity.service import sealed_realname
    from backend.identity.store import _realname_doc
    from tests.support import Api, make_id_number, new_resident, staff_login

    api = Api(server.base)
    person = new_resident(api)
    name, number = "欧阳春晓", make_id_number()
    identity = server.ctx.service("identity")
    held = _realname_doc(sealed_realname(identity.cipher, person.id, name, number, at=identity.clock.now(),
                                         verified_by="face_verification"))
    del held["name_hash"]
    steps = [s for d in server.ctx.domains.values() for s in d.migrations]
    again = ["2026.11-03-name-hashes", "2026.12-06-realnames-apart", "2026.12-07-name-hashes-moved"]

    async def as_before() -> None:
        db = server.ctx.db
        await db["users"].update_one({"_id": ObjectId(person.id)}, {"$set": {"realname": held}})
        await db["migrations"].delete_many({"_id": {"$in": again}})
    server.run(as_before())
    ran = server.run(Migrations(MigrationLedger(server.ctx.db), Clock()).run(steps, before_schema=False))
    assert ran == again

    login = api.post("/api/v1/auth/wechat-login", {"code": person.openid[2:]}).json()
    me = api.get("/api/v1/me", token=login["access_token"]).json()
    assert me["realname_verified"] is True and me["name_masked"] == "欧***"
    clerk = staff_login(api, role="clerk")["access_token"]
    for q in (name, number):
        found = api.get("/api/v1/staff/residents", params={"q": q}, token=clerk).json()["items"]
        assert [x["id"] for x in found] == [person.id], q
