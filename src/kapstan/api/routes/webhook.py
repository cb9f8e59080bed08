"""``POST /api/webhook``: Git hosts' and registries' push notifications (Argo CD's endpoint and
answers).

Contract: unauthenticated (the providers' secrets in ``argocd-secret`` are the proof of origin,
:mod:`kapstan.services.webhooks.signatures`; Docker Hub and Quay carry theirs in the URL's
query, :mod:`kapstan.services.webhooks.detect`). The body is read up to
``webhook.maxPayloadSizeMB`` (argocd-cm, default 50) and refused as soon as it is larger —
by its declared length before any of it is read, else while reading — before anything parses
it. Answers are Argo CD's plain-text ones: 200 and an empty body when the push is queued (or
asks for nothing, e.g. a ping), 400 ``Unknown webhook event`` / ``Webhook processing failed:
<reason>``, 401 ``Unauthorized`` (a registry's secret or signature), 503 ``Queue is full,
discarding webhook payload``. The answer is the same whether
or not any app uses the repository, so a webhook cannot tell which apps exist; the refreshes
happen after the answer (:mod:`kapstan.services.webhooks.refresher`), on the apps of the
server's namespace and of the namespaces ``application.namespaces`` allows
(:mod:`kapstan.services.webhooks.namespaces`); a registry push is then published to the
server's registry subscribers (:mod:`kapstan.services.webhooks.subscribers`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import APIRouter
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from kapstan.api.common import Ctx
from kapstan.api.context import ApiContext
from kapstan.services.webhooks import detect
from kapstan.services.webhooks.events import PROCESSING_FAILED, Event, RegistryPush, Rejected
from kapstan.services.webhooks.jitter import jitter_of
from kapstan.services.webhooks.namespaces import app_namespaces, webhook_apps
from kapstan.services.webhooks.refresher import WebhookQueue, refresh_matching
from kapstan.services.webhooks.signatures import UNAUTHORIZED

log = logging.getLogger(__name__)
router = APIRouter()
MAX_PAYLOAD_KEY = "webhook.maxPayloadSizeMB"
DEFAULT_MAX_PAYLOAD_MB = 50
QUEUE_FULL = "Queue is full, discarding webhook payload"


def max_payload_mb(cm: Mapping[str, str]) -> int:
    """``webhook.maxPayloadSizeMB`` of argocd-cm; missing or not a positive integer: 50."""
    raw = cm.get(MAX_PAYLOAD_KEY, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    if raw:
        log.warning("argocd-cm %s is not a positive integer; using %d", MAX_PAYLOAD_KEY, 50)
    return DEFAULT_MAX_PAYLOAD_MB


class TooLarge(Rejected):
    """A body over the limit: answered with ``Connection: close`` so that the server drops the
    connection instead of receiving (and discarding) the rest of the upload."""


def _too_large(limit_mb: int) -> Rejected:
    return TooLarge(
        f"{PROCESSING_FAILED}: The payload is either too large or corrupted. Please check the "
        f"payload size (must be under {limit_mb} MB) and ensure it is valid JSON"
    )


async def read_payload(request: Request, limit_mb: int) -> bytes:
    """The body, refused (400) once it passes ``limit_mb`` MiB, by its declared length first."""
    limit = limit_mb * 1024 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit_mb)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit_mb)
            chunks.append(chunk)
    except ClientDisconnect:
        raise Rejected(f"{PROCESSING_FAILED}: error parsing payload") from None
    return b"".join(chunks)


def queue_of(ctx: ApiContext) -> WebhookQueue:
    """The server's push queue, made on first use (its workers need the running loop)."""
    if ctx.webhooks is None:

        async def handle(event: Event) -> object:
            snapshot = ctx.settings()
            patterns = app_namespaces(snapshot.params)
            apps = await webhook_apps(ctx.kube, ctx.mirror.apps(), ctx.namespace, patterns)
            jitter = jitter_of(snapshot.cm)
            done = await refresh_matching(ctx.kube, apps, event, ctx.namespace, jitter)
            if isinstance(event, RegistryPush):
                await ctx.registry_pushes.publish(event)
            return done

        ctx.webhooks = WebhookQueue(handle)
    return ctx.webhooks


def _answer(message: str, status: int, *, close: bool = False) -> Response:
    # Go's http.Error: the message and a newline, as plain text that is never sniffed.
    headers = {"X-Content-Type-Options": "nosniff"}
    if close:
        headers["Connection"] = "close"
    return PlainTextResponse(f"{message}\n", status_code=status, headers=headers)


@router.post("/api/webhook", include_in_schema=True)
async def webhook(request: Request, ctx: Ctx) -> Response:
    snapshot = ctx.settings()
    try:
        query = dict(request.query_params)
        provider = detect.provider_of(request.headers, query, snapshot.secret)
        body = await read_payload(request, max_payload_mb(snapshot.cm))
        events = detect.parse(provider, request.headers, body, snapshot.secret, query)
    except Rejected as err:
        if "verification failed" in err.message or err.message == UNAUTHORIZED:
            log.info("webhook from %s refused: %s", request.client, err.message)
        return _answer(err.message, err.status, close=isinstance(err, TooLarge))
    if events and not all(map(queue_of(ctx).offer, events)):  # stops at the first refusal
        log.info("webhook queue is full, discarding an event")
        return _answer(QUEUE_FULL, 503)
    return Response(status_code=200)


__all__ = ["DEFAULT_MAX_PAYLOAD_MB", "MAX_PAYLOAD_KEY", "max_payload_mb", "read_payload", "router"]
