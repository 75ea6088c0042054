"""The errors of 一件事 bundles: each a class with its HTTP status and Chinese message."""
from __future__ import annotations

from backend.core.errors import Conflict


class BundlePaymentExists(Conflict):
    code = "bundle_payment_exists"
    message = "该一件事已开具缴款单，不能重复开具"


ALL = (BundlePaymentExists,)
