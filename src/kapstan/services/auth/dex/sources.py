"""What ``kapstan dex`` renders Dex's configuration from, read fresh from the cluster.

Contract of :func:`read_rendered`: reads argocd-cm and argocd-secret (``server.secretkey``,
and the keys ``$key`` references name), and each Secret a ``$<secret>:<key>`` reference
names; such a Secret is used only when it carries ``app.kubernetes.io/part-of: argocd`` (as
Argo CD requires). It returns :class:`Rendered`: ``None`` as ``config`` when Dex is not in use,
else Dex's configuration, plus the references left as written (names only). Raises
:class:`~kapstan.services.auth.errors.AuthConfigError` for a bad ``dex.config`` and
:class:`~kapstan.services.auth.errors.AuthStoreError` when the cluster cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapstan.model.vocabulary import ARGOCD_CM, ARGOCD_SECRET
from kapstan.services.auth.dex.config import dex_settings, references, render, unresolved
from kapstan.services.auth.keys import SERVER_SECRET_KEY
from kapstan.services.auth.store import AuthStore, SecretState

PART_OF = "app.kubernetes.io/part-of"


@dataclass(frozen=True)
class Rendered:
    config: dict[str, Any] | None = field(default=None, repr=False)
    unresolved: tuple[str, ...] = ()
    ignored_secrets: tuple[str, ...] = ()  # referenced Secrets without the part-of label


async def read_rendered(store: AuthStore, *, http: str) -> Rendered:
    """Dex's configuration from the cluster (see the module contract)."""
    cm = await store.read_configmap(ARGOCD_CM)
    settings = dex_settings(cm)
    if settings is None:
        return Rendered()
    secrets: dict[str, SecretState] = {"": await store.read_secret(ARGOCD_SECRET)}
    ignored: list[str] = []
    for name, _key in sorted(references(settings.config)):
        if name and name not in secrets:
            found = await store.read_secret(name)
            if found.exists and found.labels.get(PART_OF) != "argocd":
                ignored.append(name)
                found = SecretState(name)
            secrets[name] = found

    def lookup(secret: str, key: str) -> str | None:
        state = secrets.get(secret)
        return state.data.get(key) if state is not None else None

    server_secret = secrets[""].data.get(SERVER_SECRET_KEY, "").encode()
    config = render(settings, server_secret, lookup, http=http)
    return Rendered(config, tuple(unresolved(settings.config, lookup)), tuple(ignored))


__all__ = ["Rendered", "read_rendered"]
