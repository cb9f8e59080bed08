"""Kubeconfig, in-cluster and Argo CD cluster-secret parsing (table-driven from testdata/)."""

from __future__ import annotations

import asyncio
import base64
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from kapstan.kube.config import (
    ClusterConfig,
    ConfigError,
    ExecConfig,
    default_kubeconfig_path,
    from_argocd_cluster_secret,
    in_cluster,
    load_kubeconfig,
)
from kapstan.kube.credentials import Credentials, ExecPluginError, parse_exec_credential

TESTDATA = Path(__file__).parent / "testdata"
KUBECONFIGS = yaml.safe_load((TESTDATA / "kubeconfigs.yaml").read_text())
SECRETS = yaml.safe_load((TESTDATA / "cluster_secrets.yaml").read_text())


def check(cfg: ClusterConfig, expect: dict[str, Any], base: Path) -> None:
    for field, want in expect.items():
        got = getattr(cfg, field)
        if field == "exec":
            assert isinstance(got, ExecConfig)
            for k, v in want.items():
                value = getattr(got, k)
                expected = str(base / v) if k == "command" and not v.startswith("/") else v
                if k in ("args", "env"):
                    value = [list(x) if isinstance(x, tuple) else x for x in value]
                assert value == expected, k
        elif isinstance(got, bytes):
            assert got == want.encode(), field
        elif isinstance(got, Path):
            assert got == base / want, field
        else:
            assert got == want, field


@pytest.mark.parametrize("case", KUBECONFIGS, ids=[c["name"] for c in KUBECONFIGS])
def test_kubeconfig(case: dict[str, Any], tmp_path: Path) -> None:
    for name, content in (case.get("files") or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(case["kubeconfig"]))
    if "error" in case:
        with pytest.raises(ConfigError, match=case["error"]):
            load_kubeconfig(path, case.get("context"))
        return
    check(load_kubeconfig(path, case.get("context")), case["expect"], tmp_path)


@pytest.mark.parametrize("case", SECRETS, ids=[c["name"] for c in SECRETS])
def test_argocd_cluster_secret(case: dict[str, Any]) -> None:
    values = dict(case["values"])
    if "config" in case:
        values["config"] = orjson.dumps(case["config"]).decode()
    if "raw_config" in case:
        values["config"] = case["raw_config"]
    labels = case.get("labels", {"argocd.argoproj.io/secret-type": "cluster"})
    secret: dict[str, Any] = {"metadata": {"name": "s", "labels": labels}}
    if case["form"] == "data":
        secret["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    else:
        secret["stringData"] = values
    if "error" in case:
        with pytest.raises(ConfigError, match=case["error"]):
            from_argocd_cluster_secret(secret)
        return
    check(from_argocd_cluster_secret(secret), case["expect"], Path("/"))


def test_secrets_never_in_repr() -> None:
    cfg = ClusterConfig(
        server="https://h",
        token="tok-123",
        password="pw-456",
        client_key_data=b"KEY-789",
        exec=ExecConfig(command="x", env=(("SECRET", "env-000"),)),
    )
    text = repr(cfg)
    for secret in ("tok-123", "pw-456", "KEY-789", "env-000"):
        assert secret not in text
    assert "https://h" in text
    assert set(cfg.secrets()) == {"tok-123", "pw-456", "KEY-789"}


def test_in_cluster(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "ca.crt").write_text("CA")
    (tmp_path / "namespace").write_text("argocd")
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    cfg = in_cluster(env, tmp_path)
    assert (cfg.server, cfg.namespace, cfg.ca_data) == ("https://10.0.0.1:443", "argocd", b"CA")
    assert cfg.token_file == tmp_path / "token"
    cred = asyncio.run(Credentials(cfg).current())
    assert cred.token == "sa-token"
    v6 = in_cluster(
        {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"}, tmp_path
    )
    assert v6.server == "https://[fd00::1]:6443"
    with pytest.raises(ConfigError, match="not running in a cluster"):
        in_cluster({}, tmp_path)


PLUGIN = textwrap.dedent(
    """
    import json, os, pathlib, sys
    counter = pathlib.Path(sys.argv[1])
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
    assert info["spec"]["interactive"] is False
    print(json.dumps({
        "apiVersion": info["apiVersion"], "kind": "ExecCredential",
        "status": {"token": os.environ["PREFIX"] + str(n),
                   "expirationTimestamp": sys.argv[2]}}))
    """
)


def exec_config(tmp_path: Path, expiry: str) -> ClusterConfig:
    script = tmp_path / "plugin.py"
    script.write_text(PLUGIN)
    spec = ExecConfig(
        command=sys.executable,
        args=(str(script), str(tmp_path / "count"), expiry),
        env=(("PREFIX", "tok-"),),
    )
    return ClusterConfig(server="https://h", exec=spec)


def test_exec_plugin_token_cached_until_expiry(tmp_path: Path) -> None:
    async def main() -> list[str]:
        creds = Credentials(exec_config(tmp_path, "2999-01-01T00:00:00Z"))
        tokens = [(await creds.current()).token, (await creds.current()).token]
        creds.invalidate()
        tokens.append((await creds.current()).token)
        return tokens

    assert asyncio.run(main()) == ["tok-1", "tok-1", "tok-2"]


def test_exec_plugin_expired_token_reruns(tmp_path: Path) -> None:
    async def main() -> list[str]:
        creds = Credentials(exec_config(tmp_path, "2000-01-01T00:00:00Z"))
        return [(await creds.current()).token, (await creds.current()).token]

    assert asyncio.run(main()) == ["tok-1", "tok-2"]


def test_exec_plugin_failure_is_reported(tmp_path: Path) -> None:
    spec = ExecConfig(
        command=sys.executable, args=("-c", "raise SystemExit(3)"), install_hint="hint"
    )
    with pytest.raises(ExecPluginError, match=r"status 3.*hint"):
        asyncio.run(Credentials(ClusterConfig(server="https://h", exec=spec)).current())


@pytest.mark.parametrize(
    ("output", "error"),
    [
        (b"not json", "not JSON"),
        (b'{"kind": "Other"}', "not an ExecCredential"),
        (
            b'{"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1"}',
            "apiVersion",
        ),
        (
            b'{"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1",'
            b' "status": {}}',
            "neither a token",
        ),
    ],
)
def test_exec_credential_rejects(output: bytes, error: str) -> None:
    with pytest.raises(ExecPluginError, match=error):
        parse_exec_credential(output, "client.authentication.k8s.io/v1")


def test_exec_credential_client_cert() -> None:
    out = orjson.dumps(
        {
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": {"clientCertificateData": "C", "clientKeyData": "K"},
        }
    )
    cred = parse_exec_credential(out, "client.authentication.k8s.io/v1")
    assert (cred.client_cert_data, cred.client_key_data, cred.expires) == (b"C", b"K", None)
    assert "K" not in repr(cred).replace("Credential", "")


def test_kubeconfig_path_follows_kubectl(tmp_path: Path) -> None:
    """``$KUBECONFIG``'s first existing entry; when none exists its first entry (the error
    then names what the user set, kubectl does not fall back to ~/.kube/config either)."""
    real = tmp_path / "real"
    real.write_text("{}")
    missing = tmp_path / "missing"
    assert default_kubeconfig_path({"KUBECONFIG": f"{missing}:{real}"}) == real
    assert default_kubeconfig_path({"KUBECONFIG": str(missing)}) == missing
    assert default_kubeconfig_path({}) == Path("~/.kube/config").expanduser()
