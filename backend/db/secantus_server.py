"""The embedded database's process: ``python -m backend.db.secantus_server``.

SecantusDB's own command line (``python -m secantus``) always runs its TTL sweeper: once a minute
it reads and decodes every document of every collection that has a TTL index, holding the
server's global lock, so every other operation waits for it (with 100,000 sessions, 2.2 s each
minute; longer as the collections grow). Its ``[storage] ttl_sweep_seconds`` setting is read but
not passed on to the server. This starts the same server with the options the product uses and
without that sweeper; the app's workers expire documents by their TTL index instead
(``backend/db/expiry.py``).
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from secantus.server import SecantusDBServer

# The replica set name SecantusDB's command line gives a server that is not ``--standalone``:
# the product's transactions need one.
REPLICA_SET = "secantus"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m backend.db.secantus_server", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--storage-path", required=True)
    ap.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    ap.add_argument("--cache-size", default="512M")
    ap.add_argument("--auth", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = SecantusDBServer(host=args.host, port=args.port, storage_path=args.storage_path,
                              require_auth=args.auth, cache_size=args.cache_size, replica_set_name=REPLICA_SET,
                              enable_test_commands=False, ttl_sweep_seconds=0)

    def stop(signum: int, frame: FrameType | None) -> None:
        server.stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server.start()
    server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
