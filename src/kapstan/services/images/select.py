"""Asking one registry which tag an image should run.

Contract of :func:`select_tag`: lists the image's tags (one request when nothing changed:
see :class:`~kapstan.source.registry.RegistryClient`), then per strategy: ``digest`` reads the
followed tag's digest (one ``HEAD``); ``newest-build`` and platform filters read each tag that
passes the filters (manifest and config, cached per tag, at most :data:`MAX_DETAIL_TAGS` tags
and 8 at a time); the others decide on the names alone. Returns the policy's
:class:`~kapstan.services.images.policy.Choice`; registry failures raise
:class:`~kapstan.source.registry.RegistryError`.
"""

from __future__ import annotations

import asyncio

from kapstan.services.images.annotations import ImageSpec
from kapstan.services.images.policy import (
    Candidate,
    Choice,
    Strategy,
    candidates_of,
    choose,
    needs_details,
)
from kapstan.source.registry import RegistryClient

MAX_DETAIL_TAGS = 2000  # newest-build reads two documents per tag: refuse absurd fan-outs
_DETAIL_CONCURRENCY = 8


async def select_tag(client: RegistryClient, spec: ImageSpec) -> Choice:
    """The tag ``spec`` should run, from ``client``'s registry (see the module contract)."""
    repo = spec.image.repository
    listed = await client.tags(repo)
    policy = spec.policy
    if policy.strategy is Strategy.DIGEST:
        if policy.constraint not in listed.tags:
            return Choice(None, f"tag {policy.constraint!r} not found in {spec.name}")
        digest = await client.digest(repo, policy.constraint)
        return Choice(policy.constraint, considered=1, digest=digest)
    if not needs_details(policy):
        return choose(policy, [Candidate(t) for t in listed.tags])
    names = candidates_of(policy, listed.tags)
    if len(names) > MAX_DETAIL_TAGS:
        return Choice(
            None,
            f"{len(names)} tags pass the filters; {policy.strategy} reads each tag's image, "
            f"so narrow them with allow-tags (at most {MAX_DETAIL_TAGS})",
            len(names),
        )
    gate = asyncio.Semaphore(_DETAIL_CONCURRENCY)

    async def one(tag: str) -> Candidate:
        async with gate:
            d = await client.details(repo, tag, policy.platforms)
        return Candidate(tag, created=d.created, platforms=d.platforms, digest=d.digest)

    return choose(policy, list(await asyncio.gather(*(one(t) for t in names))))


__all__ = ["MAX_DETAIL_TAGS", "select_tag"]
