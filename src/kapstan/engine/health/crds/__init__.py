"""Kapstan's built-in health rules for popular CRDs, keyed like the core table.

These are Kapstan's own rules, written from each project's documented status semantics
(not ports of Argo CD's bundled Lua scripts), so verdicts agree with Argo CD in spirit
but messages may differ. A user's argocd-cm Lua check for the same kind always wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kapstan.engine.health.crds import (
    certmanager,
    crossplane,
    externalsecrets,
    flux,
    keda,
    knative,
    rollouts,
    sealedsecrets,
    strimzi,
)
from kapstan.engine.health.crds.prometheus import NO_HEALTH_GROUPS
from kapstan.model.health import ResourceHealth

Rule = Callable[[Mapping[str, Any]], ResourceHealth]

RULES: dict[tuple[str, str], Rule] = {
    ("argoproj.io", "Rollout"): rollouts.rollout,
    ("cert-manager.io", "Certificate"): certmanager.certificate,
    ("cert-manager.io", "Issuer"): certmanager.issuer,
    ("cert-manager.io", "ClusterIssuer"): certmanager.issuer,
    ("kustomize.toolkit.fluxcd.io", "Kustomization"): flux.flux_object,
    ("helm.toolkit.fluxcd.io", "HelmRelease"): flux.flux_object,
    ("source.toolkit.fluxcd.io", "GitRepository"): flux.flux_object,
    ("source.toolkit.fluxcd.io", "HelmRepository"): flux.flux_object,
    ("source.toolkit.fluxcd.io", "OCIRepository"): flux.flux_object,
    ("external-secrets.io", "ExternalSecret"): externalsecrets.external_secret,
    ("external-secrets.io", "SecretStore"): externalsecrets.secret_store,
    ("external-secrets.io", "ClusterSecretStore"): externalsecrets.secret_store,
    ("bitnami.com", "SealedSecret"): sealedsecrets.sealed_secret,
    ("keda.sh", "ScaledObject"): keda.scaled,
    ("keda.sh", "ScaledJob"): keda.scaled,
    ("serving.knative.dev", "Service"): knative.service,
    ("kafka.strimzi.io", "Kafka"): strimzi.kafka,
}


def shape_rule(obj: Mapping[str, Any], group: str) -> Rule | None:
    """A rule chosen by the object's shape rather than its kind (Crossplane), or None."""
    if crossplane.recognises(obj, group):
        return crossplane.crossplane_resource
    return None


def kind_has_rule(group: str) -> bool:
    """Whether a group alone guarantees a shape rule (Crossplane provider groups)."""
    return crossplane.is_provider_group(group)


__all__ = ["NO_HEALTH_GROUPS", "RULES", "Rule", "kind_has_rule", "shape_rule"]
