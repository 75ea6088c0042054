"""The shape every domain keeps: stores own the queries, core stands alone, comments say what and why."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ["backend", "payments", "notify", "sandbox"]
# The domains: each owns its collections in its one store module, ``<domain>/store.py``.
DOMAINS = ["backend/appointments", "backend/audit", "backend/authorizations", "backend/bundles", "backend/calendar",
           "backend/cases", "backend/catalogue", "backend/complaints", "backend/files", "backend/identity",
           "backend/licences", "backend/staff", "payments", "notify", "sandbox"]
# Each domain's queries live in its store module; a large store is split into parts beside it
# (``store_<part>.py``, mixed into the store class) that the store declares no collections in.
STORE_PARTS = {p.relative_to(ROOT).as_posix() for d in DOMAINS for p in (ROOT / d).glob("store_*.py")}
STORES = {f"{d}/store.py" for d in DOMAINS} | STORE_PARTS | {"backend/core/store.py"}  # core: rate limits…
# Domain methods that share a name with a collection method: the receiver is a domain object, not a
# collection (a resident directory's ``find``, the files store's ``drop``, receipts' ``find``).
DOMAIN_CALLS = re.compile(r"""\bself\.(residents|users|directory|receipts)\.find\(|\bself\.(s\.)?store\.drop\(""")
# Infrastructure on the database itself, not a domain's queries: the client and schema, the embedded
# server, and the expiry of documents by every domain's TTL indexes.
INFRA = {"backend/db/mongo.py", "backend/db/embedded.py", "backend/db/expiry.py"}
COLLECTION_ACCESS = re.compile(
    r"""(\bdb|_db|\.db)\[|\.get_collection\(|AsyncGridFSBucket\(|\.(find|find_one|find_raw_batches|watch|drop"""
    r"""|drop_indexes?|command|rename|insert_one|insert_many|update_one|update_many|delete_one|delete_many"""
    r"""|find_one_and_(update|replace|delete)|count_documents|estimated_document_count|aggregate|aggregate_raw_batches"""
    r"""|bulk_write|replace_one|distinct|list_indexes|index_information|create_index(es)?|create_collection"""
    r"""|drop_collection|list_collection_names)\(""")


def _sources(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py") if "node_modules" not in p.parts)


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def test_only_store_modules_touch_collections() -> None:
    offenders = []
    for path in _sources(*PRODUCT):
        rel = _rel(path)
        if rel in STORES or rel in INFRA:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = DOMAIN_CALLS.sub("", line.split("#", 1)[0])
            if COLLECTION_ACCESS.search(code):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == [], "collections touched outside a store module:\n" + "\n".join(offenders)


def test_every_domain_is_declared() -> None:
    """A new domain package must be added to DOMAINS (so its store, and only it, may query)."""
    found = {_rel(p) for top in PRODUCT for p in (ROOT / top).rglob("store.py")}
    assert found == STORES - STORE_PARTS
    parts = {_rel(p) for top in PRODUCT for p in (ROOT / top).rglob("store_*.py")}
    assert parts == STORE_PARTS, "a store part outside a declared domain"
    assert not [p for p in STORE_PARTS if "CollectionSpec(" in (ROOT / p).read_text()], "collections in a part"


def test_the_collection_access_pattern_catches_every_query_shape() -> None:
    calls = ["db['x']", "self._db[name]", "c.find({})", "c.find_one({})", "c.watch()", "c.drop()",
             "db.command('ping')", "c.find_one_and_update({}, {})", "c.find_one_and_delete({})",
             "c.aggregate([])", "c.distinct('k')", "c.create_index('k')", "db.list_collection_names()"]
    assert [c for c in calls if not COLLECTION_ACCESS.search(c)] == []
    assert not COLLECTION_ACCESS.search("self.store.finder(x)")
    assert COLLECTION_ACCESS.search(DOMAIN_CALLS.sub("", "self.users.find(q); self._col.find({})"))


def test_core_does_not_import_the_app_or_any_domain() -> None:
    domains = ("backend.app", "backend.cli", "backend.server", "backend.system", "backend.workers", "sandbox",
               "payments", "notify", *(f"backend.{_rel(ROOT / d).rsplit('/', 1)[1]}" for d in DOMAINS
                                        if d.startswith("backend/")))
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


# MongoDB operators are the stores' words; JSON Schema's ``$ref`` and friends are not.
JSON_SCHEMA_KEYS = {"$ref", "$schema", "$id", "$defs", "$comment"}


def test_no_service_builds_a_query_or_update_operator() -> None:
    """Only stores (and their document mapping) speak MongoDB: services hand them typed,
    intent-named changes, never ``{"$set": …}`` or a filter with ``$in``."""
    offenders = []
    for path in _sources(*PRODUCT):
        rel = _rel(path)
        if rel in STORES or rel in INFRA:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and re.fullmatch(r"\$[a-zA-Z]+", node.value) and node.value not in JSON_SCHEMA_KEYS):
                offenders.append(f"{rel}:{node.lineno}: {node.value}")
    assert offenders == []


def test_no_module_is_over_700_lines() -> None:
    long = [f"{_rel(p)}: {n}" for p in _sources(*PRODUCT) if (n := len(p.read_text().splitlines())) > 700]
    assert long == []


# Called by a framework or an SDK by name, not by our code (Tornado's handler hooks and message
# delegates, http.server's logger, prometheus' collector, the Alipay SDK's response hook), and a
# name used only in annotations.
CALLED_BY_NAME = {"set_extra_headers", "write_error", "on_finish", "log_exception", "data_received", "headers_received",
                  "check_xsrf_cookie", "log_message", "collect", "verified_sync_response", "DataclassInstance"}


def test_no_definition_is_unused() -> None:
    """Every function, method, class and import is used somewhere (product, tests, benches or
    scripts): dead code is deleted, not kept "in case"."""
    import vulture

    v = vulture.Vulture()
    v.scavenge([str(ROOT / top) for top in [*PRODUCT, "tests", "bench", "scripts"]])
    unused = [f"{_rel(Path(item.filename))}:{item.first_lineno} {item.typ} {item.name}"
              for item in v.get_unused_code(min_confidence=60)
              if item.typ in {"function", "method", "class", "import"} and item.name not in CALLED_BY_NAME]
    assert unused == []
