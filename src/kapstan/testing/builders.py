"""Builders of Kubernetes objects that tests need in many places."""

from __future__ import annotations

from typing import Any


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
