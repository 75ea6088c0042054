"""Our own tokens, for residents and for staff.

Access tokens: JWT, HS256 pinned (RFC 8725), with issuer, audience (``resident`` or ``staff``,
so neither opens the other's endpoints), expiry and a token id. Refresh tokens: 32 random bytes,
stored only as a SHA-256 hash, one use each. Using one marks it used and issues the next in the
same family; presenting a used one again means it was stolen or replayed, so the whole family
is revoked and the person must log in again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from backend.core import errors
from backend.core.clock import Clock
from backend.identity.store import AUDIENCES, RefreshTokenStore

log = logging.getLogger("zjb.tokens")
ALGORITHM = "HS256"
__all__ = ["AUDIENCES", "ALGORITHM", "TokenPair", "TokenService"]


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def as_dict(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "token_type": "Bearer", "expires_in": self.expires_in}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    def __init__(self, store: RefreshTokenStore, *, secret: str, issuer: str, clock: Clock,
                 ttl: dict[str, tuple[int, int]]):
        self._store = store
        self._secret = secret
        self._issuer = issuer
        self._clock = clock
        self._ttl = ttl  # audience -> (access seconds, refresh seconds)

    def _access(self, subject: str, audience: str, family: str, extra: dict[str, Any] | None) -> str:
        now = self._clock.now()
        claims = {"iss": self._issuer, "aud": audience, "sub": subject, "iat": int(now.timestamp()),
                  "exp": int(now.timestamp()) + self._ttl[audience][0], "jti": uuid.uuid4().hex,
                  "fam": family, **(extra or {})}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    async def issue(self, subject: str, audience: str, *, family: str | None = None,
                    extra: dict[str, Any] | None = None) -> TokenPair:
        family = family or uuid.uuid4().hex
        refresh = secrets.token_urlsafe(32)
        now = self._clock.now()
        expires = now + dt.timedelta(seconds=self._ttl[audience][1])
        await self._store.add({
            "_id": _hash(refresh), "family": family, "subject": subject, "audience": audience,
            "issued_at": now, "expires_at": expires, "used_at": None, "revoked": False,
            "purge_at": expires + dt.timedelta(days=7),
        })
        return TokenPair(self._access(subject, audience, family, extra), refresh, self._ttl[audience][0])

    def verify_access(self, token: str, audience: str) -> dict[str, Any]:
        """Claims of a valid access token for ``audience``; anything else is 401.

        Expiry is checked against the injected clock (so tests and sandbox time travel apply).
        """
        try:
            if jwt.get_unverified_header(token).get("alg") != ALGORITHM:
                raise jwt.InvalidAlgorithmError("algorithm not allowed")
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], audience=audience,
                                issuer=self._issuer, options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"],
                                                              "verify_exp": False, "verify_iat": False})
            if not isinstance(claims["exp"], int) or claims["exp"] <= int(self._clock.now().timestamp()):
                raise jwt.ExpiredSignatureError("expired")
            return claims
        except jwt.ExpiredSignatureError:
            raise errors.Unauthenticated("登录已过期，请重新登录", details={"reason": "token_expired"}) from None
        except jwt.PyJWTError:
            raise errors.Unauthenticated("登录凭证无效，请重新登录", details={"reason": "token_invalid"}) from None

    async def rotate(self, refresh_token: str, audience: str, *, extra: dict[str, Any] | None = None) -> tuple[str, TokenPair]:
        """Use a refresh token once. Returns (subject, new pair). Reuse revokes the family."""
        now = self._clock.now()
        h = _hash(refresh_token)
        doc = await self._store.use_once(h, audience, now)
        if doc is None:
            old = await self._store.by_hash(h, audience=audience)
            if old is not None and old.get("used_at") is not None and not old.get("revoked"):
                await self.revoke_family(old["family"])
                log.warning("refresh token reused; family revoked",
                            extra={"family": old["family"], "subject": old["subject"]})
                raise errors.Unauthenticated("登录状态异常，已退出所有设备，请重新登录",
                                             details={"reason": "refresh_token_reused"})
            raise errors.Unauthenticated("登录已失效，请重新登录", details={"reason": "refresh_token_invalid"})
        pair = await self.issue(doc["subject"], audience, family=doc["family"], extra=extra)
        return doc["subject"], pair

    async def revoke_family(self, family: str) -> None:
        await self._store.revoke_family(family)

    async def revoke_token_family(self, refresh_token: str, subject: str) -> None:
        doc = await self._store.by_hash(_hash(refresh_token), subject=subject)
        if doc is not None:
            await self.revoke_family(doc["family"])

    async def revoke_subject(self, subject: str, audience: str) -> None:
        await self._store.revoke_subject(subject, audience)
