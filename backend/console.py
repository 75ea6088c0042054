"""The staff console's static files, served at ``/console/``, and the hall's public call screen
at ``/hall/{hall_id}/display``.

The console is a plain client of the staff API: HTML + ES modules + CSS from the top-level
``console/`` folder, no build step, no server-side logic and no privileged path of its own.
This module only serves the files, with security headers fit for a static app: a strict
Content-Security-Policy (no inline script or style), no framing, no referrer.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web

from backend.core.inputs import path_has_nul

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    # Materials are fetched with the staff token and shown from blob: URLs (PDFs in the browser's viewer).
    "img-src 'self' data: blob:",
    "frame-src blob:",
    "object-src blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class ConsoleFileHandler(tornado.web.StaticFileHandler):
    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Frame-Options", "DENY")
        self.clear_header("Server")

    def prepare(self) -> None:
        if path_has_nul(self.request.path):  # no file name holds a NUL; the OS would refuse it
            raise tornado.web.HTTPError(400)

    def get_content_type(self) -> str:
        ctype = super().get_content_type()
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            return f"{ctype}; charset=UTF-8"
        return ctype

    def set_extra_headers(self, path: str) -> None:
        # Revalidate every time (ETag): a deployed fix reaches every desk on the next load.
        self.set_header("Cache-Control", "no-cache")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish("页面不存在" if status_code == 404 else "请求有误")


class HallDisplayPage(ConsoleFileHandler):
    """The call screen's one page, whatever hall its path names (its script reads the id)."""

    async def get(self, path: str = "", include_body: bool = True) -> None:
        await super().get("display.html", include_body)


def console_routes(directory: Path = CONSOLE_DIR) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]]:
    """Tornado routes for the console: ``/console`` redirects to ``/console/`` (index.html)."""
    return [
        (r"/console", tornado.web.RedirectHandler, {"url": "/console/", "permanent": False}),
        # Browsers ask for /favicon.ico by themselves: the console's icon, not a 404.
        (r"/favicon\.ico", tornado.web.RedirectHandler, {"url": "/console/favicon.svg", "permanent": True}),
        # The hall's public call screen (no login): one page for every hall, its id in the path.
        (r"/hall/[0-9a-fA-F]{24}/display", HallDisplayPage, {"path": str(directory)}),
        (r"/console/(.*)", ConsoleFileHandler, {"path": str(directory), "default_filename": "index.html"}),
    ]
