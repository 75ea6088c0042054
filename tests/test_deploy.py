"""The deployment files (deploy/): the compose file against the Compose Specification's schema, the
image's Dockerfile, the systemd units (``systemd-analyze verify``), the nginx configuration
(``nginx -t``) and the Grafana dashboard against what ``/metrics`` exports. A check that needs a
tool skips only when the tool is not installed."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from backend.config import Config, _env_overrides, load_config
from tests.conftest import ROOT
from tests.support import Api

DEPLOY = ROOT / "deploy"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return data


def _cli_flags(*command: str) -> str:
    return subprocess.run([sys.executable, "-m", "backend", *command, "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True).stdout


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text(encoding="utf-8"))
    errors = sorted(Draft7Validator(schema).iter_errors(_compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.mark.skipif(shutil.which("docker") is None, reason="docker is not installed")
def test_docker_compose_reads_the_file() -> None:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    proc = subprocess.run(["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet",
                           "--no-path-resolution"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_compose_runs_a_replica_set_apps_behind_the_proxy_and_workers() -> None:
    c = _compose()
    services = c["services"]
    mongos = [n for n in services if re.fullmatch(r"mongo\d", n)]
    assert len(mongos) == 3
    for n in mongos:
        assert services[n]["command"][:3] == ["mongod", "--replSet", "rs0"] and services[n]["healthcheck"]["test"]
    init = services["mongo-init"]
    assert all(init["depends_on"][n]["condition"] == "service_healthy" for n in mongos)
    assert "replSetInitiate" in (DEPLOY / "mongo-init.js").read_text(encoding="utf-8")
    apps = [n for n in services if re.fullmatch(r"app\d", n)]
    workers = [n for n in services if re.fullmatch(r"worker\d", n)]
    assert len(apps) >= 2 and len(workers) >= 2
    serve_flags = _cli_flags("serve")
    for n in apps:
        s = services[n]
        assert s["command"][0] == "serve" and "/readyz" in " ".join(s["healthcheck"]["test"])
        assert s["environment"]["ZJB_WORKERS_ENABLED"] == "false"
        assert s["depends_on"]["mongo-init"]["condition"] == "service_completed_successfully"
        assert all(flag in serve_flags for flag in s["command"] if flag.startswith("--"))
    for n in workers:
        assert services[n]["command"][0] == "worker"
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert all(f"server {n}:8000" in nginx for n in apps)
    assert set(services["proxy"]["depends_on"]) == set(apps)


def test_every_secret_is_a_file_and_names_a_real_setting() -> None:
    """A secret named ZJB_<SECTION>_<KEY> becomes that setting (ZJB_SECRETS_DIR); every key file the
    production configuration points at is a secret the app and worker services are given."""
    c = _compose()
    assert all(set(spec) == {"file"} for spec in c["secrets"].values())
    given = set(c["services"]["app1"]["secrets"])
    assert given == set(c["services"]["worker1"]["secrets"])
    defaults = Config()
    sections = {f.name: getattr(defaults, f.name) for f in dataclasses.fields(defaults)}
    settings = {f"{name}.{key.name}" for name, section in sections.items() if dataclasses.is_dataclass(section)
                for key in dataclasses.fields(section)}
    for name in (n for n in given if n.startswith("ZJB_")):
        (section, values), = _env_overrides({name: "secret"}, Config()).items()
        assert f"{section}.{next(iter(values))}" in settings, name
    production = (DEPLOY / "zhijianban.toml").read_text(encoding="utf-8")
    for path in re.findall(r'"/run/secrets/([^"]+)"', production):
        assert path in given, path
    assert tomllib.loads(production)["mode"] == "production"


def test_the_production_template_loads_and_names_only_what_a_city_fills_in(tmp_path: Path) -> None:
    """With the secrets as files and the provider ids a city is issued, the template is accepted."""
    from tests.test_config import KEY_FILES, _real_secrets
    for name in KEY_FILES:
        (tmp_path / name).write_text("-----BEGIN PRIVATE KEY-----\n")
    env = {k: v for k, v in _real_secrets(tmp_path).items() if not k.endswith("_FILE")}
    text = (DEPLOY / "zhijianban.toml").read_text(encoding="utf-8")
    template = tmp_path / "zhijianban.toml"
    template.write_text(text.replace("/run/secrets/", f"{tmp_path}/")
                        .replace("wechatpay_private_key.pem", "wechatpay_apiclient_key.pem")
                        .replace("wechatpay_platform_public_key.pem", "wechatpay_pub_key.pem")
                        .replace("alipay_app_private_key.pem", "alipay_app_key.pem")
                        .replace("receipts_signing_key.pem", "receipts_ed25519.pem")
                        .replace("licences_signing_key.pem", "licences_ed25519.pem"), encoding="utf-8")
    cfg = load_config(template, env=env)
    assert cfg.mode == "production" and not cfg.sandbox.standins


def _dockerfile_stages(text: str) -> list[list[str]]:
    stages: list[list[str]] = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_dockerfile_is_multi_stage_unprivileged_and_checks_readiness() -> None:
    stages = _dockerfile_stages((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    assert len(stages) >= 2
    build, final = "\n".join(stages[0]), stages[-1]
    assert "--require-hashes -r" in build and "requirements/run.txt" in build
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = [line for line in final if line.upper().startswith("HEALTHCHECK ")]
    assert health and "/readyz" in health[0]
    entry = [json.loads(line.split(None, 1)[1]) for line in final if line.upper().startswith("ENTRYPOINT ")]
    cmd = [json.loads(line.split(None, 1)[1]) for line in final if line.upper().startswith("CMD ")]
    assert entry == [["python", "-m", "backend"]] and cmd[0][0] == "serve"
    serve_flags = _cli_flags("serve")
    assert all(flag in serve_flags for flag in cmd[0] if flag.startswith("--"))
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert "deploy/secrets" in ignored and ".git" in ignored


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the units as installed: the interpreter and checkout are this
    one's, the rest is verbatim."""
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} == {"zhijianban.service", "zhijianban-worker@.service"}
    copies = []
    for unit in units:
        text = unit.read_text(encoding="utf-8")
        assert "Environment=ZJB_SECRETS_DIR=%d" in text and "User=zhijianban" in text
        command = re.search(r"^ExecStart=\S+ -m backend (\w+)", text, re.M)
        assert command is not None
        flags = re.findall(r"(--[a-z-]+)", text.split("ExecStart=", 1)[1].split("\n#", 1)[0])
        assert all(f in _cli_flags(command.group(1)) for f in flags), flags
        copy = tmp_path / (unit.name.replace("@.", "@1.") if "@." in unit.name else unit.name)
        copy.write_text(text.replace("/opt/zhijianban/.venv/bin/python", sys.executable)
                        .replace("/opt/zhijianban", str(ROOT)), encoding="utf-8")
        copies.append(str(copy))
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no", *copies], capture_output=True, text=True,
                          timeout=120)
    # verify exits 0 on a key it ignores: any line about the units is a problem
    problems = [line for line in (proc.stdout + proc.stderr).splitlines() if str(tmp_path) in line]
    assert proc.returncode == 0 and not problems, proc.stdout + proc.stderr


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zjb.example.gov.cn")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx is not installed")
def test_nginx_configuration_is_valid(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    cert, key = _self_signed(tmp_path)
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    text = re.sub(r"server app\d:8000", "server 127.0.0.1:8000", text)
    text = text.replace("/run/secrets/tls_certificate.pem", str(cert))
    text = text.replace("/run/secrets/tls_private_key.pem", str(key))
    text = text.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    conf = tmp_path / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    proc = subprocess.run([nginx, "-t", "-q", "-c", str(conf), "-p", str(tmp_path), "-e", "stderr"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_dashboard_shows_only_metrics_and_routes_the_server_exports(api: Api) -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "zhijianban.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    exported = set(re.findall(r"^# TYPE (\S+) ", api.get("/metrics").text, re.M))
    used = {re.sub(r"_(bucket|total)$", "", m) for e in exprs for m in re.findall(r"\bzjb_[a-z_]+", e)}
    used = {m if m in exported else m + "_total" if m + "_total" in exported else m for m in used}
    assert used <= exported | {"zjb_http_requests"}, used - exported
    for wanted in ("zjb_database_up", "zjb_outbox_messages", "zjb_payments", "zjb_appointments",
                   "zjb_http_request_duration_seconds"):
        assert wanted in used, wanted
    paths = set(api.get("/openapi.json").json()["paths"])
    for route in re.findall(r'route=~?"([^"]+)"', " ".join(exprs)):
        assert any(re.fullmatch(route, p) for p in paths), route
