"""The backup drill (scripts/backup_drill.py) on a small data set: receipts, a red-letter receipt
and an uploaded file (GridFS) are dumped, restored into a fresh data folder, served again and
every receipt verifies; a receipt whose signing key was not backed up does not."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support import Api
from tests.support_files import uploaded
from tests.support_payments import db_find, finance_token, paid_order, refund, settle_wechat_refunds

pytestmark = pytest.mark.slow


def _drill(server, work: Path) -> subprocess.CompletedProcess[str]:  # noqa: ANN001
    cfg = server.config
    return subprocess.run([sys.executable, "scripts/backup_drill.py", "--data-dir", cfg.data_dir,
                           "--uri", cfg.database.uri, "--db", cfg.database.name, "--work", str(work)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def receipted(server, api_module: Api):  # noqa: ANN001, ANN201
    resident, first = paid_order(api_module, server)
    _, second = paid_order(api_module, server, channel="alipay")
    refund(api_module, finance_token(api_module), first["id"], 1000)
    settle_wechat_refunds(server)
    uploaded(api_module, resident)
    return server


@pytest.fixture(scope="module")
def api_module(server) -> Api:  # noqa: ANN001
    return Api(server.base)


def test_the_drill_restores_everything_and_every_receipt_verifies(receipted, tmp_path: Path) -> None:  # noqa: ANN001
    receipts = db_find(receipted, "receipts", {})
    reds = db_find(receipted, "red_receipts", {})
    assert len(receipts) == 2 and len(reds) == 1
    assert db_find(receipted, "file_blobs.chunks", {})  # the upload is in GridFS, so the drill carries it
    proc = _drill(receipted, tmp_path / "work")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[verify] all 3 receipts verify on the restored data" in proc.stdout
    dumped = tmp_path / "work" / "dump" / receipted.config.database.name
    assert (dumped / "file_blobs.chunks.bson").stat().st_size > 0
    assert (dumped / "file_blobs.files.metadata.json").exists()


def test_the_drill_fails_when_the_signing_key_was_not_kept(receipted, tmp_path: Path) -> None:  # noqa: ANN001
    """The sandbox's receipt key lives in the data folder: a backup without it cannot prove a receipt."""
    data = tmp_path / "data"
    shutil.copytree(receipted.config.data_dir, data, ignore=shutil.ignore_patterns("run", "db", "logs"))
    shutil.rmtree(data / "sandbox" / "keys")
    cfg = receipted.config
    proc = subprocess.run([sys.executable, "scripts/backup_drill.py", "--data-dir", str(data),
                           "--uri", cfg.database.uri, "--db", cfg.database.name, "--work", str(tmp_path / "work")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "3 of 3 receipts did not verify" in proc.stderr
