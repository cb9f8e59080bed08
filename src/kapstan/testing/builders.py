"""Builders of Kubernetes objects that tests need in many places."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from kapstan.kube.config import load_kubeconfig
from kapstan.model.vocabulary import SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL


def open_crd(group: str, kind: str, plural: str) -> dict[str, Any]:
    """A namespaced CustomResourceDefinition (one served ``v1`` version) whose schema accepts
    any field, so tests can create instances without writing a schema."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


def cluster_secret(name: str, namespace: str, kubeconfig: Path) -> dict[str, Any]:
    """An Argo CD cluster Secret for the cluster of ``kubeconfig`` (labelled
    ``argocd.argoproj.io/secret-type: cluster``): ``data`` holds ``server``, ``name`` and the
    ``config`` JSON with ``tlsClientConfig`` ``caData``/``certData``/``keyData`` taken from the
    kubeconfig's current context (inline data or files)."""
    config = load_kubeconfig(kubeconfig)

    def b64(raw: bytes | None) -> str:
        return base64.b64encode(raw or b"").decode()

    tls = {
        "caData": b64(config.ca_data),
        "certData": b64(config.client_cert_data),
        "keyData": b64(config.client_key_data),
    }
    fields = {"server": config.server, "name": name, "config": json.dumps({"tlsClientConfig": tls})}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {SECRET_TYPE_LABEL: SECRET_TYPE_CLUSTER},
        },
        "data": {k: b64(v.encode()) for k, v in fields.items()},
    }
