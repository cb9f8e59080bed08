"""``GET /api/v1/settings`` as Argo CD's UI reads it: the objects it dereferences without a
check are always there, ``userLoginsDisabled`` hides the login form when no local account
may log in, the resources view is on by default, and the banner, controller namespace and
password rules are only given to a logged-in caller (as Argo CD's SettingsService.Get)."""

from __future__ import annotations

import asyncio
from typing import Any

from kapstan.testing.api import api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS


def _settings(cm: dict[str, str], *, logged_in: bool = False) -> dict[str, Any]:
    async def body() -> dict[str, Any]:
        fake = FakeKube(namespaces=(NS,))
        install_into(fake, NS)
        cm_body = {"apiVersion": "v1", "kind": "ConfigMap", "data": {**cm, "marker": "1"}}
        fake.put({**cm_body, "metadata": {"name": "argocd-cm", "namespace": NS}})
        async with api_on(fake, namespace=NS) as api:
            await until("argocd-cm", lambda: api.ctx.settings().cm.get("marker") == "1")
            headers = bearer("admin") if logged_in else {}
            answer = await api.http.get("/api/v1/settings", headers=headers)
            assert answer.status_code == 200
            found: dict[str, Any] = answer.json()
            return found

    return asyncio.run(body())


def test_defaults_the_ui_relies_on() -> None:
    found = _settings({})
    assert found["help"] == {}
    assert found["googleAnalytics"] == {"anonymizeUsers": True}
    assert found["kustomizeOptions"] == {}
    assert found["resourceViewEnabled"] is True
    assert "userLoginsDisabled" not in found  # admin may log in (false is left out)
    assert found["appLabelKey"] == "app.kubernetes.io/instance"


def test_values_from_argocd_cm() -> None:
    found = _settings(
        {
            "url": "https://cd.example",
            "additionalUrls": "- https://cd2.example\n",
            "help.chatUrl": "https://chat.example",
            "help.download.linux-amd64": "https://dl.example/argocd",
            "ga.trackingid": "UA-1",
            "ga.anonymizeusers": "false",
            "ui.view.resources.disabled": "true",
            "statusbadge.enabled": "true",
            "statusbadge.url": "https://badge.example/",
            "kustomize.buildOptions": "--enable-helm",
            "ui.bannercontent": "maintenance tonight",
        }
    )
    assert found["url"] == "https://cd.example"
    assert found["additionalUrls"] == ["https://cd2.example"]
    assert found["help"] == {
        "chatUrl": "https://chat.example",
        "chatText": "Chat now!",
        "binaryUrls": {"linux-amd64": "https://dl.example/argocd"},
    }
    assert found["googleAnalytics"] == {"trackingID": "UA-1"}
    assert "resourceViewEnabled" not in found
    assert (found["statusBadgeEnabled"], found["statusBadgeRootUrl"]) == (
        True,
        "https://badge.example/",
    )
    assert found["kustomizeOptions"] == {"buildOptions": "--enable-helm"}
    assert "uiBannerContent" not in found  # not before login


def test_no_local_login_hides_the_form() -> None:
    assert _settings({"admin.enabled": "false"})["userLoginsDisabled"] is True
    with_alice = {"admin.enabled": "false", "accounts.alice": "apiKey, login"}
    assert "userLoginsDisabled" not in _settings(with_alice)
    only_keys = {"admin.enabled": "false", "accounts.ci": "apiKey"}
    assert _settings(only_keys)["userLoginsDisabled"] is True


def test_logged_in_callers_get_the_banner_and_the_namespace() -> None:
    cm = {
        "ui.bannercontent": "maintenance tonight",
        "ui.bannerurl": "https://status.example",
        "ui.bannerpermanent": "true",
        "ui.bannerposition": "bottom",
        "passwordPattern": "^.{12,}$",
    }
    anonymous = _settings(cm)
    for key in ("uiBannerContent", "controllerNamespace", "passwordPattern", "uiBannerURL"):
        assert key not in anonymous
    found = _settings(cm, logged_in=True)
    assert found["controllerNamespace"] == NS
    assert found["passwordPattern"] == "^.{12,}$"
    assert (found["uiBannerContent"], found["uiBannerURL"]) == (
        "maintenance tonight",
        "https://status.example",
    )
    assert (found["uiBannerPermanent"], found["uiBannerPosition"]) == (True, "bottom")
