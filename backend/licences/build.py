"""Build e-licences: the wallet, public verification, issuing on completion, the e-licence
library behind its interface, and the wallet cases and authorizations read licences through."""
from __future__ import annotations

from dataclasses import dataclass

from backend.audit.service import AuditLog
from backend.config import Config
from backend.core.api import bind
from backend.core.domain import Built, Domain, GaugeSpec
from backend.core.infra import Infra
from backend.core.migrations import Migration
from backend.core.ports import KeyRings
from backend.core.signing import Ed25519Signer, SigningKeyRing
from backend.identity.verified import VerifiedIdentities
from backend.licences import handlers, words
from backend.licences.library import HttpLicenceLibrary
from backend.licences.personal import LicenceData
from backend.licences.ports import FaceProof, LicenceEvents, ServiceNames
from backend.licences.service import LicenceService, LicenceWallet
from backend.licences.store import COLLECTIONS, LicenceStore


@dataclass(frozen=True)
class Needs:
    audit: AuditLog
    key_rings: KeyRings
    identities: VerifiedIdentities
    catalogue: ServiceNames
    outbox: LicenceEvents
    face: FaceProof


@dataclass(frozen=True)
class LicencesProvides:
    wallet: LicenceWallet   # a resident's licences: held, valid, noted as used, issued for a case
    personal: LicenceData   # a resident's licences, in their data


def build(config: Config, infra: Infra, needs: Needs) -> Built[LicencesProvides]:
    lib = config.licence_library
    store = LicenceStore(infra.db)
    keys = SigningKeyRing(Ed25519Signer(infra.read_key("licences.signing_key_file"), config.licences.key_id,
                                        what="licences.signing_key_file"),
                          valid_from=config.licences.key_valid_from, retired=config.licences.retired_keys,
                          where="licences")
    needs.key_rings.add("licences", keys)
    library = HttpLicenceLibrary(infra.gateway(lib.gateway, "licence-library"), lib.app_id, lib.app_secret,
                                 lib.timeout_seconds).sized(infra.provider_limits)
    licences = LicenceService(
        store=store,
        signer=keys,
        identities=needs.identities,
        library=library,
        catalogue=needs.catalogue, limiter=infra.limiter, audit=needs.audit, clock=infra.clock,
        config=config.licences, public_url=config.public_url, face=needs.face, outbox=needs.outbox)

    async def by_status() -> list[tuple[dict[str, str], float]]:
        return [({"status": k}, n) for k, n in await store.count_by_status()]

    return Built(Domain(
        "licences", words=words.WORDS, service=licences, names={"licence": store.licence_names},
        routes=bind(handlers.default_handlers, licences=licences),
        collections=list(COLLECTIONS), on_stop=[library.close_connections],
        gauges=[GaugeSpec("zjb_licences", "E-licences held by residents, by stored status.", by_status)],
        migrations=[Migration("2026.12-02-licence-check-codes",
                              "为旧电子证照换发 10 位校验码（原 6 位校验码保留，仍可查验）",
                              licences.strengthen_check_codes)],
    ), LicencesProvides(wallet=LicenceWallet(licences), personal=LicenceData(licences)))
