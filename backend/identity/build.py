"""Build the identity domain: residents' WeChat login, tokens and real-name binding, the shared
rate limiter and the WeChat access token every wechatpy client uses."""
from __future__ import annotations

from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain
from backend.core.ratelimit import RateLimiter, resident_limits
from backend.core.store import COLLECTIONS as CORE_COLLECTIONS
from backend.core.store import RateLimitStore, WeChatTokenStore
from backend.core.wechat import DatabaseSessionStorage
from backend.identity import handlers, words
from backend.identity.crypto import PersonalDataCipher
from backend.identity.directory import UserDirectory
from backend.identity.handling import ResidentHandling
from backend.identity.providers import HttpRealnameVerifier, WeChatPyLogin
from backend.identity.service import IdentityService
from backend.identity.store import (
    COLLECTIONS,
    RefreshTokenStore,
    SessionStore,
    UpkeepStore,
    UserStore,
)
from backend.identity.tokens import SessionPolicy, TokenService
from backend.identity.verified import VerifiedIdentities


def build(config: Config, deps: Deps) -> Domain:
    sec = config.security
    limiter = RateLimiter(RateLimitStore(deps.db), deps.clock, resident_limits(config.ratelimit))
    tokens = TokenService(RefreshTokenStore(deps.db), SessionStore(deps.db), secret=sec.jwt_secret,
                          issuer=sec.jwt_issuer, clock=deps.clock, check_cache_seconds=sec.session_check_cache_seconds,
                          policies={
                              "resident": SessionPolicy(sec.access_token_ttl_seconds, sec.refresh_token_ttl_seconds),
                              "staff": SessionPolicy(sec.staff_access_token_ttl_seconds,
                                                     sec.staff_refresh_token_ttl_seconds,
                                                     idle_seconds=sec.staff_idle_minutes * 60,
                                                     lifetime_seconds=sec.staff_session_hours * 3600)})
    cipher = PersonalDataCipher(sec.id_encryption_keys, sec.id_active_key, sec.id_hash_key)
    wechat_session = DatabaseSessionStorage(WeChatTokenStore(deps.db))
    wechat = WeChatPyLogin(config.wechat.appid, config.wechat.secret, deps.gateway(config.wechat.gateway, "wechat"),
                           config.wechat.timeout_seconds, wechat_session)
    verifier = HttpRealnameVerifier(deps.gateway(config.realname.gateway, "realname"), config.realname.app_id,
                                    config.realname.app_secret, config.realname.timeout_seconds)
    users = UserStore(deps.db)
    directory = UserDirectory(users, cipher)
    handling = ResidentHandling()
    identity = IdentityService(users=users, tokens=tokens, wechat=wechat, verifier=verifier,
                               cipher=cipher, limiter=limiter, limits=config.ratelimit, audit=deps.need("audit"),
                               clock=deps.clock, handling=handling, directory=directory,
                               upkeep=UpkeepStore(deps.db))
    return Domain(
        "identity", words=words.WORDS, service=identity,
        routes=bind(handlers.default_handlers, identity=identity),
        collections=[*COLLECTIONS, *CORE_COLLECTIONS],
        provides={"identity": identity, "tokens": tokens, "limiter": limiter, "resident_auth": identity.authenticate,
                  "user_directory": directory, "wechat_session": wechat_session,
                  "resident_handling": handling, "verified_identities": VerifiedIdentities(users, cipher)},
        on_start=[identity.backfill_name_hashes],
    )
