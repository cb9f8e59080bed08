"""Repository certificates (Argo CD's ``CertificateService``): list, create and delete the SSH
known hosts and TLS CA certificates repositories are checked against.

RBAC is ``certificates, get|create|delete`` with an empty object, as Argo CD asks it (all or
nothing). ``certData`` is base64 in requests and answers, as grpc-gateway encodes bytes.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kapstan.api.body import json_object
from kapstan.api.common import JSON, Caller, Ctx
from kapstan.api.errors import ApiError, Code, invalid
from kapstan.api.routes.applications import api_error
from kapstan.api.security import require
from kapstan.kube.errors import Conflict, KubeError
from kapstan.model.vocabulary import KNOWN_HOSTS_KEY
from kapstan.services.certificates import (
    CertificateStore,
    InvalidCertificate,
    Selector,
    add_certificates,
    list_certificates,
    remove_certificates,
)

router = APIRouter()
RESOURCE = "certificates"


def _selector(host: str, cert_type: str, sub_type: str) -> Selector:
    if cert_type not in ("", "*", "ssh", "https", "tls"):
        raise invalid(f"certType must be ssh or https, not {cert_type!r}")
    return Selector(host, cert_type, sub_type)


@router.get("/api/v1/certificates")
async def list_certs(
    ctx: Ctx,
    principal: Caller,
    hostNamePattern: str = "",
    certType: str = "",
    certSubType: str = "",
) -> Response:
    require(ctx.authz, principal, RESOURCE, "get", "")
    selector = _selector(hostNamePattern, certType, certSubType)
    store = CertificateStore(ctx.kube, ctx.namespace)
    try:
        known_cm, _ = await store.known_hosts()
        _, tls = await store.tls()
    except KubeError as err:
        raise api_error(err) from None
    text = str((known_cm.get("data") or {}).get(KNOWN_HOSTS_KEY) or "")
    return JSON({"metadata": {}, "items": list_certificates(text, tls, selector)})


@router.post("/api/v1/certificates")
async def create_certs(
    request: Request, ctx: Ctx, principal: Caller, upsert: bool = False
) -> Response:
    require(ctx.authz, principal, RESOURCE, "create", "")
    data = await json_object(request, ctx.max_body, known={"items", "metadata"})
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise invalid("items must be a non-empty list of certificates")
    store = CertificateStore(ctx.kube, ctx.namespace)
    try:
        known_cm, known = await store.known_hosts()
        tls_cm, tls = await store.tls()
        before_known, before_tls = known.text(), dict(tls)
        created = add_certificates(known, tls, items, upsert=upsert)
        if known.text() != before_known:
            await store.write(
                known_cm, {**(known_cm.get("data") or {}), KNOWN_HOSTS_KEY: known.text()}
            )
        if tls != before_tls:
            await store.write(tls_cm, tls)
    except InvalidCertificate as err:
        raise invalid(str(err)) from None
    except Conflict:
        raise ApiError(Code.ABORTED, "the certificates changed meanwhile; try again") from None
    except KubeError as err:
        raise api_error(err) from None
    return JSON({"metadata": {}, "items": created})


@router.delete("/api/v1/certificates")
async def delete_certs(
    ctx: Ctx,
    principal: Caller,
    hostNamePattern: str = "",
    certType: str = "",
    certSubType: str = "",
) -> Response:
    require(ctx.authz, principal, RESOURCE, "delete", "")
    if not hostNamePattern:
        raise invalid("hostNamePattern is required (use * to remove every certificate)")
    selector = _selector(hostNamePattern, certType, certSubType)
    store = CertificateStore(ctx.kube, ctx.namespace)
    try:
        known_cm, known = await store.known_hosts()
        tls_cm, tls = await store.tls()
        before_known, before_tls = len(known.entries), len(tls)
        removed = remove_certificates(known, tls, selector)
        if len(known.entries) != before_known:
            await store.write(
                known_cm, {**(known_cm.get("data") or {}), KNOWN_HOSTS_KEY: known.text()}
            )
        if len(tls) != before_tls:
            await store.write(tls_cm, tls)
    except Conflict:
        raise ApiError(Code.ABORTED, "the certificates changed meanwhile; try again") from None
    except KubeError as err:
        raise api_error(err) from None
    return JSON({"metadata": {}, "items": removed})


__all__ = ["router"]
