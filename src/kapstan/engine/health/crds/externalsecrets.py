"""External Secrets Operator ``ExternalSecret``, ``SecretStore`` and ``ClusterSecretStore``
(``external-secrets.io``).

An ExternalSecret's ``Ready`` condition is True with reason ``SecretSynced`` once the
target Secret holds the provider's data and False with ``SecretSyncedError`` when a sync
failed (the message says why). A store's ``Ready`` condition is True once the provider
configuration was validated and False when it is invalid or unreachable.
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, condition
from kapstan.engine.health.crds._common import by_ready, stale_generation
from kapstan.model.health import ResourceHealth


def external_secret(obj: Obj) -> ResourceHealth:
    """The Ready condition of an ExternalSecret."""
    return stale_generation(obj) or by_ready(
        condition(obj, "Ready"), "Waiting for the secret to be synced"
    )


def secret_store(obj: Obj) -> ResourceHealth:
    """The Ready condition of a SecretStore or ClusterSecretStore."""
    return stale_generation(obj) or by_ready(
        condition(obj, "Ready"), "Waiting for the store to be validated"
    )
