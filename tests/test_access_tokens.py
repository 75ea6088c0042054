"""Access tokens a process has checked are kept by their text: the signature is checked once, the
expiry and the audience on every use, and a token that differs in one character is checked in full.
"""
from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient

from backend.core import errors
from backend.core.clock import ShiftedClock
from backend.identity import tokens as tokens_module
from backend.identity.session_ends import SessionEnds
from backend.identity.store import RefreshTokenStore, SessionEndStore, SessionStore
from backend.identity.tokens import SessionPolicy, TokenService

POLICIES = {"resident": SessionPolicy(900, 86400), "staff": SessionPolicy(900, 43200)}


def _service(clock: ShiftedClock) -> TokenService:
    # verify_access reads nothing: a client that never connects is enough.
    db = AsyncMongoClient("mongodb://127.0.0.1:9", connect=False)["unused"]
    ends = SessionEnds(SessionEndStore(db), bound_seconds=1.0)
    return TokenService(RefreshTokenStore(db), SessionStore(db), ends, secret="k" * 32, issuer="test",
                        clock=clock, policies=POLICIES)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = tokens_module.jwt.decode_complete

    def counting(token: str, *args: object, **kwargs: object) -> object:
        seen.append(token)
        return real(token, *args, **kwargs)   # type: ignore[arg-type]
    monkeypatch.setattr(tokens_module.jwt, "decode_complete", counting)
    return seen


def _reason(call: object) -> str:
    with pytest.raises(errors.Unauthenticated) as e:
        call()   # type: ignore[operator]
    return str(e.value.details["reason"])


def test_a_token_is_checked_in_full_once_and_its_expiry_every_time(decodes: list[str]) -> None:
    clock = ShiftedClock()
    svc = _service(clock)
    token = svc._access("u1", "resident", "s1", None)
    first = svc.verify_access(token, "resident")
    again = svc.verify_access(token, "resident")
    assert first["sub"] == again["sub"] == "u1" and first["sid"] == "s1"
    assert decodes == [token]
    clock.advance(seconds=901)
    assert _reason(lambda: svc.verify_access(token, "resident")) == "token_expired"


def test_a_kept_token_does_not_open_the_other_audience_nor_vouch_for_a_changed_one(decodes: list[str]) -> None:
    svc = _service(ShiftedClock())
    token = svc._access("u1", "resident", "s1", None)
    svc.verify_access(token, "resident")
    assert _reason(lambda: svc.verify_access(token, "staff")) == "token_invalid"
    head, body, sig = token.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    assert _reason(lambda: svc.verify_access(f"{head}.{body}.{flipped}", "resident")) == "token_invalid"
    assert _reason(lambda: svc.verify_access(token + "x", "resident")) == "token_invalid"
    with pytest.raises(TypeError):
        svc.verify_access(token, "resident")["sub"] = "u2"   # type: ignore[index]
    assert svc.verify_access(token, "resident")["sub"] == "u1"


def test_at_most_so_many_tokens_are_kept_the_oldest_going_first(decodes: list[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens_module, "VERIFIED_KEPT", 3)
    svc = _service(ShiftedClock())
    issued = [svc._access(f"u{i}", "resident", f"s{i}", None) for i in range(5)]
    for t in issued:
        svc.verify_access(t, "resident")
    decodes.clear()
    for t in issued[2:]:
        svc.verify_access(t, "resident")
    assert decodes == []
    assert svc.verify_access(issued[0], "resident")["sub"] == "u0"
    assert decodes == [issued[0]]
