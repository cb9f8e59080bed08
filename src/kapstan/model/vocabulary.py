"""The one definition of Kapstan's wire vocabulary: field manager, annotation and label keys,
Secret types, ConfigMap names, finalizers, resource paths.

Every value is spelled exactly as Argo CD spells it (so an Argo CD installation's objects and
settings work unchanged); the field manager is Kapstan's own and must never change casually:
server-side apply ties field ownership to it, so a new name would orphan every owned field.
"""

from __future__ import annotations

from typing import Final

# -- field ownership -------------------------------------------------------------------------
FIELD_MANAGER: Final = "kapstan-controller"
LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"

# -- resource annotations and labels ---------------------------------------------------------
TRACKING_ID: Final = "argocd.argoproj.io/tracking-id"
DEFAULT_INSTANCE_LABEL: Final = "app.kubernetes.io/instance"
COMPARE_OPTIONS: Final = "argocd.argoproj.io/compare-options"
EXTERNAL_LINK: Final = "link.argocd.argoproj.io/external-link"
IGNORE_HEALTHCHECK: Final = "argocd.argoproj.io/ignore-healthcheck"
IGNORE_RESTART_POLICY: Final = "argocd.argoproj.io/ignore-restart-policy"
HOOK_FINALIZER: Final = "argocd.argoproj.io/hook-finalizer"

# -- Application annotations -----------------------------------------------------------------
REFRESH: Final = "argocd.argoproj.io/refresh"
SKIP_RECONCILE: Final = "argocd.argoproj.io/skip-reconcile"
MANAGED_BY_URL: Final = "argocd.argoproj.io/managed-by-url"

# -- Application finalizers ------------------------------------------------------------------
RESOURCES_FINALIZER: Final = "resources-finalizer.argocd.argoproj.io"
RESOURCES_FINALIZER_BACKGROUND: Final = RESOURCES_FINALIZER + "/background"

# -- settings: ConfigMaps, Secrets and the label that types Secrets ----------------------------
ARGOCD_CM: Final = "argocd-cm"
ARGOCD_SECRET: Final = "argocd-secret"  # noqa: S105 - a Secret's name
ARGOCD_RBAC_CM: Final = "argocd-rbac-cm"
KNOWN_HOSTS_CM: Final = "argocd-ssh-known-hosts-cm"
KNOWN_HOSTS_KEY: Final = "ssh_known_hosts"
TLS_CERTS_CM: Final = "argocd-tls-certs-cm"
SECRET_TYPE_LABEL: Final = "argocd.argoproj.io/secret-type"  # noqa: S105 - a label key
SECRET_TYPE_REPOSITORY: Final = "repository"  # noqa: S105
SECRET_TYPE_REPO_CREDS: Final = "repo-creds"  # noqa: S105
SECRET_TYPE_CLUSTER: Final = "cluster"  # noqa: S105

# -- clusters -----------------------------------------------------------------------------------
IN_CLUSTER_URL: Final = "https://kubernetes.default.svc"
IN_CLUSTER_NAME: Final = "in-cluster"

# -- Argo CD's API group -----------------------------------------------------------------------
GROUP: Final = "argoproj.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
API_PREFIX: Final = f"/apis/{API_VERSION}"
APPLICATIONS: Final = "applications"
APPPROJECTS: Final = "appprojects"
APPLICATIONSETS: Final = "applicationsets"
DEFAULT_PROJECT: Final = "default"


def resource_path(plural: str, namespace: str, name: str = "") -> str:
    """API path of an Argo CD resource collection (or of one object when ``name`` is set)."""
    base = f"{API_PREFIX}/namespaces/{namespace}/{plural}"
    return f"{base}/{name}" if name else base


def application_path(namespace: str, name: str = "") -> str:
    """``/apis/argoproj.io/v1alpha1/namespaces/<ns>/applications[/<name>]``."""
    return resource_path(APPLICATIONS, namespace, name)


def project_path(namespace: str, name: str = "") -> str:
    """``/apis/argoproj.io/v1alpha1/namespaces/<ns>/appprojects[/<name>]``."""
    return resource_path(APPPROJECTS, namespace, name)


def configmaps_path(namespace: str, name: str = "") -> str:
    """``/api/v1/namespaces/<ns>/configmaps[/<name>]``."""
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    return f"{base}/{name}" if name else base


def secrets_path(namespace: str, name: str = "") -> str:
    """``/api/v1/namespaces/<ns>/secrets[/<name>]``."""
    base = f"/api/v1/namespaces/{namespace}/secrets"
    return f"{base}/{name}" if name else base
