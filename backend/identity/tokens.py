"""Our own tokens and login sessions, for residents and for staff.

A login opens a session. Access tokens: JWT, HS256 pinned (RFC 8725), with issuer, audience
(``resident`` or ``staff``, so neither opens the other's endpoints), expiry, a token id and the
session id (``sid``). Refresh tokens: the session id and 32 random bytes (``<sid>.<secret>``),
one use each, kept only as a SHA-256 hash in their session (``sessions.refresh``), so that a
login writes one document and a refresh updates it once, conditionally on the hash it replaces.
The session remembers its latest used tokens: presenting one again means it was stolen or
replayed, so the session ends and the person must log in again. A token naming a session it is
not one of proves nothing and ends nothing. Sessions opened before the refresh state moved into
them still have their tokens in ``refresh_tokens`` (one random part, no dot): such a token is used
there once, and its session is handed a token kept in it.

Ending a session takes effect at once: every request checks its session, and a logout, a password
change, disabling an account or a role change stops its access tokens in every process within
``check_cache_seconds`` (≤ 1 s), not when they expire. Each process keeps the sessions its
requests read for up to ``keep_seconds``, and drops one as soon as its end is recorded
(``session_ends.py`` says why that is safe across processes). Staff sessions also end after a
while without any request (idle) and a fixed time after login (lifetime), however often they
refresh; a session kept here that looks idle or over is read again before it is ended.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, NoReturn

import jwt

from backend.core import errors
from backend.core.clock import Clock
from backend.identity.session_ends import Kept, SessionEnds
from backend.identity.store import AUDIENCES, RefreshTokenStore, SessionStore
from backend.identity.values import LoginSession, SessionRefresh

log = logging.getLogger("zjb.tokens")
ALGORITHM = "HS256"
__all__ = ["ALGORITHM", "AUDIENCES", "SessionPolicy", "TokenPair", "TokenService"]

# How often an active session's last request is written down (it only matters for idle timeouts).
SEEN_EVERY = dt.timedelta(seconds=60)

# Access tokens whose signature and claims this process has checked, by their exact text: a
# resident's every request presents the same token, and its signature need not be checked again
# (most of the work of authenticating a request whose session and account are kept). Expiry is
# checked on every use; a token that differs in a single character is another key, checked in
# full. The oldest go first when full (10,000 of them take about 15 MB).
VERIFIED_KEPT = 10_000

# Why a session ended, and what the person is told.
ENDED = {
    "logout": "您已退出登录，请重新登录",
    "logout_everywhere": "您已在所有设备上退出登录，请重新登录",
    "password_changed": "密码已更改，请重新登录",
    "account_changed": "账号状态或权限已变更，请重新登录",
    "account_cancelled": "账号已注销；再次登录将开始一个新账号",
    "refresh_token_reused": "登录状态异常，已退出登录，请重新登录",
    "idle": "长时间未操作，已自动退出登录，请重新登录",
    "lifetime": "登录时间已到，请重新登录",
}


@dataclass(frozen=True)
class SessionPolicy:
    access_seconds: int
    refresh_seconds: int
    idle_seconds: int | None = None       # the session ends after this long without a request
    lifetime_seconds: int | None = None   # ... and this long after login, whatever happens


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    session_ends_at: dt.datetime | None = None   # the session's fixed end (staff: 12 h after login)
    idle_seconds: int | None = None              # the session ends after this long without a request

    def as_dict(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "token_type": "Bearer", "expires_in": self.expires_in}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session_of(refresh_token: str) -> str | None:
    """The session a refresh token names (``<sid>.<secret>``); None for one kept on its own."""
    session_id, dot, _ = refresh_token.partition(".")
    if dot and len(session_id) == 32 and all(c in "0123456789abcdef" for c in session_id):
        return session_id
    return None


def _invalid() -> errors.Unauthenticated:
    return errors.Unauthenticated("登录已失效，请重新登录", details={"reason": "refresh_token_invalid"})


def _ended(reason: str | None) -> errors.Unauthenticated:
    if reason == "idle":
        detail = "session_idle"
    elif reason == "lifetime":
        detail = "session_expired"
    else:
        detail = "session_ended"
    return errors.Unauthenticated(ENDED.get(reason or "", "登录已失效，请重新登录"),
                                  details={"reason": detail, "ended_because": reason or "unknown"})


class TokenService:
    def __init__(self, refresh: RefreshTokenStore, sessions: SessionStore, ends: SessionEnds, *, secret: str,
                 issuer: str, clock: Clock, policies: dict[str, SessionPolicy], keep_seconds: float = 0.0):
        self._refresh = refresh
        self._sessions = sessions
        self.ends = ends
        self._secret = secret
        self._issuer = issuer
        self._clock = clock
        self._policies = policies
        self._kept: Kept[LoginSession] = Kept(ends, keep_seconds=keep_seconds, subject_of=lambda s: s.subject)
        self._verified: dict[tuple[str, str], Mapping[str, Any]] = {}

    # -- issuing -----------------------------------------------------------------------------------

    def _access(self, subject: str, audience: str, session_id: str, extra: dict[str, Any] | None) -> str:
        now = int(self._clock.now().timestamp())
        claims = {"iss": self._issuer, "aud": audience, "sub": subject, "iat": now,
                  "exp": now + self._policies[audience].access_seconds, "jti": uuid.uuid4().hex,
                  "sid": session_id, **(extra or {})}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def _pair(self, subject: str, audience: str, session_id: str, refresh: str, lifetime_ends: dt.datetime | None,
              extra: dict[str, Any] | None) -> TokenPair:
        policy = self._policies[audience]
        return TokenPair(self._access(subject, audience, session_id, extra), refresh, policy.access_seconds, session_id,
                         lifetime_ends, policy.idle_seconds)

    def _new_refresh(self, session_id: str, audience: str, lifetime_ends: dt.datetime | None) \
            -> tuple[str, SessionRefresh]:
        """A new refresh token of the session, and the state that makes it the working one."""
        token = f"{session_id}.{secrets.token_urlsafe(32)}"
        expires = self._clock.now() + dt.timedelta(seconds=self._policies[audience].refresh_seconds)
        if lifetime_ends is not None:
            expires = min(expires, lifetime_ends)
        return token, SessionRefresh(hash=_hash(token), expires_at=expires)

    async def issue(self, subject: str, audience: str, *, extra: dict[str, Any] | None = None) -> TokenPair:
        """Open a session (a login) and its first pair of tokens: one insert."""
        policy = self._policies[audience]
        now = self._clock.now()
        session_id = uuid.uuid4().hex
        ends = now + dt.timedelta(seconds=policy.lifetime_seconds) if policy.lifetime_seconds else None
        last = ends or now + dt.timedelta(seconds=policy.refresh_seconds)
        session = LoginSession(id=session_id, subject=subject, audience=audience, created_at=now, expires_at=ends,
                               last_seen_at=now, purge_at=last + dt.timedelta(days=30))
        refresh, state = self._new_refresh(session_id, audience, ends)
        await self._sessions.open(session, state)
        self._kept.put(session.id, session)  # the requests after a login need not read what it just wrote
        return self._pair(subject, audience, session_id, refresh, ends, extra)

    # -- checking ----------------------------------------------------------------------------------

    def verify_access(self, token: str, audience: str) -> Mapping[str, Any]:
        """Claims of a well-formed, signed, unexpired access token for ``audience``; anything else
        is 401. Expiry is checked against the injected clock (tests and sandbox time travel)."""
        claims = self._verified.get((token, audience))
        if claims is None:
            claims = self._checked(token, audience)
            if len(self._verified) >= VERIFIED_KEPT:
                del self._verified[next(iter(self._verified))]
            self._verified[(token, audience)] = claims
        if claims["exp"] <= int(self._clock.now().timestamp()):
            raise errors.Unauthenticated("登录已过期，请重新登录", details={"reason": "token_expired"})
        return claims

    def _checked(self, token: str, audience: str) -> Mapping[str, Any]:
        """The claims of a token whose signature, algorithm, audience, issuer and claims are right
        (its expiry is the caller's to check)."""
        try:
            # One parse for the header and the claims.
            whole = jwt.decode_complete(token, self._secret, algorithms=[ALGORITHM], audience=audience,
                                        issuer=self._issuer,
                                        options={"require": ["exp", "iat", "sub", "aud", "iss", "jti", "sid"],
                                                 "verify_exp": False, "verify_iat": False})
            if whole["header"].get("alg") != ALGORITHM:
                raise jwt.InvalidAlgorithmError("algorithm not allowed")
            claims: dict[str, Any] = whole["payload"]
            if not isinstance(claims["exp"], int) or isinstance(claims["exp"], bool):
                raise jwt.InvalidTokenError("exp")
            if not isinstance(claims["sid"], str) or not isinstance(claims["sub"], str):
                raise jwt.InvalidTokenError("sid")
            return MappingProxyType(claims)
        except jwt.PyJWTError:
            raise errors.Unauthenticated("登录凭证无效，请重新登录", details={"reason": "token_invalid"}) from None

    async def authenticate(self, token: str, audience: str) -> Mapping[str, Any]:
        """Claims of an access token whose session is still open; otherwise 401."""
        claims = self.verify_access(token, audience)
        await self.check_session(claims["sid"], claims["sub"], audience)
        return claims

    async def check_session(self, session_id: str, subject: str, audience: str) -> None:
        state = self._kept.get(session_id)
        if state is not None and self._over(state, audience) is not None:
            state = None   # kept, it looks over: another process may have seen it since
        if state is None:
            state = await self._sessions.by_id(session_id)
            if state is not None:
                self._kept.put(state.id, state)
        if state is None or state.subject != subject or state.audience != audience:
            raise _ended(None)
        await self._check_open(state, audience)

    def _over(self, state: LoginSession, audience: str) -> str | None:
        """Why the session is over by now (``ended_at`` aside), or None."""
        policy = self._policies[audience]
        now = self._clock.now()
        if state.expires_at is not None and now >= state.expires_at:
            return "lifetime"
        if policy.idle_seconds is not None and state.last_seen_at is not None \
                and now - state.last_seen_at > dt.timedelta(seconds=policy.idle_seconds):
            return "idle"
        return None

    async def _check_open(self, state: LoginSession, audience: str) -> None:
        if state.ended_at is not None:
            raise _ended(state.end_reason)
        over = self._over(state, audience)
        if over is not None:
            await self.end_session(state.id, over)
            raise _ended(over)
        now = self._clock.now()
        if self._policies[audience].idle_seconds is not None and state.last_seen_at is not None \
                and now - state.last_seen_at >= SEEN_EVERY:
            await self._sessions.seen(state.id, now)
            self._kept.replace(state.id, replace(state, last_seen_at=now))  # kept as seen now

    # -- refreshing --------------------------------------------------------------------------------

    async def rotate(self, refresh_token: str, audience: str, *,
                     extra: dict[str, Any] | None = None) -> tuple[str, TokenPair]:
        """Use a refresh token once. Returns (subject, new pair). Reuse ends the session."""
        session_id = _session_of(refresh_token)
        if session_id is None:
            return await self._rotate_kept_apart(refresh_token, audience, extra)
        now = self._clock.now()
        h = _hash(refresh_token)
        found = await self._sessions.with_refresh(session_id)
        state, refresh = found if found is not None else (None, None)
        if state is None or refresh is None or state.audience != audience or not refresh.gave_out(h):
            raise _invalid()
        if state.ended_at is not None:
            raise _ended(state.end_reason)
        if h in refresh.used:
            await self._reused(state.id, state.subject)
        if refresh.expires_at <= now:
            raise _invalid()
        await self._check_open(state, audience)
        token, new = self._new_refresh(session_id, audience, state.expires_at)
        if not await self._sessions.replace_refresh(session_id, h, now, new):
            # Used by another request meanwhile (or the session ended, or the token expired).
            found = await self._sessions.with_refresh(session_id)
            state_now, refresh_now = found if found is not None else (None, None)
            if state_now is not None and state_now.ended_at is not None:
                raise _ended(state_now.end_reason)
            if refresh_now is not None and h in refresh_now.used:
                await self._reused(state.id, state.subject)
            raise _invalid()
        return state.subject, self._pair(state.subject, audience, session_id, token, state.expires_at, extra)

    async def _rotate_kept_apart(self, refresh_token: str, audience: str,
                                 extra: dict[str, Any] | None) -> tuple[str, TokenPair]:
        """A token of ``refresh_tokens``: used there once; its session keeps the next one."""
        now = self._clock.now()
        h = _hash(refresh_token)
        doc = await self._refresh.use_once(h, audience, now)
        if doc is None:
            old = await self._refresh.by_hash(h, audience=audience)
            if old is not None and old.used_at is not None and not old.revoked:
                await self._reused(old.family, old.subject)
            if old is not None and old.revoked:
                state = await self._sessions.by_id(old.family)
                raise _ended(state.end_reason if state else None)
            raise _invalid()
        state = await self._sessions.by_id(doc.family)
        if state is None or state.subject != doc.subject:
            raise _ended(None)
        await self._check_open(state, audience)
        token, new = self._new_refresh(doc.family, audience, state.expires_at)
        if not await self._sessions.replace_refresh(doc.family, None, now, new):
            state = await self._sessions.by_id(doc.family)
            raise _ended(state.end_reason if state else None)
        return doc.subject, self._pair(doc.subject, audience, doc.family, token, state.expires_at, extra)

    async def _reused(self, session_id: str, subject: str) -> NoReturn:
        await self.end_session(session_id, "refresh_token_reused")
        log.warning("refresh token reused; session ended", extra={"session": session_id, "subject": subject})
        raise errors.Unauthenticated(ENDED["refresh_token_reused"], details={"reason": "refresh_token_reused"})

    # -- ending ------------------------------------------------------------------------------------

    async def end_session(self, session_id: str, reason: str) -> None:
        await self.ends.announce("session", [session_id])   # every process drops it within a second
        await self._sessions.end(session_id, reason, self._clock.now())
        await self._refresh.revoke_families([session_id])

    async def end_session_of_refresh_token(self, refresh_token: str, subject: str, reason: str) -> None:
        """End the session ``refresh_token`` was given by, if it is ``subject``'s."""
        h = _hash(refresh_token)
        session_id = _session_of(refresh_token)
        if session_id is None:
            token = await self._refresh.by_hash(h, subject=subject)
            if token is not None:
                await self.end_session(token.family, reason)
            return
        found = await self._sessions.with_refresh(session_id)
        if found is not None and found[1] is not None and found[0].subject == subject and found[1].gave_out(h):
            await self.end_session(session_id, reason)

    async def account_changing(self, subject: str) -> None:
        """A person's account is about to become unusable or lose its verified identity: every
        process drops what it kept of the person within a second (call before the write)."""
        await self.ends.announce("subject", [subject])

    async def open_sessions(self, subject: str, audience: str) -> list[LoginSession]:
        return await self._sessions.open_of(subject, audience)

    async def end_sessions_of(self, subject: str, audience: str, reason: str, *, keep: str | None = None) -> None:
        """End every session of a person (but ``keep``, the one asking, when given)."""
        await self.ends.announce("subject", [subject])
        ended = await self._sessions.end_all_of(subject, audience, reason, self._clock.now(), keep=keep)
        if keep is None:
            await self._refresh.revoke_subject(subject, audience)
        else:
            await self._refresh.revoke_families(ended)
