"""Rotating the key that encrypts names and ID numbers: re-encrypt every record with the active key.

While it runs every record stays readable: the old and the new key are both configured (by key
id), new writes already use the new (active) key, and a read opens a record with the key its
sealed value names. The job:

- walks the accounts still sealed with another key in ``_id`` order, in batches;
- re-encrypts each with one conditional update on the ciphertexts it read, so a record changed
  meanwhile, or re-encrypted by another runner, is left alone (two runners at once are safe);
- stores a checkpoint (the last ``_id`` done, ``$max``) in ``identity_upkeep`` after each batch, so
  a run that is killed or stopped (``max_batches``) resumes where it stopped;
- at the end of the walk counts what is still on an old key (an account bound meanwhile by a
  process that did not have the new key yet): it walks once more from the start for those, and
  says the rotation is done only when nothing is left.

Identities bound to accounts are the only records holding sealed personal data (``realnames``); every other
domain keeps only the masked forms, or reads names and numbers through identity.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from backend.core.clock import Clock
from backend.identity.crypto import CipherError, PersonalDataCipher
from backend.identity.store import UpkeepStore, UserStore
from backend.identity.values import Realname, Resealed

log = logging.getLogger("zjb.identity.reseal")


@dataclass(frozen=True)
class ResealReport:
    key_id: str
    resealed: int      # records this run re-encrypted
    failed: int        # records that did not open with their key (named in the log)
    remaining: int     # records still on another key
    done: bool


async def reseal(users: UserStore, upkeep: UpkeepStore, cipher: PersonalDataCipher, clock: Clock, *,
                 batch_size: int = 200, max_batches: int | None = None) -> ResealReport:
    kid = cipher.active_kid
    task = f"reseal:{kid}"
    after = await upkeep.reseal_checkpoint(task, clock.now())
    resealed = failed = batches = 0
    walked_again = False
    while max_batches is None or batches < max_batches:
        found = await users.sealed_with_other_keys(kid, after=after, limit=max(1, batch_size))
        if not found:
            if await users.count_sealed_with_other_keys(kid) == 0 or walked_again:
                break
            walked_again, after = True, None  # records written behind the walk: once more from the start
            continue
        for user_id, rn in found:
            try:
                fresh = _resealed(cipher, user_id, rn)
            except CipherError:
                failed += 1
                log.error("a sealed identity does not open with its key",
                          extra={"user_id": user_id, "key_id": str(rn.id_sealed.get("kid"))})
                continue
            if await users.reseal(user_id, rn, fresh):
                resealed += 1
        after = found[-1][0]
        await upkeep.advance_reseal(task, after, len(found))
        batches += 1
    remaining = await users.count_sealed_with_other_keys(kid)
    if remaining == 0:
        await upkeep.finish_reseal(task, clock.now())
    log.info("identities re-encrypted", extra={"key_id": kid, "count": resealed, "remaining": remaining})
    return ResealReport(kid, resealed, failed, remaining, remaining == 0)


def _resealed(cipher: PersonalDataCipher, user_id: str, rn: Realname) -> Resealed:
    return Resealed(name_sealed=cipher.seal(cipher.open(rn.name_sealed, aad=user_id), aad=user_id),
                    id_sealed=cipher.seal(cipher.open(rn.id_sealed, aad=user_id), aad=user_id))
