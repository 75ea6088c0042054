"""Test support: a real app server on a real port, an HTTP client, keyword-only factories.

The app runs in its own thread with its own event loop, exactly as ``serve`` runs it, so tests
talk to it over HTTP and can also run coroutines on its loop to look at the database.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import logging
import random
import subprocess
import threading
import time
import uuid
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Coroutine, TypeVar

import requests
import tornado.httpserver

from backend.app import Runtime, make_app
from backend.config import Config
from backend.core.clock import ShiftedClock
from backend.db.embedded import free_port
from backend.identity.idnumber import check_char

T = TypeVar("T")


class AppServer:
    def __init__(self, config: Config, clock: ShiftedClock | None = None, *, wait_started: bool = True):
        port = free_port()
        self.wait_started = wait_started
        self.config = config.with_overrides(server={"port": port})
        self.clock = clock or ShiftedClock()
        self.base = f"http://127.0.0.1:{port}"
        self.ctx: Runtime | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"app-{port}", daemon=True)

    def start(self) -> "AppServer":
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("app server did not start")
        if self._error:
            raise self._error
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # noqa: BLE001 - reported to the starting thread
            self._error = e
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        app = make_app(self.config, clock=self.clock)
        self.ctx = app.settings["runtime"]
        http = tornado.httpserver.HTTPServer(app, max_body_size=self.config.server.max_body_bytes * 2)
        http.listen(self.config.server.port, "127.0.0.1")
        starting = asyncio.ensure_future(self.ctx.start())
        if self.wait_started:
            await starting
        self._ready.set()
        await self._stop.wait()
        http.stop()
        await http.close_all_connections()
        self.ctx.abandon_start()   # never cancelled: see Runtime.start
        await asyncio.gather(starting, return_exceptions=True)
        await self.ctx.stop()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        """Run a coroutine on the server's loop (to read or prepare the database directly)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self) -> None:
        """Stop the app (again: nothing)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(30)
        # The providers' SDK clients keep HTTP sessions for the life of a process; a test app's
        # life ends here, so they are collected now rather than at some later, unrelated test.
        self.ctx = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


class Api:
    """requests, with the base URL, JSON and bearer tokens filled in."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()
        weakref.finalize(self, self.session.close)  # its pooled sockets close with it

    def request(self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
                headers: dict[str, str] | None = None, data: bytes | str | None = None, **kw: Any) -> requests.Response:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            h.setdefault("Content-Type", "application/json")
        return self.session.request(method, self.base + path, data=data, headers=h, timeout=30, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, json_body=body if body is not None else {}, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, json_body=body if body is not None else {}, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("PUT", path, json_body=body if body is not None else {}, **kw)


def miniprogram_pages() -> set[str]:
    """The mini-program's pages as app.json lists them: the main package's and each sub-package's
    (its root joined to its pages), e.g. ``pages/agency/list/index``."""
    app = json.loads((Path(__file__).resolve().parent.parent / "miniprogram" / "app.json").read_text(encoding="utf-8"))
    pages = set(app["pages"])
    for sub in app.get("subPackages", app.get("subpackages", [])):
        pages.update(f"{sub['root'].rstrip('/')}/{p}" for p in sub["pages"])
    return pages


def coming_new_years_eve() -> dt.date:
    """The next 31 December (Beijing) at least two days ahead: tests move the server's clock
    forward to it, never back, whatever the year they run in."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    eve = dt.date(today.year, 12, 31)
    return eve if (eve - today).days >= 2 else dt.date(today.year + 1, 12, 31)


def run_apart(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on an event loop of its own in another thread (the test's thread may already run
    one: the browser tests' driver does)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def wait_answering(base: str, path: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Wait until a started ``serve`` answers ``path`` with 200; fail with its log should it exit
    first or not answer in time."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(base + path, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"serve did not answer {path} in {timeout:.0f} s"
        time.sleep(0.2)


def assert_error(resp: requests.Response, status: int, code: str) -> dict[str, Any]:
    """The answer is an error in the contract's shape with this status and code."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "details"}, err
    assert err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"], err
    assert isinstance(err["details"], dict)
    return err


def make_id_number(*, region: str = "110105", born: dt.date | None = None, seq: int | None = None) -> str:
    """A valid GB 11643 number (random birth date and sequence unless given)."""
    born = born or dt.date(1950, 1, 1) + dt.timedelta(days=random.randrange(0, 365 * 50))
    seq = random.randrange(0, 1000) if seq is None else seq
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


CHINESE_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴霞", "欧阳春晓",
                 "阿依古丽·买买提"]


@dataclass
class ResidentHandle:
    id: str
    openid: str
    access_token: str
    refresh_token: str
    name: str | None = None
    id_number: str | None = None


def face_verify(api: Api, openid: str, name: str, id_number: str, *, passed: bool = True,
                identify_ret: int | None = None) -> str:
    """The resident ``openid`` goes through WeChat face verification (the stand-in's hook, as
    ``wx.startFacialRecognitionVerify`` would): its one-time verify_result."""
    body: dict[str, Any] = {"openid": openid, "name": name, "id_number": id_number, "pass": passed}
    if identify_ret is not None:
        body["identify_ret"] = identify_ret
    r = api.post("/sandbox/wechat/face-verify", body)
    assert r.status_code == 200, r.text
    return str(r.json()["verify_result"])


def bind_realname(api: Api, h: ResidentHandle, name: str, id_number: str, **kw: Any) -> requests.Response:
    """``POST /me/realname`` with a passing face verification of this name and number by the resident."""
    return api.post("/api/v1/me/realname", {"name": name, "id_number": id_number,
                                            "verify_result": face_verify(api, h.openid, name, id_number)},
                    token=h.access_token, **kw)


def prove_face(api: Api, h: ResidentHandle) -> dict[str, Any]:
    """A bound resident passes face verification now (``POST /me/face-verifications``), as the
    mini-program does before fetching licences or filing a high-assurance service."""
    assert h.name and h.id_number, "prove_face needs a bound resident"
    r = api.post("/api/v1/me/face-verifications",
                 {"verify_result": face_verify(api, h.openid, h.name, h.id_number)}, token=h.access_token)
    assert r.status_code == 201, r.text
    return dict(r.json())


def fetch_licences(api: Api, h: ResidentHandle, body: dict[str, Any], **kw: Any) -> requests.Response:
    """``POST /me/licences/refresh`` after a fresh face verification, as the mini-program does it."""
    prove_face(api, h)
    return api.post("/api/v1/me/licences/refresh", body, token=h.access_token, **kw)


def at_window_start(srv: AppServer, seconds: int = 60) -> None:
    """Move the server's clock just past the start of its next fixed window of ``seconds``: a test
    counting attempts against a per-minute limit then has the whole minute, and its attempts are
    not split across two windows by the clock passing a minute's end."""
    srv.clock.advance(seconds=seconds - srv.clock.now().timestamp() % seconds + 0.5)


def new_resident(api: Api, *, verified: bool = False, name: str | None = None,
                 id_number: str | None = None, code: str | None = None) -> ResidentHandle:
    code = code or f"test-{uuid.uuid4().hex[:12]}"
    r = api.post("/api/v1/auth/wechat-login", {"code": code})
    assert r.status_code == 200, r.text
    body = r.json()
    h = ResidentHandle(id=body["user"]["id"], openid="o-" + code, access_token=body["access_token"],
                       refresh_token=body["refresh_token"])
    if verified:
        h.name = name or random.choice(CHINESE_NAMES)
        h.id_number = id_number or make_id_number()
        r = bind_realname(api, h, h.name, h.id_number)
        assert r.status_code == 200, r.text
    return h


DEMO_PASSWORD = "Zjb-demo-2026"
DEMO_BY_ROLE = {"clerk": "clerk1", "approver": "approver1", "hall_manager": "hall1", "finance": "finance1",
                "supervisor": "supervisor1", "admin": "admin1", "hotline": "hotline1"}


def staff_login(api: Api, *, role: str | None = None, username: str | None = None,
                password: str = DEMO_PASSWORD) -> dict[str, Any]:
    """Sign in. An account an administrator made or reset must first change that password
    (``password_change_required``): its holder goes through the change here, to a password of their
    own and then back to ``password``, so that the caller signs in with the password it knows, as
    the holder would with theirs."""
    username = username or DEMO_BY_ROLE[role or "admin"]
    r = api.post("/api/v1/staff/login", {"username": username, "password": password})
    assert r.status_code == 200, r.text
    if r.json()["password_change_required"]:
        first_password_change(api, r.json()["access_token"], password)
        r = api.post("/api/v1/staff/login", {"username": username, "password": password})
        assert r.status_code == 200 and not r.json()["password_change_required"], r.text
    return r.json()


def first_password_change(api: Api, token: str, password: str) -> None:
    """The holder of an administrator-set ``password`` changes it (through one of their own, since a
    password is never changed to itself), ending with ``password`` again."""
    own = f"{password}-own"
    for current, new in ((password, own), (own, password)):
        r = api.post("/api/v1/staff/me/password", {"current_password": current, "new_password": new}, token=token)
        assert r.status_code == 200, r.text


def cli_staff(server: AppServer, api: Api, *, roles: list[str], password: str = "Cli-made-pass-2026",
              **fields: Any) -> dict[str, Any]:
    """An account made the way ``python -m backend staff create`` makes it (no administrator set its
    password, so none controls it), signed in: a second, independent administrator, say."""
    username = f"cli{uuid.uuid4().hex[:10]}"
    assert server.ctx is not None
    server.run(server.ctx.wired.staff.service.create(username=username, password=password, roles=roles, **fields))
    return staff_login(api, username=username, password=password)


class LogCapture(logging.Handler):
    """Every log line the app writes, formatted exactly as in production (JSON)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        from backend.core.logs import JsonFormatter
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        with self._lock2:
            self.lines.append(line)

    def text(self) -> str:
        with self._lock2:
            return "\n".join(self.lines)
