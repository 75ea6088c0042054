"""The backup drill on one machine: dump the database, restore it into a fresh data folder, start
the server on the restored data, and verify every receipt through its public verification.

    python scripts/backup_drill.py --data-dir var/data              the embedded database of `make run`
    python scripts/backup_drill.py --data-dir D --uri URI --db NAME  another database (D: the keys)
    options: --work DIR (where the dump and the restored folder go; default a new temporary folder,
             removed afterwards unless --keep), --config FILE (the restored server's configuration)

The dump is made with PyMongo (the embedded database, SecantusDB, is not a server every
``mongodump`` release talks to) and laid out like mongodump's: per collection a ``.bson`` file of
its documents exactly as stored (the GridFS bucket of uploads, ``file_blobs.files`` and
``file_blobs.chunks``, included) and a ``.metadata.json`` with its options (validator) and indexes.
The data folder's ``sandbox/`` (the sandbox's generated keys and stand-in state) is copied beside
it: a receipt verifies only with the key that signed it, so keys are backed up with the data (in
production the key files are kept as docs/deploy.md says).

The restore is checked collection by collection (the same documents, byte for byte); then the
server starts on the restored folder with demo seeding off, and every receipt and red-letter
receipt in the dump must verify (200, the same number and amount). Exit 0 only if all of it held.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import bson
from bson.codec_options import CodecOptions
from bson.json_util import dumps as json_dumps
from bson.json_util import loads as json_loads
from bson.raw_bson import RawBSONDocument
from pymongo import IndexModel, MongoClient
from pymongo.database import Database

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backend.core.children import stop_process  # noqa: E402
from backend.db.embedded import EmbeddedDatabase, free_port, running_database_uri  # noqa: E402

RAW = CodecOptions(document_class=RawBSONDocument)
RECEIPT_COLLECTIONS = ("receipts", "red_receipts")


class DrillFailed(Exception):
    """A step of the drill did not hold; the message says which and why."""


def _say(step: str, message: str) -> None:
    print(f"[{step}] {message}", flush=True)


def _digest(raw_documents: list[bytes]) -> str:
    """The same documents, in any order, give the same digest."""
    h = hashlib.sha256()
    for raw in sorted(raw_documents):
        h.update(len(raw).to_bytes(4, "little"))
        h.update(raw)
    return h.hexdigest()


def dump(db: Database[Any], out: Path) -> dict[str, str]:
    """Every collection of ``db`` into ``out``: ``<name>.bson`` and ``<name>.metadata.json``.
    Returns each collection's digest."""
    out.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    for info in sorted(db.list_collections(), key=lambda i: str(i["name"])):
        name = str(info["name"])
        if info.get("type", "collection") != "collection" or name.startswith("system."):
            continue
        coll = db.get_collection(name, codec_options=RAW)
        raws: list[bytes] = []
        with open(out / f"{name}.bson", "wb") as f:
            for doc in coll.find({}, sort=[("_id", 1)]):
                raw = bytes(doc.raw)
                f.write(raw)
                raws.append(raw)
        indexes = [{"key": list(spec["key"]), "name": index_name,
                    **{k: v for k, v in spec.items() if k not in ("key", "v", "ns")}}
                   for index_name, spec in db[name].index_information().items() if index_name != "_id_"]
        meta = {"collectionName": name, "options": dict(info.get("options", {})), "indexes": indexes}
        (out / f"{name}.metadata.json").write_text(json_dumps(meta, indent=1), encoding="utf-8")
        digests[name] = _digest(raws)
    return digests


def restore(db: Database[Any], source: Path) -> dict[str, str]:
    """The collections dumped in ``source`` into the empty database ``db``, with their options and
    indexes. Returns each restored collection's digest, read back from the database."""
    digests: dict[str, str] = {}
    for meta_file in sorted(source.glob("*.metadata.json")):
        meta = json_loads(meta_file.read_text(encoding="utf-8"))
        name = meta["collectionName"]
        db.create_collection(name, **meta["options"])
        coll = db.get_collection(name, codec_options=RAW)
        with open(source / f"{name}.bson", "rb") as f:
            batch: list[RawBSONDocument] = []
            for doc in bson.decode_file_iter(f, codec_options=RAW):
                batch.append(doc)
                if len(batch) == 500:
                    coll.insert_many(batch, ordered=True)
                    batch = []
            if batch:
                coll.insert_many(batch, ordered=True)
        models = [IndexModel([tuple(k) for k in spec.pop("key")], **spec) for spec in meta["indexes"]]
        if models:
            coll.create_indexes(models)
        digests[name] = _digest([bytes(d.raw) for d in coll.find({})])
    return digests


def _receipts(source: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in RECEIPT_COLLECTIONS:
        path = source / f"{name}.bson"
        if path.exists():
            with open(path, "rb") as f:
                out.extend(bson.decode_file_iter(f))
    return out


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise DrillFailed(f"the server on the restored data exited ({proc.returncode}); see {log}")
        try:
            if _get(base + "/readyz")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise DrillFailed(f"the server on the restored data was not ready within {timeout:.0f} s; see {log}")
        time.sleep(0.3)


def verify_receipts(base: str, receipts: list[dict[str, Any]]) -> None:
    failures: list[str] = []
    for r in receipts:
        query = urllib.parse.urlencode({"code": r["code"], "number": r["number"], "check": r["check_code"]})
        status, body = _get(f"{base}/api/v1/receipts/verify?{query}")
        if status != 200 or body.get("number") != r["number"] or body.get("amount_fen") != r["content"]["amount_fen"]:
            failures.append(f"{r['code']}-{r['number']}: {status} {body}")
    if failures:
        raise DrillFailed(f"{len(failures)} of {len(receipts)} receipts did not verify:\n  " + "\n  ".join(failures))


def drill(*, data_dir: Path, uri: str | None, db_name: str, work: Path, config: str | None) -> int:
    """Runs every step; returns the number of receipts verified."""
    uri = uri or running_database_uri(data_dir)
    if not uri:
        raise DrillFailed(f"no database: give --uri, or start `make run` (serve) on {data_dir}")
    dumped = work / "dump"
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        digests = dump(client[db_name], dumped / db_name)
    if (data_dir / "sandbox").is_dir():
        shutil.copytree(data_dir / "sandbox", dumped / "files" / "sandbox")
    _say("dump", f"{len(digests)} collections of {db_name} into {dumped}")

    restored = work / "restored"
    database = EmbeddedDatabase(restored)
    try:
        with MongoClient(database.start(), serverSelectionTimeoutMS=5000) as client:
            back = restore(client[db_name], dumped / db_name)
    finally:
        database.stop()
    if back != digests:
        differ = sorted(n for n in digests.keys() | back.keys() if digests.get(n) != back.get(n))
        raise DrillFailed(f"restored collections differ from the dump: {', '.join(differ)}")
    if (dumped / "files" / "sandbox").is_dir():
        shutil.copytree(dumped / "files" / "sandbox", restored / "sandbox")
    _say("restore", f"{len(back)} collections into a fresh data folder {restored}, every document identical")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ZJB_DATABASE_URI": "", "ZJB_DATABASE_NAME": db_name,
           # What is verified is what was restored: no demo data is added, and nothing is rate-limited.
           "ZJB_SANDBOX_SEED_DEMO_DATA": "false", "ZJB_RATELIMIT_VERIFY_PER_IP_PER_MINUTE": "100000000"}
    command = [sys.executable, "-m", "backend"] + (["--config", config] if config else []) + \
        ["serve", "--port", str(port), "--data-dir", str(restored)]
    log = work / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(base, proc, log)
        _say("serve", f"the server on the restored data is ready at {base}")
        receipts = _receipts(dumped / db_name)
        verify_receipts(base, receipts)
    finally:
        stop_process(proc, 60, label="serve")
    _say("verify", f"all {len(receipts)} receipts verify on the restored data")
    return len(receipts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="var/data", help="the data folder (its embedded database and sandbox keys)")
    p.add_argument("--uri", help="the database to dump (default: the running embedded database of --data-dir)")
    p.add_argument("--db", default="zhijianban", help="the database name (database.name)")
    p.add_argument("--work", help="where the dump and the restored data folder go")
    p.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    p.add_argument("--config", help="the restored server's TOML configuration")
    args = p.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="zjb-backup-drill-"))
    try:
        drill(data_dir=Path(args.data_dir).resolve(), uri=args.uri, db_name=args.db, work=work.resolve(),
              config=args.config)
    except DrillFailed as e:  # the work folder stays, to be looked at
        print(f"备份演练失败 / backup drill failed: {e} (work folder: {work})", file=sys.stderr)
        return 1
    if not args.work and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("备份演练通过 / backup drill passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
