"""A database server left on the data folder by a ``serve`` that died (its owner) does not keep
the next start waiting: after a short grace it is killed, and the new server opens the files
with every journaled write. A server whose owner still runs is never touched."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient, WriteConcern

from backend.db.embedded import EmbeddedDatabase, EmbeddedDatabaseError, _process_running

pytestmark = pytest.mark.slow


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[EmbeddedDatabase]:
    """A server on ``tmp_path`` with a journaled write, then frozen: it holds the files and
    answers neither clients nor SIGTERM, as a server does that is slow to stop."""
    first = EmbeddedDatabase(tmp_path)
    first.start()
    with MongoClient(first.uri, serverSelectionTimeoutMS=5000) as c:
        c.zjb.things.with_options(write_concern=WriteConcern(j=True)).insert_one({"n": 1})
    assert first.proc is not None
    first.proc.send_signal(signal.SIGSTOP)
    first.proc.send_signal(signal.SIGTERM)  # pending while it is stopped, like a slow clean stop
    try:
        yield first
    finally:
        first.kill()


def _owned_by(db: EmbeddedDatabase, owner: int) -> None:
    info = json.loads(db.run_file.read_text())
    info["owner_pid"] = owner
    db.run_file.write_text(json.dumps(info))


def test_a_server_whose_owner_died_is_killed_and_its_writes_are_kept(holder: EmbeddedDatabase) -> None:
    assert holder.proc is not None
    stuck = holder.proc.pid
    _owned_by(holder, _dead_pid())
    second = EmbeddedDatabase(holder.data_dir)
    second.orphan_grace = 1.0
    second.start(timeout=30)
    try:
        assert not _process_running(stuck)
        assert holder.proc is not None and holder.proc.wait(5) == -signal.SIGKILL
        with MongoClient(second.uri, serverSelectionTimeoutMS=5000) as c:
            assert c.zjb.things.count_documents({"n": 1}) == 1
    finally:
        second.stop()


def test_a_server_whose_owner_runs_is_left_alone(holder: EmbeddedDatabase) -> None:
    assert holder.proc is not None
    _owned_by(holder, os.getpid())  # as when another serve of ours uses the folder
    second = EmbeddedDatabase(holder.data_dir)
    second.orphan_grace = 0.5
    with pytest.raises(EmbeddedDatabaseError):
        second.start(timeout=4)
    assert holder.proc.poll() is None and _process_running(holder.proc.pid)
