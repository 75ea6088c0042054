"""Build the identity domain: residents' WeChat login, tokens and real-name binding, and the
directories other domains read residents through."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, JobSpec
from backend.core.infra import Infra
from backend.core.migrations import Migration
from backend.db.mongo import in_transaction
from backend.identity import handlers, words
from backend.identity.assurance import FaceAssurance
from backend.identity.crypto import PersonalDataCipher
from backend.identity.directory import UserDirectory
from backend.identity.face import WeChatFaceVerifier
from backend.identity.personal import AccountData
from backend.identity.ports import ResidentMessages
from backend.identity.providers import HttpRealnameVerifier, WeChatPyLogin
from backend.identity.reclaim import RealnameReclaims
from backend.identity.reveal_scope import ResidentHandling
from backend.identity.service import IdentityService
from backend.identity.session_ends import SessionEnds
from backend.identity.store import (
    COLLECTIONS,
    FaceVerificationStore,
    RefreshTokenStore,
    SessionEndStore,
    SessionStore,
    UpkeepStore,
    UserStore,
)
from backend.identity.tokens import SessionPolicy, TokenService
from backend.identity.verified import VerifiedIdentities


@dataclass(frozen=True)
class Needs:
    audit: AuditLog


@dataclass(frozen=True)
class IdentityProvides:
    service: IdentityService        # residents' accounts: authenticate, staff-side lookups
    tokens: TokenService            # sessions of residents and staff
    users: UserDirectory            # residents, masked, by id or by ID number / full name
    handling: ResidentHandling      # domains add what a resident still has open (before deletion)
    verified: VerifiedIdentities    # a resident's verified name and ID number, for licences
    account: AccountData            # the resident's own account in their data, and cancelling it
    assurance: FaceAssurance        # whether a resident proved their face recently (library, high-assurance)
    parts: IdentityParts            # what the desk (built after notify) works on


@dataclass(frozen=True)
class IdentityParts:
    users: UserStore
    faces: FaceVerificationStore
    tokens: TokenService
    cipher: PersonalDataCipher


@dataclass(frozen=True)
class DeskNeeds:
    audit: AuditLog
    outbox: ResidentMessages


@dataclass(frozen=True)
class DeskProvides:
    reclaims: RealnameReclaims      # reclaiming an identity at the window


def build(config: Config, infra: Infra, needs: Needs) -> Built[IdentityProvides]:
    sec = config.security
    ends = SessionEnds(SessionEndStore(infra.db), bound_seconds=min(1.0, max(0.0, sec.session_check_cache_seconds)))
    tokens = TokenService(RefreshTokenStore(infra.db), SessionStore(infra.db), ends, secret=sec.jwt_secret,
                          issuer=sec.jwt_issuer, clock=infra.clock, keep_seconds=sec.session_keep_seconds,
                          policies={
                              "resident": SessionPolicy(sec.access_token_ttl_seconds, sec.refresh_token_ttl_seconds),
                              "staff": SessionPolicy(sec.staff_access_token_ttl_seconds,
                                                     sec.staff_refresh_token_ttl_seconds,
                                                     idle_seconds=sec.staff_idle_minutes * 60,
                                                     lifetime_seconds=sec.staff_session_hours * 3600)})
    cipher = PersonalDataCipher(sec.id_encryption_keys, sec.id_active_key, sec.id_hash_key)
    wechat = WeChatPyLogin(config.wechat.appid, config.wechat.secret, infra.gateway(config.wechat.gateway, "wechat"),
                           config.wechat.timeout_seconds, infra.wechat_session).sized(infra.provider_limits)
    verifier = HttpRealnameVerifier(infra.gateway(config.realname.gateway, "realname"), config.realname.app_id,
                                    config.realname.app_secret, config.realname.timeout_seconds
                                    ).sized(infra.provider_limits)
    users = UserStore(infra.db)
    faces = FaceVerificationStore(infra.db)
    faces_checked = WeChatFaceVerifier(config.wechat.appid, config.wechat.secret,
                                       infra.gateway(config.wechat.gateway, "wechat"), config.wechat.timeout_seconds,
                                       infra.wechat_session).sized(infra.provider_limits)
    assurance = FaceAssurance(
        verifier=faces_checked,
        store=faces, users=users, cipher=cipher, clock=infra.clock, minutes=sec.face_verification_minutes)
    directory = UserDirectory(users, cipher)
    handling = ResidentHandling()
    identity = IdentityService(users=users, tokens=tokens, wechat=wechat, verifier=verifier,
                               cipher=cipher, limiter=infra.limiter, limits=config.ratelimit, audit=needs.audit,
                               clock=infra.clock, handling=handling, directory=directory,
                               upkeep=UpkeepStore(infra.db), assurance=assurance,
                               keep_seconds=sec.session_keep_seconds)
    return Built(Domain(
        "identity", words=words.WORDS, service=identity,
        routes=bind(handlers.default_handlers, identity=identity, assurance=assurance),
        collections=list(COLLECTIONS),
        upkeep=[JobSpec("identity.session_ends", ends.look, ends.look_every)] if ends.bound > 0 else [],
        on_stop=[wechat.close_connections, faces_checked.close_connections, verifier.close_connections],
        migrations=[Migration("2026.11-03-name-hashes", "为早于姓名检索的实名账户补齐姓名检索值",
                              identity.backfill_name_hashes),
                    Migration("2026.12-04-id-hash-lookup", "身份证号检索改用唯一索引：先删去单独的检索索引",
                              users.drop_id_hash_lookup_index, before_schema=True),
                    Migration("2026.12-05-id-hash-unique", "身份证号唯一索引建好后删去旧的部分唯一索引",
                              users.drop_partial_id_hash_index),
                    Migration("2026.12-06-realnames-apart", "实名信息移出账户记录，单独存放",
                              users.move_realnames),
                    # Identities moved by the step before from accounts that skipped 2026.11-03 (it
                    # ran when there was nothing in ``realnames`` to hash) get their name hash.
                    Migration("2026.12-07-name-hashes-moved", "为移出账户记录的实名信息补齐姓名检索值",
                              identity.backfill_name_hashes),
                    Migration("2026.12-08-face-user-index", "人脸核身记录只按身份建索引：删去按账户的索引",
                              faces.drop_user_index)],
    ), IdentityProvides(service=identity, tokens=tokens, users=directory, handling=handling,
                        verified=VerifiedIdentities(users, cipher),
                        account=AccountData(users=users, tokens=tokens, clock=infra.clock),
                        assurance=assurance,
                        parts=IdentityParts(users=users, faces=faces, tokens=tokens, cipher=cipher)))


def build_desk(config: Config, infra: Infra, identity: IdentityProvides, needs: DeskNeeds) -> Built[DeskProvides]:
    """The staff desk of identity (reclaiming an identity at the window): built after notify, whose
    outbox it tells residents through (notify itself reads residents through identity)."""
    p = identity.parts
    reclaims = RealnameReclaims(users=p.users, faces=p.faces, tokens=p.tokens, cipher=p.cipher, clock=infra.clock,
                                audit=needs.audit, outbox=needs.outbox,
                                transaction=functools.partial(in_transaction, infra.client),
                                minutes=config.security.face_verification_minutes)
    return Built(Domain("identity-desk", service=reclaims, routes=bind(handlers.desk_handlers, reclaims=reclaims)),
                 DeskProvides(reclaims=reclaims))
