"""The configuration's sections, one frozen dataclass each, with their defaults (documented key by
key in ``config.example.toml``), and the example values the sandbox runs with. ``backend.config``
composes them into ``Config`` and loads and checks it."""
from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field

MODES = ("sandbox", "production")
STANDINS_MODES = ("process", "inline")  # where the sandbox's stand-ins run (SandboxConfig)
ENV_PREFIX = "ZJB_"

# The example secrets shipped in config.example.toml and used by sandbox mode. Production mode
# refuses to start with any of them.
EXAMPLE_JWT_SECRET = "sandbox-only-jwt-secret-change-me-0123456789abcdef"
EXAMPLE_ID_KEY = base64.b64encode(b"sandbox-only-id-key-32-bytes-000").decode()
EXAMPLE_ID_HASH_KEY = "sandbox-only-id-hash-key-change-me-0123456789"
EXAMPLE_WECHAT_SECRET = "sandboxsecret0000000000000000000"
EXAMPLE_REALNAME_SECRET = "sandbox-realname-app-secret-0000"
EXAMPLE_LICENCE_LIBRARY_SECRET = "sandbox-licence-library-secret-00"
EXAMPLE_SECRETS = frozenset(
    {EXAMPLE_JWT_SECRET, EXAMPLE_ID_KEY, EXAMPLE_ID_HASH_KEY, EXAMPLE_WECHAT_SECRET,
     EXAMPLE_REALNAME_SECRET, EXAMPLE_LICENCE_LIBRARY_SECRET}
)
SANDBOX_GATEWAY = "sandbox"
# "sandbox" as a key file: the key generated for the sandbox at first start under
# DATA_DIR/sandbox/keys/ (production refuses it). The example APIv3 key is refused too.
SANDBOX_KEY = "sandbox"
EXAMPLE_WECHATPAY_APIV3_KEY = "sandboxApiV3Key0000000000000000x"


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    # Public base URL of this server as residents and providers reach it (notify URLs, receipt
    # QR codes). Empty: http://<host>:<port>.
    public_url: str = ""
    # Proxies (CIDRs) whose X-Forwarded-For is trusted to name the client address.
    trusted_proxies: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    # Add security headers and answer CORS only for these origins.
    cors_origins: tuple[str, ...] = ()
    # Production: /metrics and the details of /readyz only for this bearer token (at least 32
    # characters; set it through ZJB_SERVER_METRICS_TOKEN) or from these addresses (CIDRs).
    metrics_token: str = ""
    metrics_addresses: tuple[str, ...] = ()
    # Reference data read on every home page (departments, services, life events) and the WeChat
    # access token are reused by a process for this many seconds: another process's change is
    # seen that much later; this process's own at once. 0: read afresh every time.
    reference_cache_seconds: float = 2.0


@dataclass(frozen=True)
class DatabaseConfig:
    # Empty: start the embedded SecantusDB server as a child process, data under DATA_DIR/db.
    uri: str = ""
    name: str = "zhijianban"
    embedded_cache_size: str = "512M"
    server_selection_timeout_ms: int = 3000
    # Opening a connection (with its authentication) may take this long before it counts as a
    # network error: at a peak a new connection waits behind the server's other work, and one
    # that times out clears the whole pool, failing every request waiting on it (AutoReconnect).
    connect_timeout_ms: int = 10000
    # Connections each process keeps open when idle, and opens at once when a burst needs more.
    min_pool_size: int = 8
    max_connecting: int = 8
    # Acknowledge a write only once it is in the journal (j: true): an acknowledged booking or
    # payment survives the database being killed. Costs about a third of the raw write rate.
    journal: bool = True
    # Every this many seconds a worker deletes the documents past their TTL index's expiry, through
    # the index (backend/db/expiry.py): the embedded database runs without its own sweeper, which
    # reads whole collections under a global lock. On MongoDB the server's TTL monitor does the
    # same, and 0 leaves it to it.
    expiry_seconds: float = 60.0


@dataclass(frozen=True)
class SecurityConfig:
    jwt_secret: str = EXAMPLE_JWT_SECRET
    jwt_issuer: str = "zhijianban"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    staff_access_token_ttl_seconds: int = 900
    staff_refresh_token_ttl_seconds: int = 12 * 3600
    # A staff session ends after this long without any request, and this long after login.
    staff_idle_minutes: int = 30
    staff_session_hours: int = 12
    # A session ended in any process stops its tokens in every process within this many seconds
    # (at most 1; 0 reads every session and account on every request).
    session_check_cache_seconds: float = 1.0
    # How long a process keeps a session and a verified account its requests read, while it
    # follows the sessions that end (backend/identity/session_ends.py).
    session_keep_seconds: float = 600.0
    # AES-256-GCM keys for ID numbers at rest, by key id (base64 of 32 bytes). New values are
    # written with the active key; old keys stay for reading until re-encrypted.
    id_encryption_keys: Mapping[str, str] = field(default_factory=lambda: {"k1": EXAMPLE_ID_KEY})
    id_active_key: str = "k1"
    # HMAC key for the keyed hash of ID numbers (uniqueness, rate-limit keys).
    id_hash_key: str = EXAMPLE_ID_HASH_KEY
    # A WeChat face verification (人脸核身) counts this many minutes from WeChat's identify_time: to
    # bind a real name, and as the recent proof a library fetch or a high-assurance filing needs.
    face_verification_minutes: int = 10


@dataclass(frozen=True)
class WeChatConfig:
    appid: str = "wxsandbox0000000001"
    secret: str = EXAMPLE_WECHAT_SECRET
    # "sandbox": the sandbox's stand-in (see sandbox.standins_mode). Production: https://api.weixin.qq.com
    gateway: str = SANDBOX_GATEWAY
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class ProvidersConfig:
    # Every outside provider (WeChat, real-name verification, the e-licence library, WeChat Pay,
    # Alipay), each on its own: calls in flight per process (HTTP connections, or threads for a
    # synchronous SDK), the longest a call waits for its turn, the longest one call may take once
    # sent, and the Retry-After told to the resident when a provider is busy or slow (503).
    concurrency: int = 64
    queue_seconds: float = 3.0
    timeout_seconds: float = 5.0
    retry_after_seconds: int = 3


@dataclass(frozen=True)
class RealnameConfig:
    # "sandbox": the sandbox's stand-in (sandbox.standins_mode); otherwise the verification service's URL.
    gateway: str = SANDBOX_GATEWAY
    app_id: str = "zjb-sandbox"
    app_secret: str = EXAMPLE_REALNAME_SECRET
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class RateLimitConfig:
    login_per_ip_per_minute: int = 600
    login_per_openid_per_minute: int = 10
    realname_per_ip_per_minute: int = 600
    realname_per_user_per_hour: int = 5
    realname_per_id_number_per_hour: int = 5
    staff_login_per_ip_per_minute: int = 120
    # Per resident (429 rate_limited with Retry-After past the limit); 0 turns one off.
    applications_per_resident_per_hour: int = 30
    bookings_per_resident_per_hour: int = 20
    pay_starts_per_resident_per_hour: int = 30
    complaints_per_resident_per_day: int = 10
    uploads_per_resident_per_hour: int = 100
    identity_codes_per_resident_per_10_minutes: int = 30
    # Public verification of receipts and licences (a guess needs the code, number and check code).
    verify_per_ip_per_minute: int = 30


@dataclass(frozen=True)
class StaffConfig:
    # Failed logins are counted per (username, client address) and per address. Past its free
    # failures a key waits before its next try, doubling from login_delay_seconds up to
    # login_max_delay_minutes; counts start again after login_window_minutes without a failure.
    login_free_failures: int = 5
    address_free_failures: int = 30
    login_delay_seconds: int = 30
    login_max_delay_minutes: int = 15
    login_window_minutes: int = 60
    min_password_length: int = 10
    # Roles one account may not hold together (separation of duties), each pair as "a+b": who
    # accepts a case does not approve it, who approves does not collect fees, who manages accounts
    # neither approves nor handles money, and supervisors do not do the work they supervise.
    exclusive_roles: tuple[str, ...] = (
        "clerk+approver", "approver+finance", "admin+approver", "admin+finance",
        "supervisor+clerk", "supervisor+approver", "supervisor+hotline",
    )


@dataclass(frozen=True)
class NotifyConfig:
    # Channels besides the in-app inbox (which always gets every message).
    wechat: bool = True
    sms: bool = False
    # Subscribe-message template ids by our template key (from the mini-program's admin console).
    templates: Mapping[str, str] = field(default_factory=lambda: {
        "case_progress": "sandbox-tpl-case-progress", "appointment": "sandbox-tpl-appointment",
        "payment": "sandbox-tpl-payment", "rating": "sandbox-tpl-rating"})
    # Mini-program page a subscribe message opens.
    page: str = "pages/me/inbox/index"
    # Delivery: attempts before a message is marked failed, backoff (doubling, with jitter), lease.
    max_attempts: int = 8
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 30.0
    batch: int = 200
    tick_seconds: float = 0.5


@dataclass(frozen=True)
class CasesConfig:
    # Rating invitation repeated after this many days without a rating.
    rating_reminder_days: int = 3
    # Working days a rectification order (整改) for a 1–2 rating has to be answered.
    rectification_working_days: int = 5
    # Yellow light: within this many working days of the deadline.
    yellow_working_days: int = 2
    # Days a resident has for a correction (补正) unless staff give a date.
    correction_days: int = 15
    supervision_interval_seconds: float = 30.0
    # 容缺受理: working days to bring a promised material, and how many working days before that
    # the applicant is reminded.
    promise_working_days: int = 10
    promise_reminder_working_days: int = 2
    # A resident's same submission (case or 一件事) again within this many seconds answers the first.
    duplicate_window_seconds: int = 300
    # An Idempotency-Key answers its first result for this many hours.
    idempotency_key_hours: int = 24


@dataclass(frozen=True)
class SandboxConfig:
    # Run the stand-ins of the outside parties (WeChat with face verification, WeChat Pay, Alipay,
    # real-name verification, the e-licence library) under /sandbox/.
    standins: bool = True
    # Where they run: "process" (their own process, which serve starts before the app, restarts if
    # it dies and stops with itself, so that a peak measured in sandbox mode measures the product,
    # not the stand-ins) or "inline" (mounted on the app server, on its event loop). The sandbox
    # hooks are served by the app server either way; the stand-ins' state is the same files.
    standins_mode: str = "process"
    # The stand-in process's port on 127.0.0.1; 0: serve picks a free one and hands it on.
    standins_port: int = 0
    # The sandbox hooks of the API contract (confirm payments, read messages, list staff).
    hooks: bool = True
    # Seed demo data (staff accounts, catalogue) at start-up.
    seed_demo_data: bool = True
    demo_staff_password: str = "Zjb-demo-2026"

    @property
    def standins_apart(self) -> bool:
        """The stand-ins run in their own process (and are not mounted on the app server)."""
        return self.standins and self.standins_mode == "process"


@dataclass(frozen=True)
class CalendarConfig:
    # Working days come from the chinesecalendar package, from the years admins enter in the
    # console (工作日历), and for a year with neither from the statutory rules (provisional). These
    # win over all of them for a day the whole city observes: public holidays (no working day, halls
    # closed) and weekend days that are working days (调休). Entering years belongs in the console.
    holidays: tuple[str, ...] = ()
    workdays: tuple[str, ...] = ()
    # How often every process reloads the entered years (and finishes effects a crash left).
    refresh_seconds: float = 5.0


@dataclass(frozen=True)
class AppointmentsConfig:
    # Booking rules (defaults from real service centres).
    require_realname: bool = True
    max_per_service_per_day: int = 1
    max_per_day: int = 1
    max_open: int = 3
    min_notice_minutes: int = 30
    cancel_before_minutes: int = 120
    no_show_limit: int = 2
    no_show_window_days: int = 30
    block_days: int = 90
    # Default release of a schedule's slots: `release_days` ahead, at `release_time` each day.
    release_days: int = 7
    release_time: str = "08:00"
    checkin_before_minutes: int = 30
    checkin_after_minutes: int = 15
    waitlist_offer_minutes: int = 30
    # Waitlists one resident may wait on at once (each can end in an offer to them).
    max_waitlists: int = 5
    max_recalls: int = 3
    # A ticket's service time before any has been served that day in its area (the wait estimate).
    default_service_minutes: int = 8
    first_reminder_minutes: int = 1440
    second_reminder_minutes: int = 60
    pending_timeout_seconds: int = 30
    generate_interval_seconds: float = 60.0
    sweep_interval_seconds: float = 5.0


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "INFO"


@dataclass(frozen=True)
class WorkersConfig:
    # Run the background workers inside `serve` (set false when separate `worker` processes run).
    enabled: bool = True
    tick_seconds: float = 1.0
    # Inside `serve`, a job's next run waits while this many requests or more are in flight (a
    # booking storm, a login peak), until they drain or `yield_max_seconds` pass; 0: never waits.
    yield_at_requests: int = 32
    yield_max_seconds: float = 2.0
    # Per-day jobs (reconciliation) catch up every day they missed, however long the gap, up to
    # this many days back; older days are left skipped with an alert, to be done by hand.
    catch_up_max_days: int = 92


@dataclass(frozen=True)
class PaymentsConfig:
    # Channels residents may choose ("wechat", "alipay").
    channels: tuple[str, ...] = ("wechat", "alipay")
    # An order may be paid for this long after its first pay attempt; then it is closed.
    expire_minutes: int = 30
    # Active query (查单) of orders with a pay attempt and no notice: seconds between queries,
    # growing along this list (the last value repeats).
    query_backoff_seconds: tuple[str, ...] = ("15", "30", "60", "120", "300", "600")
    # How often the payment jobs (query, expire, refunds) run.
    job_interval_seconds: float = 5.0
    # Accepted clock difference for WeChat Pay notice timestamps (the provider says 5 minutes).
    notice_max_skew_seconds: int = 300
    # Payee unit printed on receipts (收款单位).
    payee_name: str = "示例市政务服务中心"
    # The providers publish day T's bills on T+1 from this local time; the reconciliation job
    # reconciles each channel's previous days from then on.
    reconcile_after: str = "10:00"
    # On a new database, how many days back the job's first run starts; from then on it catches up
    # every day it missed (up to workers.catch_up_max_days).
    reconcile_days: int = 3
    # While a bill is not published yet (or the provider cannot be reached), try again after this.
    reconcile_retry_minutes: int = 30
    # Sandbox only: the stand-ins retry failed notices on the providers' real schedules multiplied
    # by this factor (0.01 turns WeChat Pay's 15 s into 0.15 s).
    sandbox_retry_factor: float = 1.0


@dataclass(frozen=True)
class WeChatPayConfig:
    mchid: str = "1900000001"
    # Mini-program AppID the orders are made for. Empty: wechat.appid.
    appid: str = ""
    # Merchant API private key (PEM file) and its certificate serial number.
    private_key_file: str = SANDBOX_KEY
    cert_serial_no: str = "5A1D0000000000000000000000000000SANDBOX1"
    # APIv3 key (32 bytes) that decrypts notices.
    apiv3_key: str = EXAMPLE_WECHATPAY_APIV3_KEY
    # WeChat Pay platform public key (PEM file) and its id (public-key verification mode).
    platform_public_key_file: str = SANDBOX_KEY
    platform_public_key_id: str = "PUB_KEY_ID_SANDBOX0000000000000001"
    # "sandbox": the sandbox's stand-in (see sandbox.standins_mode). Production: https://api.mch.weixin.qq.com
    gateway: str = SANDBOX_GATEWAY
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str = "2021000000000001"
    # Application private key and Alipay's public key (PEM files).
    app_private_key_file: str = SANDBOX_KEY
    alipay_public_key_file: str = SANDBOX_KEY
    # Seller id (PID) expected in notices and bills.
    seller_id: str = "2088000000000001"
    # "sandbox": the sandbox's stand-in (sandbox.standins_mode). Production: https://openapi.alipay.com/gateway.do
    gateway: str = SANDBOX_GATEWAY
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class ReceiptsConfig:
    # 票据代码 = region code (6 digits) + two-digit year.
    code_prefix: str = "110101"
    # Ed25519 private key (PEM file) signing receipt content, and its published key id.
    signing_key_file: str = SANDBOX_KEY
    key_id: str = "zjb-receipts-sandbox-1"
    # When the current key took over signing (ISO date-time, Beijing time without an offset).
    key_valid_from: str = "2026-01-01T00:00:00+08:00"
    # Retired public keys, by key id: "<public_key_b64> <valid_from> <retired_at>". They still
    # verify what they signed before retired_at (docs/keys.md: rotation).
    retired_keys: Mapping[str, str] = field(default_factory=dict)
    # Seal text printed in the seal area of the PDF.
    seal_text: str = "财政票据专用章"


@dataclass(frozen=True)
class FilesConfig:
    # Largest file a resident may upload (bytes); larger ones are refused while they stream in.
    max_bytes: int = 10 * 1024 * 1024
    # A body over the limit but at most this many times it is read to its end and dropped, so
    # that ordinary clients receive the 413; a bigger one gets the 413 and the connection closes.
    drain_factor: float = 2.0
    # Seconds an upload may take to arrive (slow mobile networks).
    upload_timeout_seconds: int = 300
    # Images are re-encoded with their long side at most this many pixels; thumbnails at this size.
    max_image_side: int = 4096
    thumbnail_side: int = 320
    # Images that would decode to more pixels than this are refused from their header, before any
    # decoding (decompression bombs); a JPEG counts at the reduced scale it is decoded at.
    max_image_pixels: int = 40_000_000
    # Images decoded at once per process (each holds up to max_image_pixels × 4 bytes), the others wait.
    image_workers: int = 2
    # A file attached to no case is removed this long after its upload (or its last detachment).
    orphan_grace_hours: int = 72
    # An upload that never finished (the process died) is cleaned up after this long.
    stale_upload_minutes: int = 60
    sweep_interval_seconds: float = 60.0
    sweep_batch: int = 200


@dataclass(frozen=True)
class LicencesConfig:
    # Ed25519 private key (PEM file) signing e-licences; "sandbox": generated under
    # DATA_DIR/sandbox/keys/. Its public key is published at GET /api/v1/licences/public-key.
    signing_key_file: str = SANDBOX_KEY
    key_id: str = "zjb-licences-sandbox-1"
    # As receipts.key_valid_from and receipts.retired_keys, for the licences' signing key.
    key_valid_from: str = "2026-01-01T00:00:00+08:00"
    retired_keys: Mapping[str, str] = field(default_factory=dict)
    # Issuing authority printed on licences this centre issues (the department is added).
    issuer_name: str = "示例市政务服务中心"
    # Public verification (GET /licences/verify) per client address per minute.
    verify_per_ip_per_minute: int = 60
    # Fetches from the e-licence library per resident per hour.
    fetch_per_user_per_hour: int = 30
    # Licences issued before 50-bit check codes also verify with the 6-hex code printed on the copies
    # handed out then; false once those copies are out of use.
    accept_legacy_check_codes: bool = True


@dataclass(frozen=True)
class LicenceLibraryConfig:
    # "sandbox": the e-licence library (电子证照库) stand-in (see sandbox.standins_mode); otherwise its URL.
    gateway: str = SANDBOX_GATEWAY
    app_id: str = "zjb-sandbox"
    app_secret: str = EXAMPLE_LICENCE_LIBRARY_SECRET
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class BundlesConfig:
    # Seconds between runs of the job that tells residents when a whole life event is done.
    watch_interval_seconds: float = 30.0
    # An open bundle (一件事) is looked at again this many seconds after its last look.
    recheck_seconds: int = 60


@dataclass(frozen=True)
class ComplaintsConfig:
    # Working days the 12345 hotline has to assign a complaint to a department (or answer it).
    assign_working_days: int = 1
    # Working days the department has to reply once it is assigned (again after a reopen).
    reply_working_days: int = 5
    # Yellow light once fewer than this many working days are left (1: on the due day itself).
    yellow_working_days: int = 1
    # A reply the resident says nothing about is closed after this many days.
    close_after_days: int = 7
    supervision_interval_seconds: float = 30.0


@dataclass(frozen=True)
class AuthorizationsConfig:
    # The longest a resident's grant (帮办代办授权) may last, in days.
    max_days: int = 90
    # Grants one resident may have in force at once; a grant identical to one in force (same
    # grantee, same services) is that grant, so the grantee is told once.
    max_active_grants: int = 10
    # Seconds a resident's dynamic identity code (办事码) stays valid.
    identity_code_seconds: int = 60
