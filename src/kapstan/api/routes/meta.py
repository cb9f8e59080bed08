"""Unauthenticated endpoints: ``/api/version``, ``/healthz``, ``/api/v1/settings`` (Argo CD's
public settings the UI reads before login) and ``/extensions.js`` (empty: no UI extensions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import PlainTextResponse, Response

from kapstan.api.common import JSON, Ctx
from kapstan.model.vocabulary import DEFAULT_INSTANCE_LABEL

router = APIRouter()


@router.get("/api/version")
def version(ctx: Ctx) -> Response:
    return JSON(dict(ctx.version))


@router.get("/healthz")
def healthz() -> Response:
    return PlainTextResponse("ok")


@router.get("/extensions.js")
def extensions() -> Response:
    return Response(b"", media_type="application/javascript")


def _bool(cm: dict[str, str], key: str, default: bool = False) -> bool:
    value = cm.get(key)
    return default if value is None else value.strip().lower() == "true"


@router.get("/api/v1/settings")
def settings(ctx: Ctx) -> Response:
    """The settings Argo CD's ``SettingsService.Get`` hands out without authentication."""
    snap = ctx.settings()
    cm = dict(snap.cm)
    parsed = snap.settings
    body: dict[str, Any] = {
        "appLabelKey": cm.get("application.instanceLabelKey", DEFAULT_INSTANCE_LABEL),
        "controllerNamespace": ctx.namespace,
        "trackingMethod": parsed.tracking_method.value,
        "statusBadgeEnabled": _bool(cm, "statusbadge.enabled"),
        "execEnabled": _bool(cm, "exec.enabled"),
        "passwordPattern": cm.get("passwordPattern", ""),
        "uiCssURL": cm.get("ui.cssurl", ""),
        "uiBannerContent": cm.get("ui.bannercontent", ""),
        "kustomizeOptions": {"buildOptions": cm.get("kustomize.buildOptions", "")},
        "help": {"chatUrl": cm.get("help.chatUrl", ""), "chatText": cm.get("help.chatText", "")},
    }
    if cm.get("url"):
        body["url"] = cm["url"]
    return JSON({k: v for k, v in body.items() if v not in ("", None)})


__all__ = ["router"]
