"""Build e-licences: the wallet, public verification, issuing on completion, the e-licence
library behind its interface, and ``licence_wallet`` for cases."""
from __future__ import annotations

from pathlib import Path

from backend.config import SANDBOX_KEY, Config
from backend.core.api import bind
from backend.core.domain import Deps, Domain, GaugeSpec
from backend.core.signing import Ed25519Signer, SigningKeyRing
from backend.licences import handlers, words
from backend.licences.library import HttpLicenceLibrary
from backend.licences.service import LicenceService, LicenceWallet
from backend.licences.store import COLLECTIONS, LicenceStore


def signing_key(config: Config) -> str:
    path = config.licences.signing_key_file
    if path == SANDBOX_KEY:
        from sandbox.licence_library import sandbox_signing_key
        return sandbox_signing_key(config.data_dir)
    return Path(path).read_text()


def build(config: Config, deps: Deps) -> Domain:
    lib = config.licence_library
    store = LicenceStore(deps.db)
    keys = SigningKeyRing(Ed25519Signer(signing_key(config), config.licences.key_id, what="licences.signing_key_file"),
                          valid_from=config.licences.key_valid_from, retired=config.licences.retired_keys,
                          where="licences")
    deps.need("signing_keys").add("licences", keys)
    licences = LicenceService(
        store=store,
        signer=keys,
        identities=deps.need("verified_identities"),
        library=HttpLicenceLibrary(deps.gateway(lib.gateway, "licence-library"), lib.app_id, lib.app_secret,
                                   lib.timeout_seconds),
        catalogue=deps.need("catalogue"), limiter=deps.need("limiter"), audit=deps.need("audit"), clock=deps.clock,
        config=config.licences, public_url=config.public_url, outbox=deps.need("outbox"))

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_by_status()]

    return Domain(
        "licences", words=words.WORDS, service=licences,
        routes=bind(handlers.default_handlers, licences=licences),
        collections=list(COLLECTIONS),
        gauges=[GaugeSpec("zjb_licences", "E-licences held by residents, by stored status.", by_status)],
        provides={"licence_wallet": LicenceWallet(licences)},
    )
