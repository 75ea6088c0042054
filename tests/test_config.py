"""Configuration: one documented file, env overrides, production refuses unsafe settings."""
from __future__ import annotations

import base64
import dataclasses
import os
import secrets
import subprocess
import sys

import pytest

from backend.config import Config, ConfigError, check_config, load_config
from tests.conftest import ROOT


def _real_secrets() -> dict[str, str]:
    return {
        "ZJB_MODE": "production",
        "ZJB_SECURITY_JWT_SECRET": secrets.token_urlsafe(48),
        "ZJB_SECURITY_ID_HASH_KEY": secrets.token_urlsafe(48),
        "ZJB_SECURITY_ID_ENCRYPTION_KEYS": "k2=" + base64.b64encode(os.urandom(32)).decode(),
        "ZJB_SECURITY_ID_ACTIVE_KEY": "k2",
        "ZJB_WECHAT_SECRET": secrets.token_hex(16),
        "ZJB_WECHAT_APPID": "wx1234567890abcdef",
        "ZJB_WECHAT_GATEWAY": "https://api.weixin.qq.com",
        "ZJB_REALNAME_GATEWAY": "https://verify.example.gov.cn",
        "ZJB_REALNAME_APP_SECRET": secrets.token_hex(16),
        "ZJB_SANDBOX_STANDINS": "false",
        "ZJB_SANDBOX_HOOKS": "false",
        "ZJB_SANDBOX_SEED_DEMO_DATA": "false",
        "ZJB_SERVER_PUBLIC_URL": "https://zjb.example.gov.cn",
        "ZJB_WECHATPAY_GATEWAY": "https://api.mch.weixin.qq.com",
        "ZJB_WECHATPAY_PRIVATE_KEY_FILE": "/etc/zjb/wechatpay_apiclient_key.pem",
        "ZJB_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE": "/etc/zjb/wechatpay_pub_key.pem",
        "ZJB_WECHATPAY_PLATFORM_PUBLIC_KEY_ID": "PUB_KEY_ID_0114232134912410000000000000",
        "ZJB_WECHATPAY_APIV3_KEY": secrets.token_hex(16),
        "ZJB_ALIPAY_GATEWAY": "https://openapi.alipay.com/gateway.do",
        "ZJB_ALIPAY_APP_PRIVATE_KEY_FILE": "/etc/zjb/alipay_app_key.pem",
        "ZJB_ALIPAY_ALIPAY_PUBLIC_KEY_FILE": "/etc/zjb/alipay_public_key.pem",
        "ZJB_RECEIPTS_SIGNING_KEY_FILE": "/etc/zjb/receipts_ed25519.pem",
        "ZJB_RECEIPTS_KEY_ID": "zjb-receipts-2026-1",
        "ZJB_LICENCES_SIGNING_KEY_FILE": "/etc/zjb/licences_ed25519.pem",
        "ZJB_LICENCES_KEY_ID": "zjb-licences-2026-1",
        "ZJB_LICENCE_LIBRARY_GATEWAY": "https://licences.example.gov.cn",
        "ZJB_LICENCE_LIBRARY_APP_SECRET": secrets.token_hex(16),
    }


def test_example_file_documents_exactly_the_defaults() -> None:
    assert load_config(ROOT / "config.example.toml", env={}) == Config()


def test_every_key_of_the_config_is_in_the_example_file() -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    cfg = Config()
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            assert f"[{f.name}]" in text
            for sub in dataclasses.fields(value):
                assert f"\n{sub.name} = " in text or f"[{f.name}.{sub.name}]" in text, f"{f.name}.{sub.name}"
        else:
            assert f"\n{f.name} = " in text, f.name


def test_environment_overrides_secrets_and_lists() -> None:
    cfg = load_config(None, env={"ZJB_SECURITY_JWT_SECRET": "x" * 40, "ZJB_SERVER_PORT": "9001",
                                 "ZJB_SERVER_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.0.0/16",
                                 "ZJB_SANDBOX_HOOKS": "false"})
    assert cfg.security.jwt_secret == "x" * 40
    assert cfg.server.port == 9001
    assert cfg.server.trusted_proxies == ("10.0.0.0/8", "192.168.0.0/16")
    assert cfg.sandbox.hooks is False


def test_config_is_frozen() -> None:
    cfg = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.mode = "production"  # type: ignore[misc]


def test_bad_values_are_named(tmp_path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('mode = "prod"\n[server]\nport = "abc"\nnope = 1\n[security]\njwt_secret = "short"\n')
    with pytest.raises(ConfigError) as e:
        load_config(p, env={})
    text = str(e.value)
    assert "server.port" in text and "server.nope: unknown key" in text
    with pytest.raises(ConfigError) as e:
        load_config(None, env={"ZJB_MODE": "prod", "ZJB_SECURITY_JWT_SECRET": "short"})
    assert "mode:" in str(e.value) and "security.jwt_secret" in str(e.value)


def test_production_refuses_sandbox_settings_and_example_secrets_naming_each() -> None:
    with pytest.raises(ConfigError) as e:
        load_config(None, env={"ZJB_MODE": "production"})
    problems = "\n".join(e.value.problems)
    for key in ("sandbox.standins", "sandbox.hooks", "sandbox.seed_demo_data", "wechat.gateway", "realname.gateway",
                "security.jwt_secret", "security.id_hash_key", "security.id_encryption_keys.k1", "wechat.secret",
                "realname.app_secret", "wechat.appid", "server.public_url"):
        assert key in problems, key


def test_production_refuses_missing_keys() -> None:
    env = _real_secrets()
    env["ZJB_REALNAME_APP_SECRET"] = ""
    with pytest.raises(ConfigError) as e:
        load_config(None, env=env)
    assert any(p.startswith("realname.app_secret: missing") for p in e.value.problems)
    env = _real_secrets()
    env["ZJB_SECURITY_ID_ACTIVE_KEY"] = "k9"
    with pytest.raises(ConfigError) as e:
        load_config(None, env=env)
    assert any("security.id_active_key" in p for p in e.value.problems)


def test_production_with_real_settings_is_accepted() -> None:
    cfg = load_config(None, env=_real_secrets())
    assert cfg.mode == "production" and check_config(cfg) == []


def test_serve_in_production_with_unsafe_config_refuses_to_start(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}
    env["ZJB_MODE"] = "production"
    proc = subprocess.run([sys.executable, "-m", "backend", "serve", "--port", "0", "--data-dir", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "sandbox.hooks" in proc.stderr and "security.jwt_secret" in proc.stderr
    assert not (tmp_path / "db").exists()  # nothing was started


def test_calendar_dates_are_checked() -> None:
    cfg = load_config(None, env={}, overrides={"calendar": {"holidays": ["2027-01-01"], "workdays": ["2027-01-09"]}})
    assert cfg.calendar.holidays == ("2027-01-01",)
    with pytest.raises(ConfigError) as e:
        load_config(None, env={"ZJB_CALENDAR_HOLIDAYS": "2027-02-30,2027-01-09", "ZJB_CALENDAR_WORKDAYS": "2027-01-09"})
    assert e.value.problems == ["calendar.holidays: '2027-02-30' is not a date (YYYY-MM-DD)",
                                "calendar: 2027-01-09 listed as both a holiday and a workday"]


def test_exclusive_roles_are_pairs_of_known_roles() -> None:
    cfg = load_config(None, env={"ZJB_STAFF_EXCLUSIVE_ROLES": "clerk+approver,finance+hotline"})
    assert cfg.staff.exclusive_roles == ("clerk+approver", "finance+hotline")
    assert load_config(None, env={"ZJB_STAFF_EXCLUSIVE_ROLES": ""}).staff.exclusive_roles == ()
    with pytest.raises(ConfigError) as e:
        load_config(None, env={"ZJB_STAFF_EXCLUSIVE_ROLES": "clerk+root,clerk+clerk,admin"})
    assert [p.split(" is not")[0] for p in e.value.problems] == [
        "staff.exclusive_roles: 'clerk+root'", "staff.exclusive_roles: 'clerk+clerk'", "staff.exclusive_roles: 'admin'"]
