"""The shape every domain keeps: stores own the queries, core stands alone, comments say what and why."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ["backend", "payments", "notify", "sandbox"]
# Infrastructure that opens the client and database itself (not a domain's queries).
INFRA = {"backend/db/mongo.py", "backend/db/embedded.py"}
COLLECTION_ACCESS = re.compile(
    r"""(\bdb|_db|\.db)\[|\.get_collection\(|AsyncGridFSBucket\("""
    r"""|\.(find_one|insert_one|insert_many|update_one|update_many|delete_one|delete_many|find_one_and_\w+"""
    r"""|count_documents|estimated_document_count|aggregate|bulk_write|replace_one|distinct|create_index(es)?)\(""")


def _sources(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py") if "node_modules" not in p.parts)


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def test_only_store_modules_touch_collections() -> None:
    offenders = []
    for path in _sources(*PRODUCT):
        rel = _rel(path)
        if path.name == "store.py" or rel in INFRA:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if COLLECTION_ACCESS.search(code):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == [], "collections touched outside a store module:\n" + "\n".join(offenders)


def test_core_does_not_import_the_app_or_any_domain() -> None:
    domains = ("backend.app", "backend.appointments", "backend.cases", "backend.identity", "backend.staff",
               "backend.catalogue", "payments", "notify", "sandbox")
    offenders = []
    for path in _sources("backend/core"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{_rel(path)} imports {n}" for n in names if n.startswith(domains)]
    assert offenders == []


def test_no_domain_reads_another_domains_collections() -> None:
    """A store names only its own domain's collections."""
    owners: dict[str, str] = {}
    for path in _sources(*PRODUCT):
        if path.name != "store.py" and not path.name.endswith("outbox.py"):
            continue
        for name in re.findall(r'CollectionSpec\(\s*"([a-z_]+)"', path.read_text()):
            owners[name] = _rel(path.parent)
    offenders = []
    for path in _sources(*PRODUCT):
        if path.name != "store.py":
            continue
        for name in re.findall(r'\bdb\[\s*"([a-z_]+)"\s*\]', path.read_text()):
            owner = owners.get(name)
            if owner is not None and owner != _rel(path.parent):
                offenders.append(f"{_rel(path)} reads {name} (owned by {owner})")
    assert offenders == []


def test_comments_say_what_and_why_not_which_issue() -> None:
    pattern = re.compile(r"(#|//|/\*|\"\"\"|<!--).*\bissue\s*\d+", re.IGNORECASE)
    offenders = []
    for top in [*PRODUCT, "tests", "bench", "console", "miniprogram", "scripts"]:
        for path in sorted((ROOT / top).rglob("*")):
            if "node_modules" in path.parts or path.suffix not in {".py", ".js", ".wxml", ".wxss", ".css", ".html"}:
                continue
            for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{_rel(path)}:{n}")
    for name in ("Makefile", "pyproject.toml", "config.example.toml"):
        for n, line in enumerate((ROOT / name).read_text().splitlines(), 1):
            if re.search(r"#.*\bissue\s*\d+", line, re.IGNORECASE):
                offenders.append(f"{name}:{n}")
    assert offenders == []
