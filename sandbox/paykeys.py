"""Real keys for the payment stand-ins, generated at first start and kept in the data folder.

Each party keeps its own private key; the other side is configured with the public half, as in
real life. ``config`` entries set to ``"sandbox"`` resolve to these files
(``payments.keys.key_path``); production points them at the real key files instead.

    DATA_DIR/sandbox/keys/
      wechatpay_merchant_key.pem   our merchant API key (we sign requests)
      wechatpay_merchant_pub.pem   its public half (the WeChat Pay stand-in checks our requests)
      wechatpay_platform_key.pem   WeChat Pay's platform key (the stand-in signs answers, notices)
      wechatpay_platform_pub.pem   its public half (we verify; public-key verification mode)
      alipay_app_key.pem / alipay_app_pub.pem          our Alipay application key pair
      alipay_platform_key.pem / alipay_platform_pub.pem  Alipay's key pair (stand-in signs)
      receipts_ed25519.pem         our receipt signing key (Ed25519)
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

_lock = threading.Lock()
RSA_PAIRS = ("wechatpay_merchant", "wechatpay_platform", "alipay_app", "alipay_platform")


def keys_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / "sandbox" / "keys"


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_sandbox_keys(data_dir: str | os.PathLike[str]) -> Path:
    """Create any missing sandbox key pair (idempotent; existing keys are kept across restarts)."""
    d = keys_dir(data_dir)
    with _lock:
        d.mkdir(parents=True, exist_ok=True)
        for name in RSA_PAIRS:
            priv, pub = d / f"{name}_key.pem", d / f"{name}_pub.pem"
            if priv.exists() and pub.exists():
                continue
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            _write(priv, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
            _write(pub, key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
        ed = d / "receipts_ed25519.pem"
        if not ed.exists():
            ed_key = ed25519.Ed25519PrivateKey.generate()
            _write(ed, ed_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    return d


def read(data_dir: str | os.PathLike[str], filename: str) -> str:
    return (keys_dir(data_dir) / filename).read_text()


def rsa_private_key(pem: str) -> rsa.RSAPrivateKey:
    """An RSA private key from its PEM: both payment providers sign with RSA (SHA256, PKCS#1 v1.5)."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the payment signing key must be an RSA private key")
    return key


def rsa_public_key(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from its PEM (the merchant's or application's key the stand-in verifies with)."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the payment verification key must be an RSA public key")
    return key
