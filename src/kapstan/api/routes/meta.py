"""Unauthenticated endpoints: ``/api/version``, ``/healthz``, ``/api/v1/settings`` (Argo CD's
settings the UI reads before login; a few more once logged in, as Argo CD) and
``/extensions.js`` (empty: no UI extensions)."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kapstan.api.common import JSON, Ctx
from kapstan.api.context import ApiContext
from kapstan.api.errors import ApiError
from kapstan.api.security import principal_of
from kapstan.model.vocabulary import DEFAULT_INSTANCE_LABEL
from kapstan.services.auth.accounts import Accounts, Capability
from kapstan.services.auth.dex.config import connector_summary, dex_settings
from kapstan.services.auth.errors import AuthConfigError

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


def _logins_disabled(cm: dict[str, str]) -> bool:
    """Argo CD's ``userLoginsDisabled``: no enabled local account may log in (the UI then
    hides its username/password form)."""
    accounts = Accounts.parse(cm, {}).by_name.values()
    return not any(a.enabled and a.has(Capability.LOGIN) for a in accounts)


def _help(cm: dict[str, str]) -> dict[str, Any]:
    chat_url = cm.get("help.chatUrl", "")
    binaries = {
        key.removeprefix("help.download."): value
        for key, value in cm.items()
        if key.startswith("help.download.") and value
    }
    out: dict[str, Any] = {"chatUrl": chat_url}
    out["chatText"] = cm.get("help.chatText", "Chat now!") if "help.chatUrl" in cm else ""
    if binaries:
        out["binaryUrls"] = binaries
    return _present(out)


def _additional_urls(cm: dict[str, str]) -> list[str]:
    try:
        found = yaml.safe_load(cm.get("additionalUrls") or "[]")
    except yaml.YAMLError:
        return []
    return [str(u) for u in found] if isinstance(found, list) else []


def _logged_in(request: Request, ctx: ApiContext) -> bool:
    try:
        principal_of(request, ctx.authn)
    except ApiError:
        return False
    return True


@router.get("/api/v1/settings")
def settings(request: Request, ctx: Ctx) -> Response:
    """The settings of Argo CD's ``SettingsService.Get``: the public part to anyone (the UI
    reads them before login), the banner, namespace and password rules once logged in."""
    snap = ctx.settings()
    cm = dict(snap.cm)
    parsed = snap.settings
    body: dict[str, Any] = {
        "url": cm.get("url", ""),
        "additionalUrls": _additional_urls(cm),
        "appLabelKey": cm.get("application.instanceLabelKey", DEFAULT_INSTANCE_LABEL),
        "trackingMethod": parsed.tracking_method.value,
        "statusBadgeEnabled": _bool(cm, "statusbadge.enabled"),
        "statusBadgeRootUrl": cm.get("statusbadge.url", ""),
        "execEnabled": _bool(cm, "exec.enabled"),
        "userLoginsDisabled": _logins_disabled(cm),
        "resourceViewEnabled": cm.get("ui.view.resources.disabled") != "true",
        "uiCssURL": cm.get("ui.cssurl", ""),
        "uiLoginButtonText": cm.get("ui.loginButtonText", ""),
        "installationID": cm.get("installationID", ""),
        # Objects are always there, as in Argo CD: the UI reads settings.help.chatText and
        # settings.help.binaryUrls without checking that help exists.
        "kustomizeOptions": _present({"buildOptions": cm.get("kustomize.buildOptions", "")}),
        "googleAnalytics": _present(
            {
                "trackingID": cm.get("ga.trackingid", ""),
                "anonymizeUsers": cm.get("ga.anonymizeusers") != "false",
            }
        ),
        "help": _help(cm),
    }
    oidc = _oidc_config(ctx)
    if oidc is not None:
        body["oidcConfig"] = oidc
    dex = _dex_config(ctx)
    if dex is not None:
        body["dexConfig"] = dex
    if _logged_in(request, ctx):
        body |= {
            "controllerNamespace": ctx.namespace,
            "passwordPattern": cm.get("passwordPattern", ""),
            "uiBannerContent": cm.get("ui.bannercontent", ""),
            "uiBannerURL": cm.get("ui.bannerurl", ""),
            "uiBannerPermanent": cm.get("ui.bannerpermanent") == "true",
            "uiBannerPosition": cm.get("ui.bannerposition", ""),
        }
    # Argo CD's JSON leaves out empty values ("", false, []), not empty objects.
    return JSON({k: v for k, v in body.items() if isinstance(v, dict) or v not in ("", False, [])})


def _oidc_config(ctx: ApiContext) -> dict[str, Any] | None:
    """Argo CD's ``oidcConfig``: what the UI and the CLI need to start a login (never the
    secret)."""
    config = ctx.auth.oidc.config() if ctx.auth is not None else None
    if config is None or ctx.auth is None or ctx.auth.oidc.uses_dex():
        return None
    out: dict[str, Any] = {
        "name": config.name,
        "issuer": config.issuer,
        "clientID": config.client_id,
        "cliClientID": config.cli_client_id,
        "scopes": list(config.scopes),
        "enablePKCEAuthentication": config.enable_pkce,
    }
    if config.requested_id_token_claims:
        out["idTokenClaims"] = dict(config.requested_id_token_claims)
    return _present(out)


def _dex_config(ctx: ApiContext) -> dict[str, Any] | None:
    """Argo CD's ``dexConfig`` (the connectors' names and types) when the login goes through
    the bundled Dex; the CLI then logs in with ``argo-cd-cli`` at ``<url>/api/dex``."""
    if ctx.auth is None or not ctx.auth.oidc.uses_dex():
        return None
    try:
        settings = dex_settings(ctx.settings().cm)
    except AuthConfigError:
        return None
    return {"connectors": list(connector_summary(settings))} if settings else None


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", None, False)}


__all__ = ["router"]
