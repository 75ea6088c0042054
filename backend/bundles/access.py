"""Who may see and do what to bundles (一件事) and life events: one policy per kind of thing, and
the one function that loads a bundle and checks it.

A resident reaches only their own bundles (another's is not found: 404). Staff reach every bundle
their roles allow; staff accounts carry no department, so no scope narrows them further.
"""
from __future__ import annotations

from backend.bundles.store import BundleStore
from backend.bundles.values import Bundle
from backend.core import errors
from backend.core.access import Policy, Principal, Resident, own, staff

STAFF_READ = ("clerk", "approver", "finance", "supervisor")

BUNDLE = Policy("bundle", {
    "apply": own(),                   # a resident applies for a life event
    "view": own(),                    # the resident reads their bundle
    "inspect": staff(*STAFF_READ),    # staff read one bundle, or find it by its serial
    "pay": staff("finance"),          # one payment order for the whole bundle
})

LIFE_EVENT = Policy("life_event", {
    "define": staff("hall_manager"),  # define or change a life event
})


class BundleAccess:
    """Loads a bundle for one action of one principal, through the store."""

    def __init__(self, store: BundleStore):
        self._store = store

    async def access_bundle(self, principal: Principal | None, bundle_id: str, action: str) -> Bundle:
        """The bundle, when ``principal`` may take ``action`` on it: 401 without a principal, 403 for
        staff without the action's roles (before anything is read), 404 for a bundle that does not
        exist or, for a resident, is not theirs."""
        rule = BUNDLE.rule(action)
        BUNDLE.check(principal, action)
        bundle = await self._store.get(bundle_id)
        mine = bundle is not None and (not isinstance(principal, Resident)
                                       or (rule.resident and bundle.user_id == principal.id))
        if bundle is None or not mine:
            raise errors.NotFound("未找到该“一件事”")
        return bundle
