"""What a person reads, for the journeys (tests/journeys/): their inbox and the WeChat pushes the
stand-in received, waited for by condition, never by sleeping."""
from __future__ import annotations

from typing import Any

from tests.support import Api, ResidentHandle, miniprogram_pages
from tests.support_cases import eventually, inbox, relogin, wechat_messages

APP_PAGES = miniprogram_pages()


def read(api: Api, r: ResidentHandle, kind: str, n: int = 1) -> list[dict[str, Any]]:
    """The resident's inbox messages of ``kind`` once there are ``n`` of them, oldest first."""
    relogin(api, r)

    def got() -> list[dict[str, Any]] | None:
        found = [m for m in inbox(api, r) if m["kind"] == kind]
        return list(reversed(found)) if len(found) >= n else None
    found = eventually(got, timeout=30)
    assert len(found) == n, [m["text"] for m in found]
    return found


def pushed(api: Api, r: ResidentHandle, phrase_key: str, phrase: str) -> dict[str, Any]:
    """The one WeChat push whose ``phrase_key`` field says ``phrase``; its page is a mini-program page."""
    found = eventually(lambda: [p for p in wechat_messages(api, r.openid)
                                if p["data"].get(phrase_key, {}).get("value") == phrase], timeout=30)
    assert len(found) == 1, found
    assert found[0]["page"].partition("?")[0] in APP_PAGES, found[0]["page"]
    return found[0]
