"""Where ``kapstan admin settings`` commands read argocd-cm, argocd-secret and objects from.

Contract: :func:`load_settings` returns the ``data`` of argocd-cm and the decoded data of
argocd-secret: from ``--argocd-cm-path``/``--argocd-secret-path`` files (a ConfigMap or Secret
manifest), else from the cluster with ``--load-cluster-settings``; without either for
argocd-cm it refuses as ``argocd`` does; without a secret source the secret holds Argo CD's
placeholders (``admin.password``, ``server.secretkey``). :func:`read_manifest` reads one YAML
object from a file. Problems raise :class:`~kapstan.cli.argocd.errors.CommandExit` (exit 20).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kapstan.cli.admin.kubeaccess import run_kube
from kapstan.cli.argocd.errors import GENERIC, CommandExit
from kapstan.kube.client import KubeClient
from kapstan.kube.config import ConfigError, secret_value
from kapstan.model.vocabulary import ARGOCD_CM, ARGOCD_SECRET, configmaps_path, secrets_path

ArgocdCmPathOpt = Annotated[
    Path | None, typer.Option("--argocd-cm-path", help="Path to a local argocd-cm.yaml file.")
]
ArgocdSecretPathOpt = Annotated[
    Path | None,
    typer.Option("--argocd-secret-path", help="Path to a local argocd-secret.yaml file."),
]
LoadClusterOpt = Annotated[
    bool,
    typer.Option(
        "--load-cluster-settings",
        help="Load the ConfigMap and Secret from the cluster unless a local file is given.",
    ),
]
PLACEHOLDER_SECRET = {"admin.password": "test", "server.secretkey": "test"}


def read_manifest(path: Path) -> dict[str, Any]:
    """The one YAML (or JSON) object in ``path``."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise CommandExit(GENERIC, f"{path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise CommandExit(GENERIC, f"{path}: invalid YAML: {e}") from None
    if not isinstance(doc, dict):
        raise CommandExit(GENERIC, f"{path}: not a Kubernetes object")
    return doc


def configmap_data(obj: Mapping[str, Any]) -> dict[str, str]:
    data = obj.get("data") or {}
    if not isinstance(data, Mapping):
        raise CommandExit(GENERIC, "the ConfigMap's data is not a mapping")
    return {str(k): "" if v is None else str(v) for k, v in data.items()}


def secret_data(obj: Mapping[str, Any]) -> dict[str, str]:
    """``data`` (base64) and ``stringData`` of a Secret manifest, decoded."""
    keys = [*(obj.get("data") or {}), *(obj.get("stringData") or {})]
    try:
        found = {str(k): secret_value(obj, str(k)) for k in keys}
    except (ConfigError, UnicodeDecodeError) as e:
        raise CommandExit(GENERIC, f"{ARGOCD_SECRET}: {e}") from None
    return {k: v for k, v in found.items() if v is not None}


def load_settings(
    cm_path: Path | None,
    secret_path: Path | None,
    load_cluster: bool,
    kubeconfig: Path | None,
    namespace: str,
) -> tuple[dict[str, str], dict[str, str]]:
    """``(argocd-cm data, argocd-secret data)`` (see the module contract)."""
    if cm_path is None and not load_cluster:
        raise CommandExit(
            GENERIC,
            "either --argocd-cm-path must be provided or --load-cluster-settings must be set",
        )

    async def fetch(kube: KubeClient) -> tuple[dict[str, Any], dict[str, Any]]:
        cm = {} if cm_path else await kube.get(configmaps_path(namespace, ARGOCD_CM))
        secret = {} if secret_path else await kube.get(secrets_path(namespace, ARGOCD_SECRET))
        return cm, secret

    live_cm: dict[str, Any] = {}
    live_secret: dict[str, Any] = {}
    if load_cluster and (cm_path is None or secret_path is None):
        live_cm, live_secret = run_kube(kubeconfig, fetch)
    cm = configmap_data(read_manifest(cm_path) if cm_path else live_cm)
    if secret_path is not None:
        secret = secret_data(read_manifest(secret_path))
    elif load_cluster:
        secret = secret_data(live_secret)
    else:
        secret = dict(PLACEHOLDER_SECRET)
    return cm, secret


__all__ = [
    "ArgocdCmPathOpt",
    "ArgocdSecretPathOpt",
    "LoadClusterOpt",
    "configmap_data",
    "load_settings",
    "read_manifest",
    "secret_data",
]
