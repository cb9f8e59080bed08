"""From a verified token's claims to the subjects a request is enforced as."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kapstan.engine.rbac.vocabulary import PROJECT_SUBJECT_PREFIX, SESSION_ISSUER

__all__ = ["project_role_subject", "subjects_for", "user_identifier"]


def project_role_subject(subject: str) -> tuple[str, str] | None:
    """``(project, role)`` if ``subject`` is a project role's ``proj:<project>:<role>``."""
    parts = subject.split(":")
    if len(parts) == 3 and parts[0] == PROJECT_SUBJECT_PREFIX:
        return parts[1], parts[2]
    return None


def user_identifier(claims: Mapping[str, Any]) -> str:
    """The user a token is for: Dex's ``federated_claims.user_id`` when present (Argo CD 3.0
    stopped using Dex's opaque ``sub``), else ``sub``; ``""`` when neither is a string."""
    federated = claims.get("federated_claims")
    if isinstance(federated, Mapping):
        user_id = federated.get("user_id")
        if isinstance(user_id, str) and user_id:
            return user_id
    sub = claims.get("sub")
    return sub if isinstance(sub, str) else ""


def subjects_for(claims: Mapping[str, Any], scopes: Sequence[str]) -> tuple[str, ...]:
    """The subjects to enforce a request as: the user first, then every group.

    Tokens Argo CD signs itself (``iss: argocd``) name local accounts as ``<user>:login``
    (a session) or ``<user>:apiKey`` (an API key): the user is the part before the first
    ``:``. Project role tokens keep their ``proj:<project>:<role>`` subject. The groups are
    the values of each claim named in ``scopes`` (``policy.scopes``): a list contributes its
    string items, a string itself; anything else nothing. Duplicates are dropped.
    """
    user = user_identifier(claims)
    if claims.get("iss") == SESSION_ISSUER and project_role_subject(user) is None:
        user = user.split(":", 1)[0]
    groups: dict[str, None] = {}
    for scope in scopes:
        value = claims.get(scope)
        if isinstance(value, str):
            groups[value] = None
        elif isinstance(value, list | tuple):
            groups.update((item, None) for item in value if isinstance(item, str))
    return (user, *groups)
