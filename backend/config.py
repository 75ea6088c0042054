"""Configuration: one TOML file, environment variables for secrets, one frozen object.

Loaded once by the CLI (or a test) and passed to ``make_app``; nothing reads settings at import.
Every key is documented in ``config.example.toml``; its values are the defaults below, and a
test keeps the two in step.

Environment overrides: ``ZJB_<SECTION>_<KEY>`` (``ZJB_SECURITY_JWT_SECRET=...``). Table values
(``security.id_encryption_keys``) take ``kid=base64,kid2=base64``; lists take commas.

Secret files: when ``ZJB_SECRETS_DIR`` names a folder (Docker's ``/run/secrets``, systemd's
credentials directory), each file in it named like one of those variables supplies its value (a
trailing newline is dropped), so secrets need not sit in the environment. A variable that is set
wins over its file.
"""
from __future__ import annotations

import base64
import collections.abc
import dataclasses
import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, TypeVar, get_args, get_origin

from backend.config_sections import (
    ENV_PREFIX,
    EXAMPLE_ID_HASH_KEY,
    EXAMPLE_ID_KEY,
    EXAMPLE_JWT_SECRET,
    EXAMPLE_LICENCE_LIBRARY_SECRET,
    EXAMPLE_REALNAME_SECRET,
    EXAMPLE_SECRETS,
    EXAMPLE_WECHAT_SECRET,
    EXAMPLE_WECHATPAY_APIV3_KEY,
    MODES,
    SANDBOX_GATEWAY,
    SANDBOX_KEY,
    STANDINS_MODES,
    AlipayConfig,
    AppointmentsConfig,
    AuthorizationsConfig,
    BundlesConfig,
    CalendarConfig,
    CasesConfig,
    ComplaintsConfig,
    DatabaseConfig,
    FilesConfig,
    LicenceLibraryConfig,
    LicencesConfig,
    LoggingConfig,
    NotifyConfig,
    PaymentsConfig,
    ProvidersConfig,
    RateLimitConfig,
    RealnameConfig,
    ReceiptsConfig,
    SandboxConfig,
    SecurityConfig,
    ServerConfig,
    StaffConfig,
    WeChatConfig,
    WeChatPayConfig,
    WorkersConfig,
)
from backend.core.access import STAFF_ROLES

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed import DataclassInstance



class ConfigError(Exception):
    """The configuration cannot be used; the message says exactly why."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("配置无效 / invalid configuration:\n  - " + "\n  - ".join(problems))




@dataclass(frozen=True)
class Config:
    mode: str = "sandbox"
    data_dir: str = "var/data"
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    wechat: WeChatConfig = field(default_factory=WeChatConfig)
    realname: RealnameConfig = field(default_factory=RealnameConfig)
    providers: ProvidersConfig = field(default_factory=ProvidersConfig)
    ratelimit: RateLimitConfig = field(default_factory=RateLimitConfig)
    staff: StaffConfig = field(default_factory=StaffConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    cases: CasesConfig = field(default_factory=CasesConfig)
    appointments: AppointmentsConfig = field(default_factory=AppointmentsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    workers: WorkersConfig = field(default_factory=WorkersConfig)
    payments: PaymentsConfig = field(default_factory=PaymentsConfig)
    wechatpay: WeChatPayConfig = field(default_factory=WeChatPayConfig)
    alipay: AlipayConfig = field(default_factory=AlipayConfig)
    receipts: ReceiptsConfig = field(default_factory=ReceiptsConfig)
    files: FilesConfig = field(default_factory=FilesConfig)
    licences: LicencesConfig = field(default_factory=LicencesConfig)
    licence_library: LicenceLibraryConfig = field(default_factory=LicenceLibraryConfig)
    bundles: BundlesConfig = field(default_factory=BundlesConfig)
    complaints: ComplaintsConfig = field(default_factory=ComplaintsConfig)
    authorizations: AuthorizationsConfig = field(default_factory=AuthorizationsConfig)
    # Extra settings for tests only (e.g. validating every response against its schema).
    validate_responses: bool = False

    @property
    def is_sandbox(self) -> bool:
        return self.mode == "sandbox"

    @property
    def public_url(self) -> str:
        return self.server.public_url.rstrip("/") or f"http://{self.server.host}:{self.server.port}"

    def with_overrides(self, **sections: Mapping[str, Any]) -> "Config":
        """A copy with some values changed: ``cfg.with_overrides(server={"port": 9})``."""
        return _merge(self, sections)


def _coerce(value: Any, typ: Any, where: str) -> Any:
    origin = get_origin(typ)
    if typ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise ConfigError([f"{where}: expected true/false, got {value!r}"])
    if typ is int:
        if isinstance(value, bool):
            raise ConfigError([f"{where}: expected an integer, got {value!r}"])
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError([f"{where}: expected an integer, got {value!r}"]) from None
    if typ is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError([f"{where}: expected a number, got {value!r}"]) from None
    if typ is str:
        if not isinstance(value, str):
            raise ConfigError([f"{where}: expected a string, got {value!r}"])
        return value
    if origin is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError([f"{where}: expected a list, got {value!r}"])
        return tuple(_coerce(v, get_args(typ)[0], where) for v in value)
    if origin in (Mapping, collections.abc.Mapping):
        if isinstance(value, str):
            pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
            if any(len(p) != 2 for p in pairs):
                raise ConfigError([f"{where}: expected kid=value pairs separated by commas"])
            value = {k.strip(): v.strip() for k, v in pairs}
        if not isinstance(value, Mapping):
            raise ConfigError([f"{where}: expected a table, got {value!r}"])
        return dict(value)
    raise ConfigError([f"{where}: unsupported type"])  # pragma: no cover


D = TypeVar("D", bound="DataclassInstance")


def _merge(obj: D, values: Mapping[str, Any], where: str = "") -> D:
    known = {f.name: f for f in fields(obj)}
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in values.items():
        path = f"{where}{key}"
        if key not in known:
            problems.append(f"{path}: unknown key")
            continue
        current = getattr(obj, key)
        try:
            if dataclasses.is_dataclass(current) and not isinstance(current, type):
                if not isinstance(value, Mapping):
                    raise ConfigError([f"{path}: expected a table"])
                changes[key] = _merge(current, value, f"{path}.")
            else:
                typ = known[key].type
                typ = _resolve_type(typ)
                changes[key] = _coerce(value, typ, path)
        except ConfigError as e:
            problems.extend(e.problems)
    if problems:
        raise ConfigError(problems)
    return dataclasses.replace(obj, **changes)


_TYPES = {"str": str, "int": int, "float": float, "bool": bool,
          "tuple[str, ...]": tuple[str, ...], "Mapping[str, str]": Mapping[str, str]}


def _resolve_type(typ: Any) -> Any:
    if isinstance(typ, str):
        return _TYPES[typ]
    return typ


def _env_overrides(env: Mapping[str, str], base: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sections = {f.name for f in fields(base) if dataclasses.is_dataclass(getattr(base, f.name))}
    top = {f.name for f in fields(base)} - sections
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX):].lower()
        if rest in top:
            out[rest] = value
            continue
        # The longest section name that prefixes it (section names may contain "_").
        section = max((s for s in sections if rest.startswith(s + "_")), key=len, default="")
        key = rest[len(section) + 1:]
        if section and key:
            out.setdefault(section, {})[key] = value
    return out


SECRETS_DIR_VARIABLE = ENV_PREFIX + "SECRETS_DIR"


def _secret_files(env: Mapping[str, str]) -> dict[str, str]:
    """The ``ZJB_*`` files of the folder ``ZJB_SECRETS_DIR`` names, as variables."""
    folder = env.get(SECRETS_DIR_VARIABLE, "")
    if not folder:
        return {}
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError([f"{SECRETS_DIR_VARIABLE}: {folder} is not a folder"])
    out: dict[str, str] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(ENV_PREFIX) and entry.name != SECRETS_DIR_VARIABLE and entry.is_file():
            try:
                out[entry.name] = entry.read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as e:
                raise ConfigError([f"{SECRETS_DIR_VARIABLE}: cannot read {entry}: {e}"]) from None
    return out


def load_config(path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None,
                overrides: Mapping[str, Any] | None = None) -> Config:
    """Defaults, then the TOML file, then ZJB_* secret files and environment variables, then explicit
    overrides."""
    cfg = Config()
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError([f"config file not found: {p}"])
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError([f"{p}: {e}"]) from None
        cfg = _merge(cfg, data)
    env = os.environ if env is None else env
    cfg = _merge(cfg, _env_overrides({**_secret_files(env), **env}, cfg))
    if overrides:
        cfg = _merge(cfg, overrides)
    problems = check_config(cfg)
    if problems:
        raise ConfigError(problems)
    return cfg


def _key_bytes(value: str) -> bytes | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        return None
    return raw


def check_config(cfg: Config) -> list[str]:
    """Every problem with the configuration, each naming its key. Empty when usable."""
    p: list[str] = []
    if cfg.mode not in MODES:
        p.append(f"mode: must be one of {', '.join(MODES)}, got {cfg.mode!r}")
    sec = cfg.security
    if len(sec.jwt_secret.encode()) < 32:
        p.append("security.jwt_secret: must be at least 32 bytes")
    if not sec.id_encryption_keys:
        p.append("security.id_encryption_keys: at least one key is required")
    for kid, value in sec.id_encryption_keys.items():
        raw = _key_bytes(value)
        if raw is None or len(raw) != 32:
            p.append(f"security.id_encryption_keys.{kid}: must be base64 of exactly 32 bytes")
    if sec.id_active_key not in sec.id_encryption_keys:
        p.append(f"security.id_active_key: {sec.id_active_key!r} is not in security.id_encryption_keys")
    if len(sec.id_hash_key.encode()) < 32:
        p.append("security.id_hash_key: must be at least 32 bytes")
    if sec.access_token_ttl_seconds <= 0 or sec.refresh_token_ttl_seconds <= sec.access_token_ttl_seconds:
        p.append("security.*_ttl_seconds: access TTL must be positive and shorter than refresh TTL")
    if not (1 <= sec.face_verification_minutes <= 60):
        p.append("security.face_verification_minutes: must be between 1 and 60")
    if not (0 < cfg.server.port < 65536):
        p.append(f"server.port: {cfg.server.port} is not a TCP port")
    if cfg.sandbox.standins_mode not in STANDINS_MODES:
        p.append(f"sandbox.standins_mode: must be one of {', '.join(STANDINS_MODES)}, "
                 f"got {cfg.sandbox.standins_mode!r}")
    if not (0 <= cfg.sandbox.standins_port < 65536):
        p.append(f"sandbox.standins_port: {cfg.sandbox.standins_port} is not a TCP port (0: chosen at start)")
    if cfg.logging.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        p.append("logging.level: must be DEBUG, INFO, WARNING or ERROR")
    p.extend(_staff_problems(cfg))
    p.extend(_calendar_problems(cfg))
    p.extend(_payments_problems(cfg))
    p.extend(_signing_problems(cfg))
    f = cfg.files
    if not (0 < f.max_bytes <= 100 * 1024 * 1024):
        p.append("files.max_bytes: must be between 1 byte and 100 MB")
    if f.drain_factor < 1.0:
        p.append("files.drain_factor: must be at least 1.0")
    if f.image_workers < 1:
        p.append("files.image_workers: must be at least 1")
    if cfg.mode == "production":
        p.extend(_production_problems(cfg))
        p.extend(_payments_production_problems(cfg))
    return p


def _staff_problems(cfg: Config) -> list[str]:
    p: list[str] = []
    for pair in cfg.staff.exclusive_roles:
        roles = pair.split("+")
        if len(roles) != 2 or roles[0] == roles[1] or not set(roles) <= STAFF_ROLES.keys():
            p.append(f"staff.exclusive_roles: {pair!r} is not two different roles joined by '+' "
                     f"(roles: {', '.join(STAFF_ROLES)})")
    return p


def _calendar_problems(cfg: Config) -> list[str]:
    p: list[str] = []
    days: dict[str, set[str]] = {}
    for key in ("holidays", "workdays"):
        for value in getattr(cfg.calendar, key):
            try:
                days.setdefault(key, set()).add(dt.date.fromisoformat(value).isoformat())
            except ValueError:
                p.append(f"calendar.{key}: {value!r} is not a date (YYYY-MM-DD)")
    both = days.get("holidays", set()) & days.get("workdays", set())
    if both:
        p.append(f"calendar: {', '.join(sorted(both))} listed as both a holiday and a workday")
    return p


# Payment channels, keys and receipts.
def _payments_problems(cfg: Config) -> list[str]:
    p: list[str] = []
    if cfg.cases.duplicate_window_seconds < 0 or cfg.cases.idempotency_key_hours < 1:
        p.append("cases: duplicate_window_seconds must be at least 0 and idempotency_key_hours at least 1")
    pay = cfg.payments
    for ch in pay.channels:
        if ch not in ("wechat", "alipay"):
            p.append(f"payments.channels: unknown channel {ch!r} (wechat, alipay)")
    if pay.expire_minutes < 1:
        p.append("payments.expire_minutes: must be at least 1")
    try:
        if not pay.query_backoff_seconds or min(int(x) for x in pay.query_backoff_seconds) < 1:
            raise ValueError
    except ValueError:
        p.append("payments.query_backoff_seconds: must be a non-empty list of positive integers")
    if len(cfg.wechatpay.apiv3_key.encode()) != 32:
        p.append("wechatpay.apiv3_key: must be exactly 32 bytes")
    if not (len(cfg.receipts.code_prefix) == 6 and cfg.receipts.code_prefix.isdigit()):
        p.append("receipts.code_prefix: must be 6 digits (region code)")
    try:
        dt.time.fromisoformat(pay.reconcile_after)
    except ValueError:
        p.append("payments.reconcile_after: must be a local time HH:MM")
    if pay.reconcile_days < 1 or pay.reconcile_retry_minutes < 1:
        p.append("payments.reconcile_days / reconcile_retry_minutes: must be at least 1")
    if cfg.workers.catch_up_max_days < 1:
        p.append("workers.catch_up_max_days: must be at least 1")
    if cfg.workers.yield_at_requests < 0:
        p.append("workers.yield_at_requests: must be 0 (never wait) or more")
    if not 0 <= cfg.workers.yield_max_seconds <= 60:
        p.append("workers.yield_max_seconds: must be between 0 and 60")
    return p


def _signing_problems(cfg: Config) -> list[str]:
    """Malformed or overlapping signing keys of receipts and licences (docs/keys.md)."""
    from backend.core.signing import KEY_ID, parse_retired_keys
    p: list[str] = []
    for where, section in (("receipts", cfg.receipts), ("licences", cfg.licences)):
        if not KEY_ID.match(section.key_id):
            p.append(f"{where}.key_id: 1-64 letters, digits, '.', '_' or '-'")
        p.extend(parse_retired_keys(section.retired_keys, current_key_id=section.key_id,
                                    current_valid_from=section.key_valid_from, where=where)[1])
    return p


def _payments_production_problems(cfg: Config) -> list[str]:
    """The real payment providers' settings, for the channels residents may choose, and the receipts'
    and licences' signing keys."""
    p: list[str] = []
    keys: list[tuple[str, str]] = [("receipts.signing_key_file", cfg.receipts.signing_key_file),
                                   ("licences.signing_key_file", cfg.licences.signing_key_file)]
    gateways: list[tuple[str, str]] = []
    ids: list[tuple[str, str, str]] = []
    if "wechat" in cfg.payments.channels:
        w = cfg.wechatpay
        gateways.append(("wechatpay.gateway", w.gateway))
        keys += [("wechatpay.private_key_file", w.private_key_file),
                 ("wechatpay.platform_public_key_file", w.platform_public_key_file)]
        ids += [("wechatpay.mchid", w.mchid, WeChatPayConfig.mchid),
                ("wechatpay.cert_serial_no", w.cert_serial_no, WeChatPayConfig.cert_serial_no),
                ("wechatpay.platform_public_key_id", w.platform_public_key_id, WeChatPayConfig.platform_public_key_id)]
        if w.apiv3_key == EXAMPLE_WECHATPAY_APIV3_KEY:
            p.append("wechatpay.apiv3_key: is the example value from config.example.toml; set the merchant's APIv3 key")
    if "alipay" in cfg.payments.channels:
        a = cfg.alipay
        gateways.append(("alipay.gateway", a.gateway))
        keys += [("alipay.app_private_key_file", a.app_private_key_file),
                 ("alipay.alipay_public_key_file", a.alipay_public_key_file)]
        ids += [("alipay.app_id", a.app_id, AlipayConfig.app_id),
                ("alipay.seller_id", a.seller_id, AlipayConfig.seller_id)]
    p.extend(_gateway_problems(gateways))
    p.extend(_id_problems(ids))
    for name, path in keys:
        if not path:
            p.append(f"{name}: missing; point it at the real key file")
        elif path == SANDBOX_KEY:
            p.append(f"{name}: is the generated sandbox key; point it at the real key file")
        elif not Path(path).is_file():
            p.append(f"{name}: {path} is not a readable file")
    for name, key_id in (("receipts.key_id", cfg.receipts.key_id), ("licences.key_id", cfg.licences.key_id)):
        if "sandbox" in key_id.lower():
            p.append(f"{name}: still the sandbox id")
    return p


def _gateway_problems(gateways: list[tuple[str, str]]) -> list[str]:
    p: list[str] = []
    for name, gateway in gateways:
        if gateway == SANDBOX_GATEWAY:
            p.append(f"{name}: points at the sandbox stand-in; set the provider's real URL")
        elif not gateway.startswith("https://"):
            p.append(f"{name}: must be an https:// URL in production")
    return p


def _id_problems(ids: list[tuple[str, str, str]]) -> list[str]:
    """A provider's account id that is missing or still the sandbox's example value."""
    p: list[str] = []
    for name, value, example in ids:
        if not value:
            p.append(f"{name}: missing; set the id the provider issued")
        elif value == example or "sandbox" in value.lower():
            p.append(f"{name}: is the sandbox's example value; set the id the provider issued")
    return p


def _production_problems(cfg: Config) -> list[str]:
    p: list[str] = []
    uri = cfg.database.uri
    if not uri:
        p.append("database.uri: missing; production runs on a MongoDB replica set "
                 "(mongodb://…/?replicaSet=rs0&w=majority), never the embedded database")
    elif not uri.startswith(("mongodb://", "mongodb+srv://")):
        p.append("database.uri: must be a mongodb:// or mongodb+srv:// URI")
    if cfg.sandbox.standins:
        p.append("sandbox.standins: the local stand-ins must be off in production (set false)")
    if cfg.sandbox.hooks:
        p.append("sandbox.hooks: the sandbox hooks must be off in production (set false)")
    if cfg.sandbox.seed_demo_data:
        p.append("sandbox.seed_demo_data: demo data must not be seeded in production (set false)")
    p.extend(_gateway_problems([("wechat.gateway", cfg.wechat.gateway), ("realname.gateway", cfg.realname.gateway),
                                ("licence_library.gateway", cfg.licence_library.gateway)]))
    p.extend(_id_problems([("realname.app_id", cfg.realname.app_id, RealnameConfig.app_id),
                           ("licence_library.app_id", cfg.licence_library.app_id, LicenceLibraryConfig.app_id)]))
    secrets = {
        "security.jwt_secret": cfg.security.jwt_secret,
        "security.id_hash_key": cfg.security.id_hash_key,
        "wechat.secret": cfg.wechat.secret,
        "realname.app_secret": cfg.realname.app_secret,
        "licence_library.app_secret": cfg.licence_library.app_secret,
    }
    for kid, value in cfg.security.id_encryption_keys.items():
        secrets[f"security.id_encryption_keys.{kid}"] = value
    for name, value in secrets.items():
        if not value:
            p.append(f"{name}: missing (set it in the config file or ZJB_ environment variable)")
        elif value in EXAMPLE_SECRETS:
            p.append(f"{name}: is the example value from config.example.toml; generate a real secret")
    if not cfg.wechat.appid:
        p.append("wechat.appid: missing; set the mini-program's real AppID")
    elif cfg.wechat.appid.startswith("wxsandbox"):
        p.append("wechat.appid: is the sandbox app id; set the mini-program's real AppID")
    if not cfg.server.public_url.startswith("https://"):
        p.append("server.public_url: must be the public https:// URL in production")
    if cfg.server.metrics_token and len(cfg.server.metrics_token) < 32:
        p.append("server.metrics_token: at least 32 characters")
    return p


# The sections are imported from here too: ``backend.config`` is the one name for configuration.
__all__ = ["AlipayConfig", "AppointmentsConfig", "AuthorizationsConfig", "BundlesConfig", "CalendarConfig",
           "CasesConfig", "ComplaintsConfig", "Config", "ConfigError", "DatabaseConfig", "ENV_PREFIX",
           "EXAMPLE_ID_HASH_KEY", "EXAMPLE_ID_KEY", "EXAMPLE_JWT_SECRET", "EXAMPLE_LICENCE_LIBRARY_SECRET",
           "EXAMPLE_REALNAME_SECRET", "EXAMPLE_SECRETS", "EXAMPLE_WECHATPAY_APIV3_KEY",
           "EXAMPLE_WECHAT_SECRET", "FilesConfig", "LicenceLibraryConfig", "LicencesConfig", "LoggingConfig",
           "MODES", "NotifyConfig", "PaymentsConfig", "ProvidersConfig", "RateLimitConfig", "RealnameConfig",
           "ReceiptsConfig", "SANDBOX_GATEWAY", "SANDBOX_KEY", "STANDINS_MODES", "SandboxConfig", "SecurityConfig",
           "ServerConfig", "StaffConfig",
           "WeChatConfig", "WeChatPayConfig", "WorkersConfig", "check_config", "load_config"]
