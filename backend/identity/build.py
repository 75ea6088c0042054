"""Build the identity domain: residents' WeChat login, tokens and real-name binding."""
from __future__ import annotations

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain
from backend.core.ratelimit import COLLECTIONS as RATE_COLLECTIONS
from backend.core.ratelimit import RateLimiter
from backend.identity import handlers
from backend.identity.crypto import PersonalDataCipher
from backend.identity.providers import HttpRealnameVerifier, WeChatPyLogin
from backend.identity.service import IdentityService
from backend.identity.store import COLLECTIONS as USER_COLLECTIONS
from backend.identity.store import UserStore
from backend.identity.tokens import COLLECTIONS as TOKEN_COLLECTIONS
from backend.identity.tokens import TokenService
from backend.identity.verified import VerifiedIdentities


def build(config: Config, deps: Deps) -> Domain:
    sec = config.security
    limiter = RateLimiter(deps.db, deps.clock)
    tokens = TokenService(deps.db, secret=sec.jwt_secret, issuer=sec.jwt_issuer, clock=deps.clock, ttl={
        "resident": (sec.access_token_ttl_seconds, sec.refresh_token_ttl_seconds),
        "staff": (sec.staff_access_token_ttl_seconds, sec.staff_refresh_token_ttl_seconds),
    })
    cipher = PersonalDataCipher(sec.id_encryption_keys, sec.id_active_key, sec.id_hash_key)
    wechat = WeChatPyLogin(config.wechat.appid, config.wechat.secret, deps.gateway(config.wechat.gateway, "wechat"),
                           config.wechat.timeout_seconds)
    verifier = HttpRealnameVerifier(deps.gateway(config.realname.gateway, "realname"), config.realname.app_id,
                                    config.realname.app_secret, config.realname.timeout_seconds)
    identity = IdentityService(users=UserStore(deps.db), tokens=tokens, wechat=wechat, verifier=verifier,
                               cipher=cipher, limiter=limiter, limits=config.ratelimit, audit=deps.need("audit"),
                               clock=deps.clock)
    return Domain(
        "identity", service=identity,
        routes=bind(handlers.default_handlers, identity=identity),
        collections=[*USER_COLLECTIONS, *TOKEN_COLLECTIONS, *RATE_COLLECTIONS],
        provides={"identity": identity, "tokens": tokens, "limiter": limiter, "resident_auth": identity.authenticate,
                  "verified_identities": VerifiedIdentities(identity.users, cipher)},
    )
