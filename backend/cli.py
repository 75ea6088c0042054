"""``python -m backend``: serve, and the operators' commands.

    python -m backend serve [--port P] [--data-dir D] [--config FILE] [--processes N [--worker-processes M]]
    python -m backend worker [--data-dir D]      background jobs only (several may run)
    python -m backend standins --standins-port P [--data-dir D] [--port APP_PORT]
                                           the sandbox's stand-ins alone (serve starts this process itself)
    python -m backend staff create --username U --roles clerk,approver [--display-name N] [--password-stdin]
    python -m backend keys reseal [--batch-size N] [--max-batches M]
                                           re-encrypt ID numbers with the active key (rotation; resumable)
    python -m backend keys new-signing-key --for receipts|licences --out FILE [--key-id ID] [--takes-over T]
                                           a new signing key and the configuration lines that rotate to it
    python -m backend payments reconcile --date YYYY-MM-DD --channel wechat|alipay
    python -m backend config check         load the configuration and report every problem
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import sys
from typing import Any

from backend.config import Config, ConfigError, load_config
from backend.core.logs import setup_logging


def _load(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {}
    if getattr(args, "port", None):
        overrides.setdefault("server", {})["port"] = args.port
    if getattr(args, "host", None):
        overrides.setdefault("server", {})["host"] = args.host
    if getattr(args, "standins_port", None):
        overrides["sandbox"] = {"standins_port": args.standins_port}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = os.path.abspath(args.data_dir)
    return load_config(args.config or os.environ.get("ZJB_CONFIG") or None, overrides=overrides)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m backend", description="指尖办 backend")
    p.add_argument("--config", help="TOML config file (default: $ZJB_CONFIG, else built-in sandbox defaults)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the system (database, HTTP, workers, stand-ins in sandbox mode)")
    s.add_argument("--port", type=int)
    s.add_argument("--host")
    s.add_argument("--data-dir")
    s.add_argument("--processes", type=int, default=1,
                   help="app processes sharing the port (>1: a supervisor also runs worker processes)")
    s.add_argument("--worker-processes", type=int, default=None,
                   help="separate worker processes (default: as many as --processes when that is >1)")
    s.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    s.add_argument("--config", dest="config", default=argparse.SUPPRESS)

    w = sub.add_parser("worker", help="run the background workers only (no HTTP), on the configured database")
    w.add_argument("--data-dir")
    w.add_argument("--port", type=int, help="the app port (sandbox stand-ins are reached there)")
    w.add_argument("--config", dest="config", default=argparse.SUPPRESS)

    sd = sub.add_parser("standins", help="the sandbox's stand-ins in a process of their own (serve starts it)")
    sd.add_argument("--data-dir")
    sd.add_argument("--port", type=int, help="the app port (where the payment notices go)")
    sd.add_argument("--standins-port", type=int, required=True, help="the port to serve the stand-ins on")
    sd.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    st = sub.add_parser("staff", help="staff accounts")
    st_sub = st.add_subparsers(dest="staff_command", required=True)
    c = st_sub.add_parser("create", help="create a staff account")
    c.add_argument("--username", required=True)
    c.add_argument("--roles", required=True,
                   help="comma-separated: clerk,approver,hall_manager,finance,supervisor,admin")
    c.add_argument("--display-name", default="")
    c.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    c.add_argument("--data-dir")
    c.add_argument("--config", dest="config", default=argparse.SUPPRESS)

    k = sub.add_parser("keys", help="encryption keys")
    k_sub = k.add_subparsers(dest="keys_command", required=True)
    r = k_sub.add_parser("reseal", help="re-encrypt personal data with security.id_active_key")
    r.add_argument("--data-dir")
    r.add_argument("--batch-size", type=int, default=200, help="records per batch (one checkpoint each)")
    r.add_argument("--max-batches", type=int, default=None, help="stop after this many batches (resume later)")
    r.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    n = k_sub.add_parser("new-signing-key", help="a new Ed25519 key for receipts or licences (rotation)")
    n.add_argument("--for", dest="purpose", required=True, choices=["receipts", "licences"])
    n.add_argument("--out", required=True, help="the new private key's file (created, mode 0600; never replaced)")
    n.add_argument("--key-id", help="the new key's id (default: zjb-<for>-<date>)")
    n.add_argument("--takes-over", help="when the new key takes over and the current one retires (ISO date-time; "
                                        "default: an hour from now, after every process has the new key)")
    n.add_argument("--data-dir")
    n.add_argument("--config", dest="config", default=argparse.SUPPRESS)

    pay = sub.add_parser("payments", help="payments")
    pay_sub = pay.add_subparsers(dest="payments_command", required=True)
    rec = pay_sub.add_parser("reconcile", help="reconcile one day against the provider's bill (对账)")
    rec.add_argument("--date", required=True, help="YYYY-MM-DD (Beijing time)")
    rec.add_argument("--channel", required=True, choices=["wechat", "alipay"])
    rec.add_argument("--data-dir")
    rec.add_argument("--config", dest="config", default=argparse.SUPPRESS)

    cf = sub.add_parser("config", help="configuration")
    cf_sub = cf.add_subparsers(dest="config_command", required=True)
    ch = cf_sub.add_parser("check", help="load the configuration and report problems")
    ch.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = _load(args)
    except ConfigError as e:
        print(str(e), file=sys.stderr)
        return 2
    setup_logging(config.logging.level)
    if args.command == "serve":
        from backend.server import serve
        config_file = args.config or os.environ.get("ZJB_CONFIG") or None
        return serve(config, processes=args.processes, worker_processes=args.worker_processes,
                     reuse_port=args.reuse_port, config_file=os.path.abspath(config_file) if config_file else None)
    if args.command == "worker":
        from backend.server import work
        return work(config)
    if args.command == "standins":
        from backend.server import serve_standins
        return serve_standins(config)
    if args.command == "config":
        print(f"配置可用 / configuration OK (mode={config.mode})")
        return 0
    if args.command == "keys" and args.keys_command == "new-signing-key":
        return _new_signing_key(args, config)
    return asyncio.run(_admin(args, config))


def _new_signing_key(args: argparse.Namespace, config: Config) -> int:
    import datetime as dt
    from pathlib import Path

    from backend.core.clock import TZ
    from backend.core.signing import KEY_ID, parse_key_time
    from backend.signing.rotation import rotation_lines, write_private_key

    section = getattr(config, args.purpose)
    now = dt.datetime.now(TZ)
    in_an_hour = now.replace(microsecond=0) + dt.timedelta(hours=1)
    takes_over = parse_key_time(args.takes_over) if args.takes_over else in_an_hour
    key_id = args.key_id or f"zjb-{args.purpose}-{now:%Y%m%d}"
    problems = []
    if takes_over is None:
        problems.append(f"--takes-over: {args.takes_over!r} is not a date-time (e.g. 2027-01-04T09:00:00+08:00)")
    if not KEY_ID.match(key_id) or key_id == section.key_id or key_id in section.retired_keys:
        problems.append(f"--key-id: {key_id!r} must be a new id (1-64 letters, digits, '.', '_' or '-')")
    out = Path(args.out)
    if out.exists():
        problems.append(f"--out: {out} exists; a key file is never replaced")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    from backend.app import read_key
    current_pem = read_key(config, f"{args.purpose}.signing_key_file")
    write_private_key(out)
    assert takes_over is not None
    print(f"# New {args.purpose} signing key written to {out} (readable by its owner only).")
    print("# Put these lines in the configuration of every process, deploy, and keep the old key's")
    print("# line in retired_keys for as long as its documents must verify (docs/keys.md).")
    print(rotation_lines(purpose=args.purpose, key_file=out.resolve(), key_id=key_id, takes_over=takes_over,
                         current_pem=current_pem, current_key_id=section.key_id,
                         current_valid_from=section.key_valid_from, retired=section.retired_keys))
    return 0


async def _admin(args: argparse.Namespace, config: Config) -> int:
    """Commands that need the database: use the configured one, the running embedded one, or
    start the embedded one for the duration of the command."""
    from backend.app import make_app
    from backend.core import errors
    from backend.db.embedded import EmbeddedDatabase, running_database_uri

    embedded = None
    if not config.database.uri:
        uri = running_database_uri(config.data_dir)
        if uri is None:
            embedded = EmbeddedDatabase(config.data_dir)
            uri = embedded.start()
        config = config.with_overrides(database={"uri": uri})
    from backend.server import with_running_standins
    config = with_running_standins(config)
    runtime = make_app(config.with_overrides(sandbox={"seed_demo_data": False})).settings["runtime"]
    try:
        await runtime.start(run_workers=False)
        if args.command == "staff":
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\n")
                generated = False
            elif sys.stdin.isatty():
                password = getpass.getpass("密码 / password: ")
                generated = False
            else:
                password, generated = secrets.token_urlsafe(12), True
            try:
                staff = await runtime.wired.staff.service.create(
                    username=args.username, password=password,
                    roles=[r.strip() for r in args.roles.split(",") if r.strip()], display_name=args.display_name)
            except errors.AppError as e:
                print(f"{e.message} {e.details or ''}", file=sys.stderr)
                return 1
            print(f"created staff {staff['username']} ({', '.join(staff['roles'])}) id={staff['id']}")
            if generated:
                print(f"generated password: {password}")
            return 0
        if args.command == "payments":
            from payments.cli import reconcile_command
            return await reconcile_command(runtime.wired.payments.reconciliation, args)
        if args.command == "keys":
            report = await runtime.wired.identity.service.reseal(batch_size=args.batch_size,
                                                              max_batches=args.max_batches)
            print(f"re-encrypted {report.resealed} record(s) with key {config.security.id_active_key}; "
                  + ("every record is on it" if report.done else
                     f"{report.remaining} record(s) left: run the command again to resume"))
            return 0 if report.done or args.max_batches else 1
        return 2
    finally:
        await runtime.stop()
        if embedded is not None:
            embedded.stop()
