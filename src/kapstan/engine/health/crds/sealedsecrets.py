"""Bitnami Sealed Secrets ``bitnami.com/SealedSecret``.

The controller records each unsealing in a ``Synced`` condition: True once the Secret was
written, False with the reason (typically "no key could decrypt secret") when it could
not be. ``status.observedGeneration`` tells whether the latest spec was tried.
"""

from __future__ import annotations

from kapstan.engine.health._fields import Obj, condition
from kapstan.engine.health.crds._common import by_ready, stale_generation
from kapstan.model.health import ResourceHealth


def sealed_secret(obj: Obj) -> ResourceHealth:
    """The Synced condition of a SealedSecret."""
    return stale_generation(obj) or by_ready(
        condition(obj, "Synced"), "Waiting for the controller to unseal the secret"
    )
