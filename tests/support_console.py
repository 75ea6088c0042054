"""Browser-test support for the staff console: real headless Chromium (Debian's /usr/bin/chromium)
driven by Playwright, against the session's real app server over real HTTP.

Fixtures here are imported by the ``test_console_*.py`` modules. Flows whose API endpoints are
built on other branches skip themselves, with the reason, until ``/openapi.json`` lists them.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support import DEMO_BY_ROLE, DEMO_PASSWORD, AppServer

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "console"
CHROMIUM = os.environ.get("ZJB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--lang=zh-CN",
]
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium_context() -> Iterator[Any]:
    """One Chromium with a fresh profile (--user-data-dir) for the whole session; each test opens
    its own tab, and the console keeps its session in the tab's sessionStorage."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="zjb-chromium-")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT,
            locale="zh-CN", timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(TIMEOUT_MS)
        try:
            yield ctx
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


class ConsolePage:
    """A tab on the console, with the few steps every test repeats."""

    def __init__(self, page: Any, base: str, name: str):
        self.page = page
        self.base = base
        self.name = name
        self.errors: list[str] = []
        self.shots = 0
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", self._on_console)

    def _on_console(self, msg: Any) -> None:
        # Chromium reports every 4xx answer as "Failed to load resource"; the tests provoke those.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.errors.append(msg.text)

    def open(self, hash_path: str = "") -> "ConsolePage":
        self.page.goto(f"{self.base}/console/{('#/' + hash_path) if hash_path else ''}")
        return self

    def login(self, username: str, password: str = DEMO_PASSWORD) -> "ConsolePage":
        p = self.page
        p.get_by_label("用户名").fill(username)
        p.get_by_label("密码").fill(password)
        p.get_by_role("button", name="登录", exact=True).click()
        return self

    def login_as(self, role: str) -> "ConsolePage":
        self.open().login(DEMO_BY_ROLE[role])
        self.page.locator("#nav a").first.wait_for()
        return self

    def go(self, hash_path: str) -> "ConsolePage":
        self.page.evaluate("h => { location.hash = h }", "#/" + hash_path)
        self.page.locator("main h1").first.wait_for()
        return self

    def listed(self, selector: str) -> Any:
        """The row ``selector`` names in a worklist, once shown. A worklist lists the oldest first, so
        a row made by this test may be on a later page when earlier tests left many waiting: this
        presses 加载更多 until it shows (and fails when the list ends without it)."""
        row = self.page.locator(selector)
        shown = "s => document.querySelector(s) || document.querySelector('button.load-more:not([hidden])')"
        self.page.wait_for_function(shown, arg=selector)
        while not row.count():
            before = self.page.locator("main tbody tr").count()
            self.page.locator("button.load-more").click()
            self.page.wait_for_function("([s, n]) => document.querySelector(s) || "
                                        "document.querySelectorAll('main tbody tr').length > n", arg=[selector, before])
        return row.first

    def nav_items(self) -> list[str]:
        return [t.strip() for t in self.page.locator("#nav a").all_inner_texts()]

    def shot(self, label: str) -> Path:
        self.shots += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.name}-{self.shots:02d}-{label}")
        path = SHOTS / f"{safe}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def token(self) -> str:
        return self.page.evaluate("() => JSON.parse(sessionStorage.getItem('zjb.console.session')).access_token")

    def fetch(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """Call the API from inside the page with its own staff token (as any script there could)."""
        return self.page.evaluate("""async ([method, path, body]) => {
            const s = JSON.parse(sessionStorage.getItem('zjb.console.session'));
            const r = await fetch(path, {method, headers: {'Authorization': 'Bearer ' + s.access_token,
                'Content-Type': 'application/json'}, body: body === null ? undefined : JSON.stringify(body)});
            let json = null; try { json = await r.json(); } catch (e) {}
            return {status: r.status, body: json};
        }""", [method, path, body])


@pytest.fixture
def console(chromium_context: Any, server: AppServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Open console tabs: ``console()`` gives a fresh tab (fresh sessionStorage). Each tab is
    screenshotted at the end of the test, and must have raised no script error."""
    opened: list[ConsolePage] = []

    def _open(name: str | None = None) -> ConsolePage:
        page = chromium_context.new_page()
        cp = ConsolePage(page, server.base, name or request.node.name)
        opened.append(cp)
        return cp

    yield _open
    failed = False
    for cp in opened:
        try:
            cp.shot("end")
        except Exception:  # noqa: BLE001 - a screenshot is a by-product, never the failure
            pass
        if cp.errors:
            failed = True
        cp.page.close()
    if failed:
        pytest.fail("script errors in the console: " + "; ".join(e for cp in opened for e in cp.errors))


_PATHS: dict[str, set[str]] = {}


def api_paths(server: AppServer) -> set[str]:
    if server.base not in _PATHS:
        import requests
        doc = requests.get(server.base + "/openapi.json", timeout=30).json()
        _PATHS[server.base] = set(doc.get("paths", {}))
    return _PATHS[server.base]


def require_endpoints(server: AppServer, *paths: str) -> None:
    """Fail the test, saying which, when this server lacks an endpoint the flow drives: a missing
    endpoint is a defect, never a reason to skip."""
    have = api_paths(server)
    missing = [p for p in paths if "/api/v1" + p not in have]
    if missing:
        pytest.fail("endpoints the console calls are not in /openapi.json: " + ", ".join(missing))


__all__ = ["chromium_context", "console", "require_endpoints", "ConsolePage", "SHOTS", "DEMO_PASSWORD"]
