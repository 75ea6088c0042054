"""The mini-program's and console's copies of the error messages and status labels are generated
from the backend's tables (``scripts/gen_tables.py``) and are current."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend.lexicon import lexicon
from sandbox import words as sandbox_words
from tests.conftest import ROOT

WORDS = lexicon(sandbox_words.WORDS)


def _object_in(path: Path) -> dict:
    """The object literal a generated module exports (written as JSON)."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("{"):text.index("\n}") + 2])


def test_generated_tables_are_current() -> None:
    proc = subprocess.run([sys.executable, "scripts/gen_tables.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_check_names_a_stale_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_tables
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    copy = {tmp_path / path.name: text for path, text in gen_tables.tables().items()}
    for path, text in copy.items():
        path.write_text(text, encoding="utf-8")
    first = next(iter(copy))
    first.write_text(copy[first].replace("已受理", "受理了").replace("用户名已存在", "重名"), encoding="utf-8")
    monkeypatch.setattr(gen_tables, "tables", lambda: copy)
    assert gen_tables.stale() == [first]


def test_the_tables_carry_every_code_and_every_status() -> None:
    messages = {e["code"]: e["message"] for e in WORDS.error_catalogue()}
    assert _object_in(ROOT / "console/js/error-messages.js") == messages
    assert _object_in(ROOT / "miniprogram/utils/error-messages.js") == _object_in(ROOT / "console/js/error-messages.js")
    table = _object_in(ROOT / "miniprogram/utils/status-labels.js")
    assert table == WORDS.labels() == _object_in(ROOT / "console/js/status-labels.js")
    assert table["payment"]["unpaid"] == "待支付" and table["case"]["correction_requested"] == "待补正"
    # The console and mini-program read the generated modules, not copies of their own.
    assert "from './status-labels.js'" in (ROOT / "console/js/ui.js").read_text(encoding="utf-8")
    assert "from './error-messages.js'" in (ROOT / "console/js/api.js").read_text(encoding="utf-8")
    assert "require('./error-messages')" in (ROOT / "miniprogram/utils/errors.js").read_text(encoding="utf-8")
    assert "require('./status-labels')" in (ROOT / "miniprogram/utils/format.js").read_text(encoding="utf-8")
