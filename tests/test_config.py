"""Configuration: one documented file, env overrides, production refuses unsafe settings."""
from __future__ import annotations

import base64
import dataclasses
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from backend.config import Config, ConfigError, check_config, load_config
from tests.conftest import ROOT

KEY_FILES = ("wechatpay_apiclient_key.pem", "wechatpay_pub_key.pem", "alipay_app_key.pem", "alipay_public_key.pem",
             "receipts_ed25519.pem", "licences_ed25519.pem")


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    """A folder with the production key files (their content is not read by the config check)."""
    for name in KEY_FILES:
        (tmp_path / name).write_text("-----BEGIN PRIVATE KEY-----\n")
    return tmp_path


def _real_secrets(keys: Path) -> dict[str, str]:
    return {
        "ZJB_MODE": "production",
        "ZJB_DATABASE_URI": "mongodb://app:pw@db1,db2,db3/zhijianban?replicaSet=rs0&w=majority",
        "ZJB_SECURITY_JWT_SECRET": secrets.token_urlsafe(48),
        "ZJB_SECURITY_ID_HASH_KEY": secrets.token_urlsafe(48),
        "ZJB_SECURITY_ID_ENCRYPTION_KEYS": "k2=" + base64.b64encode(os.urandom(32)).decode(),
        "ZJB_SECURITY_ID_ACTIVE_KEY": "k2",
        "ZJB_WECHAT_SECRET": secrets.token_hex(16),
        "ZJB_WECHAT_APPID": "wx1234567890abcdef",
        "ZJB_WECHAT_GATEWAY": "https://api.weixin.qq.com",
        "ZJB_REALNAME_GATEWAY": "https://verify.example.gov.cn",
        "ZJB_REALNAME_APP_ID": "zjb-city-0571",
        "ZJB_REALNAME_APP_SECRET": secrets.token_hex(16),
        "ZJB_SANDBOX_STANDINS": "false",
        "ZJB_SANDBOX_HOOKS": "false",
        "ZJB_SANDBOX_SEED_DEMO_DATA": "false",
        "ZJB_SERVER_PUBLIC_URL": "https://zjb.example.gov.cn",
        "ZJB_WECHATPAY_GATEWAY": "https://api.mch.weixin.qq.com",
        "ZJB_WECHATPAY_PRIVATE_KEY_FILE": f"{keys}/wechatpay_apiclient_key.pem",
        "ZJB_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE": f"{keys}/wechatpay_pub_key.pem",
        "ZJB_WECHATPAY_PLATFORM_PUBLIC_KEY_ID": "PUB_KEY_ID_0114232134912410000000000000",
        "ZJB_WECHATPAY_APIV3_KEY": secrets.token_hex(16),
        "ZJB_WECHATPAY_MCHID": "1612345678",
        "ZJB_WECHATPAY_CERT_SERIAL_NO": "3775B6A45ACD588826D15E583A95F5DD00000000",
        "ZJB_ALIPAY_GATEWAY": "https://openapi.alipay.com/gateway.do",
        "ZJB_ALIPAY_APP_ID": "2021004123456789",
        "ZJB_ALIPAY_SELLER_ID": "2088123456789012",
        "ZJB_ALIPAY_APP_PRIVATE_KEY_FILE": f"{keys}/alipay_app_key.pem",
        "ZJB_ALIPAY_ALIPAY_PUBLIC_KEY_FILE": f"{keys}/alipay_public_key.pem",
        "ZJB_RECEIPTS_SIGNING_KEY_FILE": f"{keys}/receipts_ed25519.pem",
        "ZJB_RECEIPTS_KEY_ID": "zjb-receipts-2026-1",
        "ZJB_LICENCES_SIGNING_KEY_FILE": f"{keys}/licences_ed25519.pem",
        "ZJB_LICENCES_KEY_ID": "zjb-licences-2026-1",
        "ZJB_LICENCE_LIBRARY_GATEWAY": "https://licences.example.gov.cn",
        "ZJB_LICENCE_LIBRARY_APP_ID": "zjb-city-0571",
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


def test_production_refuses_missing_keys(keys: Path) -> None:
    env = _real_secrets(keys)
    env["ZJB_REALNAME_APP_SECRET"] = ""
    with pytest.raises(ConfigError) as e:
        load_config(None, env=env)
    assert any(p.startswith("realname.app_secret: missing") for p in e.value.problems)
    env = _real_secrets(keys)
    env["ZJB_SECURITY_ID_ACTIVE_KEY"] = "k9"
    with pytest.raises(ConfigError) as e:
        load_config(None, env=env)
    assert any("security.id_active_key" in p for p in e.value.problems)


def test_production_with_real_settings_is_accepted(keys: Path) -> None:
    cfg = load_config(None, env=_real_secrets(keys))
    assert cfg.mode == "production" and check_config(cfg) == []


def test_production_refuses_the_embedded_database(keys: Path) -> None:
    env = _real_secrets(keys)
    del env["ZJB_DATABASE_URI"]
    with pytest.raises(ConfigError) as e:
        load_config(None, env=env)
    assert [p for p in e.value.problems if p.startswith("database.uri")] == [
        "database.uri: missing; production runs on a MongoDB replica set "
        "(mongodb://…/?replicaSet=rs0&w=majority), never the embedded database"]
    env["ZJB_DATABASE_URI"] = "db1:27017"
    with pytest.raises(ConfigError) as e:
        load_config(None, env=env)
    assert e.value.problems == ["database.uri: must be a mongodb:// or mongodb+srv:// URI"]
    # the same setting is the default in sandbox mode: the embedded database
    assert load_config(None, env={}).database.uri == ""


EXAMPLE_ID = "is the sandbox's example value; set the id the provider issued"


@pytest.mark.parametrize(("variable", "value", "problem"), [
    ("ZJB_WECHATPAY_MCHID", "", "wechatpay.mchid: missing; set the id the provider issued"),
    ("ZJB_WECHATPAY_MCHID", "1900000001", f"wechatpay.mchid: {EXAMPLE_ID}"),
    ("ZJB_WECHATPAY_CERT_SERIAL_NO", "", "wechatpay.cert_serial_no: missing; set the id the provider issued"),
    ("ZJB_WECHATPAY_PRIVATE_KEY_FILE", "", "wechatpay.private_key_file: missing; point it at the real key file"),
    ("ZJB_ALIPAY_APP_ID", "2021000000000001", f"alipay.app_id: {EXAMPLE_ID}"),
    ("ZJB_ALIPAY_SELLER_ID", "", "alipay.seller_id: missing; set the id the provider issued"),
    ("ZJB_REALNAME_APP_ID", "zjb-sandbox", f"realname.app_id: {EXAMPLE_ID}"),
    ("ZJB_LICENCE_LIBRARY_APP_ID", "", "licence_library.app_id: missing; set the id the provider issued"),
    ("ZJB_WECHAT_APPID", "", "wechat.appid: missing; set the mini-program's real AppID"),
])
def test_production_names_each_missing_provider_credential(keys: Path, variable: str, value: str, problem: str) -> None:
    env = _real_secrets(keys)
    env[variable] = value
    with pytest.raises(ConfigError) as e:
        load_config(None, env=env)
    assert e.value.problems == [problem]


def test_production_refuses_a_key_file_that_is_not_there(keys: Path) -> None:
    (keys / "alipay_app_key.pem").unlink()
    with pytest.raises(ConfigError) as e:
        load_config(None, env=_real_secrets(keys))
    assert e.value.problems == [f"alipay.app_private_key_file: {keys}/alipay_app_key.pem is not a readable file"]


def test_production_asks_only_for_the_payment_channels_in_use(keys: Path) -> None:
    env = {k: v for k, v in _real_secrets(keys).items() if not k.startswith("ZJB_ALIPAY_")}
    with pytest.raises(ConfigError) as e:
        load_config(None, env=env)
    assert {p.split(":")[0] for p in e.value.problems} == {
        "alipay.gateway", "alipay.app_id", "alipay.seller_id", "alipay.app_private_key_file",
        "alipay.alipay_public_key_file"}
    env["ZJB_PAYMENTS_CHANNELS"] = "wechat"
    assert load_config(None, env=env).payments.channels == ("wechat",)


def test_secrets_come_from_files_in_the_secrets_folder(keys: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Docker secrets and systemd credentials: one file per ZJB_ variable; a set variable wins."""
    folder = tmp_path_factory.mktemp("secrets")
    env = _real_secrets(keys)
    for name in ("ZJB_SECURITY_JWT_SECRET", "ZJB_WECHAT_SECRET", "ZJB_DATABASE_URI"):
        (folder / name).write_text(env.pop(name) + "\n")
    (folder / "receipts_ed25519.pem").write_text("not a variable")
    env["ZJB_SECRETS_DIR"] = str(folder)
    cfg = load_config(None, env=env)
    assert cfg.security.jwt_secret == (folder / "ZJB_SECURITY_JWT_SECRET").read_text().strip()
    assert cfg.database.uri.startswith("mongodb://") and check_config(cfg) == []
    env["ZJB_WECHAT_SECRET"] = "from-the-environment-0123456789"
    assert load_config(None, env=env).wechat.secret == "from-the-environment-0123456789"
    with pytest.raises(ConfigError) as e:
        load_config(None, env={"ZJB_SECRETS_DIR": str(folder / "nowhere")})
    assert e.value.problems == [f"ZJB_SECRETS_DIR: {folder / 'nowhere'} is not a folder"]


def test_serve_in_production_with_unsafe_config_refuses_to_start(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZJB_")}
    env["ZJB_MODE"] = "production"
    proc = subprocess.run([sys.executable, "-m", "backend", "serve", "--port", "0", "--data-dir", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "sandbox.hooks" in proc.stderr and "security.jwt_secret" in proc.stderr
    assert "database.uri: missing" in proc.stderr and "wechatpay.mchid" in proc.stderr
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


def test_supervised_processes_load_the_file_the_supervisor_was_given(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --config FILE --processes N`: every app and worker process reads FILE, not the defaults."""
    from backend.server import Supervisor
    monkeypatch.delenv("ZJB_CONFIG", raising=False)
    sup = Supervisor(Config(data_dir=str(tmp_path)), 2, 1, config_file="/etc/zhijianban/zhijianban.toml")
    assert sup._env("app")["ZJB_CONFIG"] == sup._env("worker")["ZJB_CONFIG"] == "/etc/zhijianban/zhijianban.toml"
    assert "ZJB_CONFIG" not in Supervisor(Config(data_dir=str(tmp_path)), 2, 1)._env("app")
