"""Who else hears of registry pushes: the hook image automation subscribes to.

Contract of :class:`RegistrySubscribers`: :meth:`~RegistrySubscribers.subscribe` adds an async
callable taking a :class:`~kapstan.services.webhooks.events.RegistryPush` and returns the
function that removes it; :meth:`~RegistrySubscribers.publish` awaits every subscriber in turn
(nobody subscribed: nothing happens) after the webhook's answer and after the apps' refreshes
were asked for, on the webhook queue's workers; a subscriber that raises is logged and the
others still run. Pushes reach subscribers only once verified (signature or secret checked)
and parsed; a subscriber should return quickly (hand long work to its own task), as it holds a
webhook worker meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from kapstan.services.webhooks.events import RegistryPush

log = logging.getLogger(__name__)
RegistrySubscriber = Callable[[RegistryPush], Awaitable[None]]


class RegistrySubscribers:
    """The subscribers of one server (see the module contract)."""

    def __init__(self) -> None:
        self._subscribers: list[RegistrySubscriber] = []

    def subscribe(self, subscriber: RegistrySubscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    async def publish(self, push: RegistryPush) -> None:
        for subscriber in list(self._subscribers):
            try:
                await subscriber(push)
            except Exception:  # one subscriber must not stop the others
                log.exception("webhook: a registry push subscriber failed")


__all__ = ["RegistrySubscriber", "RegistrySubscribers"]
