"""The embedded database is not open to every local process: without the generated account's
password nothing is read or written; the password is the owner's alone and survives restarts; a
lost password file is replaced with a new password on the next start, with the data intact."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from backend.db.embedded import EmbeddedDatabase

pytestmark = pytest.mark.slow


def _client(uri: str) -> MongoClient:
    return MongoClient(uri, serverSelectionTimeoutMS=5000)


def test_only_the_generated_account_reaches_the_data(tmp_path: Path) -> None:
    db = EmbeddedDatabase(tmp_path)
    db.start()
    try:
        with _client(db.uri) as c:
            c.zjb.things.insert_one({"n": 1})
        anonymous = f"mongodb://{db.host}:{db.port}/?directConnection=true"
        with _client(anonymous) as c, pytest.raises(OperationFailure, match="authentication"):
            c.zjb.things.find_one()
        wrong = db.uri.replace(db._password(), "not-the-password")  # noqa: SLF001
        with _client(wrong) as c, pytest.raises(OperationFailure):
            c.zjb.things.find_one()
        for secret in (db.auth_file, db.run_file):
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
        first = db.uri
        db.stop()
        db.start()
        assert db.uri == first
        with _client(db.uri) as c:
            assert c.zjb.things.count_documents({}) == 1
        db.stop()
        db.auth_file.unlink()  # lost: the next start sets a new password on the same account
        db.start()
        assert db.uri != first
        with _client(db.uri) as c:
            assert c.zjb.things.count_documents({}) == 1
        with _client(first) as c, pytest.raises(OperationFailure):
            c.zjb.things.find_one()
    finally:
        db.stop()


def test_a_start_waits_for_a_server_still_stopping_on_the_same_files(tmp_path: Path) -> None:
    """A server killed with its parent may hold the files a while: the next start tries again
    until they are free, instead of failing at once."""
    import threading

    first = EmbeddedDatabase(tmp_path)
    first.start()
    with _client(first.uri) as c:
        c.zjb.things.insert_one({"n": 1})
    releasing = threading.Timer(3.0, first.stop)
    releasing.start()
    second = EmbeddedDatabase(tmp_path)  # same folder, its own port: the files are held for 3 s more
    try:
        second.start(timeout=60)
        assert not first.running
        with _client(second.uri) as c:
            assert c.zjb.things.count_documents({}) == 1
        assert b"Device or resource busy" in (tmp_path / "logs" / "secantusdb.log").read_bytes()
    finally:
        releasing.join()
        second.stop()
        first.stop()
