"""The sandbox's keys: a key file configured as "sandbox" is generated in the data folder at first
use and kept across restarts. Only the composition root (``backend.app.read_key``) asks for them."""
from __future__ import annotations

import os

from sandbox.licence_library import sandbox_signing_key
from sandbox.paykeys import ensure_sandbox_keys, keys_dir

KEY_FILES = {  # "sandbox" in config → this file under DATA_DIR/sandbox/keys/
    "wechatpay.private_key_file": "wechatpay_merchant_key.pem",
    "wechatpay.platform_public_key_file": "wechatpay_platform_pub.pem",
    "alipay.app_private_key_file": "alipay_app_key.pem",
    "alipay.alipay_public_key_file": "alipay_platform_pub.pem",
    "receipts.signing_key_file": "receipts_ed25519.pem",
}


def sandbox_key(data_dir: str | os.PathLike[str], name: str) -> str:
    """The PEM of the sandbox key configured as ``name`` (e.g. ``receipts.signing_key_file``)."""
    if name == "licences.signing_key_file":
        return sandbox_signing_key(data_dir)
    ensure_sandbox_keys(data_dir)
    return (keys_dir(data_dir) / KEY_FILES[name]).read_text()
