"""Where a Kubernetes API server is and how to authenticate to it.

Sources: a kubeconfig file (current or named context), the in-cluster service account, and an
Argo CD cluster secret. All produce a frozen :class:`ClusterConfig`. Contract:

- files referenced by a kubeconfig (CA, client certificate and key) are read at load time and
  relative paths resolve against the kubeconfig's directory, as kubectl does; a ``tokenFile``
  is kept as a path and re-read by the client (service-account tokens rotate);
- exec credential plugins are described by :class:`ExecConfig` and run lazily by the client
  (see :mod:`kapstan.kube.credentials`);
- credentials (tokens, passwords, keys) never appear in ``repr`` or in error messages.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from kapstan.model.vocabulary import SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
EXEC_API_VERSION = "client.authentication.k8s.io/v1"


class ConfigError(ValueError):
    """The configuration is missing, malformed or incomplete."""


@dataclass(frozen=True)
class ExecConfig:
    """An exec credential plugin: ``command`` with ``args`` and extra ``env``."""

    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    api_version: str = EXEC_API_VERSION
    install_hint: str = ""


@dataclass(frozen=True)
class ClusterConfig:
    """Everything needed to talk to one API server. Secret fields are hidden from ``repr``."""

    server: str
    name: str = ""
    namespace: str = "default"
    ca_data: bytes | None = field(default=None, repr=False)
    insecure: bool = False
    tls_server_name: str = ""
    client_cert_data: bytes | None = field(default=None, repr=False)
    client_key_data: bytes | None = field(default=None, repr=False)
    token: str = field(default="", repr=False)
    token_file: Path | None = None
    username: str = ""
    password: str = field(default="", repr=False)
    exec: ExecConfig | None = None

    def secrets(self) -> tuple[str, ...]:
        """Credential strings to redact from any text derived from this config."""
        found = [self.token, self.password]
        if self.client_key_data:
            found.append(self.client_key_data.decode(errors="replace"))
        return tuple(s for s in found if s)


def _read(base: Path, name: str) -> bytes:
    path = Path(os.path.expanduser(name))
    if not path.is_absolute():
        path = base / path
    try:
        return path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from None


def _b64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{what} is not valid base64") from None


def _data_or_file(base: Path, entry: Mapping[str, Any], key: str) -> bytes | None:
    if entry.get(f"{key}-data"):
        return _b64(entry[f"{key}-data"], f"{key}-data")
    if entry.get(key):
        return _read(base, str(entry[key]))
    return None


def _named(items: Any, name: str, what: str) -> Mapping[str, Any]:
    for item in items or []:
        if isinstance(item, Mapping) and item.get("name") == name:
            inner = item.get(what)
            return inner if isinstance(inner, Mapping) else {}
    raise ConfigError(f"kubeconfig has no {what} named {name!r}")


def _exec_config(raw: Mapping[str, Any], base: Path) -> ExecConfig:
    command = str(raw.get("command") or "")
    if not command:
        raise ConfigError("exec plugin has no command")
    if os.sep in command and not Path(command).is_absolute():
        command = str(base / command)  # kubectl: relative to the kubeconfig's directory
    env = raw.get("env") or []
    pairs = (
        tuple((str(k), str(v)) for k, v in env.items())
        if isinstance(env, Mapping)
        else tuple((str(e["name"]), str(e.get("value", ""))) for e in env)
    )
    return ExecConfig(
        command=command,
        args=tuple(str(a) for a in raw.get("args") or []),
        env=pairs,
        api_version=str(raw.get("apiVersion") or EXEC_API_VERSION),
        install_hint=str(raw.get("installHint") or ""),
    )


def default_kubeconfig_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$KUBECONFIG`` (its first existing entry; when none exists, its first entry, so the
    error names the file the user pointed at — kubectl does not fall back either) or
    ``~/.kube/config``."""
    env = os.environ if environ is None else environ
    entries = [e for e in (env.get("KUBECONFIG") or "").split(os.pathsep) if e]
    for entry in entries:
        if Path(entry).expanduser().exists():
            return Path(entry).expanduser()
    return Path(entries[0] if entries else "~/.kube/config").expanduser()


def parse_kubeconfig(
    doc: Mapping[str, Any], *, context: str | None = None, base: Path | None = None
) -> ClusterConfig:
    """Build the config of ``context`` (default: ``current-context``) from a parsed kubeconfig.

    ``base`` is the directory relative file names resolve against (default: the cwd).
    """
    base = base or Path.cwd()
    ctx_name = context or str(doc.get("current-context") or "")
    if not ctx_name:
        raise ConfigError("kubeconfig has no current-context and no context was given")
    ctx = _named(doc.get("contexts"), ctx_name, "context")
    cluster = _named(doc.get("clusters"), str(ctx.get("cluster") or ""), "cluster")
    user: Mapping[str, Any] = {}
    if ctx.get("user"):
        user = _named(doc.get("users"), str(ctx["user"]), "user")
    server = str(cluster.get("server") or "")
    if not server:
        raise ConfigError(f"cluster of context {ctx_name!r} has no server")
    token = str(user.get("token") or "")
    token_file = user.get("tokenFile")
    exec_raw = user.get("exec")
    return ClusterConfig(
        server=server.rstrip("/"),
        name=ctx_name,
        namespace=str(ctx.get("namespace") or "default"),
        ca_data=_data_or_file(base, cluster, "certificate-authority"),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=str(cluster.get("tls-server-name") or ""),
        client_cert_data=_data_or_file(base, user, "client-certificate"),
        client_key_data=_data_or_file(base, user, "client-key"),
        token=token,
        token_file=(base / str(token_file)) if token_file and not token else None,
        username=str(user.get("username") or ""),
        password=str(user.get("password") or ""),
        exec=_exec_config(exec_raw, base) if isinstance(exec_raw, Mapping) else None,
    )


def load_kubeconfig(path: Path | str | None = None, context: str | None = None) -> ClusterConfig:
    """Load ``path`` (default :func:`default_kubeconfig_path`) and build ``context``."""
    file = Path(path).expanduser() if path else default_kubeconfig_path()
    try:
        doc = yaml.safe_load(file.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read kubeconfig {file}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"kubeconfig {file} is not valid YAML: {e}") from None
    if not isinstance(doc, Mapping):
        raise ConfigError(f"kubeconfig {file} is not a mapping")
    return parse_kubeconfig(doc, context=context, base=file.resolve().parent)


def in_cluster(
    environ: Mapping[str, str] | None = None, sa_dir: Path = SERVICE_ACCOUNT_DIR
) -> ClusterConfig:
    """The pod's service account: ``KUBERNETES_SERVICE_HOST``/``PORT`` plus the mounted token."""
    env = os.environ if environ is None else environ
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise ConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT unset")
    token = sa_dir / "token"
    if not token.exists():
        raise ConfigError(f"service account token {token} is missing")
    ns_file = sa_dir / "namespace"
    if ":" in host:
        host = f"[{host}]"  # IPv6
    return ClusterConfig(
        server=f"https://{host}:{port}",
        name="in-cluster",
        namespace=ns_file.read_text().strip() if ns_file.exists() else "default",
        ca_data=_read(sa_dir, "ca.crt") if (sa_dir / "ca.crt").exists() else None,
        token_file=token,
    )


def secret_value(secret: Mapping[str, Any], key: str) -> str | None:
    """The text of ``key`` of a Secret (``stringData`` first, then base64 ``data``); ``None``
    when absent; :class:`ConfigError` when the base64 is invalid."""
    string_data = secret.get("stringData")
    if isinstance(string_data, Mapping) and key in string_data:
        return str(string_data[key])
    data = secret.get("data")
    if isinstance(data, Mapping) and key in data and data[key] is not None:
        return _b64(data[key], f"cluster secret field {key!r}").decode()
    return None


def from_argocd_cluster_secret(secret: Mapping[str, Any]) -> ClusterConfig:
    """Build the config of an Argo CD cluster secret (``data`` base64 or ``stringData``).

    ``config`` is Argo CD's ``ClusterConfig`` JSON: ``bearerToken``, ``username``/``password``,
    ``tlsClientConfig{insecure, caData, certData, keyData, serverName}`` (byte fields base64, as
    Go's JSON encodes ``[]byte``) and ``execProviderConfig{command, args, env, apiVersion}``.
    """
    meta = secret.get("metadata") if isinstance(secret.get("metadata"), Mapping) else {}
    labels = (meta or {}).get("labels") or {}
    if labels.get(SECRET_TYPE_LABEL) not in (None, SECRET_TYPE_CLUSTER):
        raise ConfigError("secret is not an Argo CD cluster secret")
    server = secret_value(secret, "server")
    if not server:
        raise ConfigError("cluster secret has no server")
    raw = secret_value(secret, "config") or "{}"
    try:
        cfg = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ConfigError("cluster secret config is not valid JSON") from None
    if not isinstance(cfg, Mapping):
        raise ConfigError("cluster secret config is not a JSON object")
    tls = cfg.get("tlsClientConfig") or {}

    def tls_bytes(key: str) -> bytes | None:
        return _b64(tls[key], f"tlsClientConfig.{key}") if tls.get(key) else None

    exec_raw = cfg.get("execProviderConfig")
    return ClusterConfig(
        server=server.rstrip("/"),
        name=secret_value(secret, "name") or server,
        ca_data=tls_bytes("caData"),
        insecure=bool(tls.get("insecure")),
        tls_server_name=str(tls.get("serverName") or ""),
        client_cert_data=tls_bytes("certData"),
        client_key_data=tls_bytes("keyData"),
        token=str(cfg.get("bearerToken") or ""),
        username=str(cfg.get("username") or ""),
        password=str(cfg.get("password") or ""),
        exec=_exec_config(exec_raw, Path.cwd()) if isinstance(exec_raw, Mapping) else None,
    )
