"""``GET /api/v1/applications/{name}/links`` and ``.../resource/links``: argocd-cm deep links
rendered for the app, its cluster and a live resource."""

from __future__ import annotations

import base64
from typing import Any

from kapstan.testing.api import ApiHarness, bearer
from tests.unit.api.resources import APP_NS, Body, deployment, query, secret, serve

APP_LINKS = """
- url: https://grafana.example/d/x?var-ns={{.application.spec.destination.namespace}}&c={{.cluster.name}}
  title: Grafana
  description: dashboards
  icon.class: fa-chart
- url: https://audit.example/{{ .app.metadata.name | upper }}
  title: Audit
  if: app.spec.project == "default"
- url: https://never.example
  title: Never
  if: app.spec.project == "team-a"
- url: https://broken.example/{{.application.nothing.deeper}}
  title: Broken template
- url: https://nonbool.example
  title: Non-boolean condition
  if: app.metadata.name
- url: "{{.managedByURL}}/applications/{{.app.metadata.name}}"
  title: Home
"""
RESOURCE_LINKS = """
- url: https://logs.example/?q={{.resource.metadata.name}}&kind={{.resource.kind}}
  title: Logs
  if: resource.kind == "Deployment" || resource.kind == "Pod"
- url: https://vault.example/{{ index .resource.data "password" }}
  title: Secret value
  if: resource.kind == "Secret"
- url: https://p.example/{{.project.metadata.name}}
  title: Project
"""


def run(body: Body, *objects: dict[str, Any], links: dict[str, str]) -> None:
    serve(body, objects, cm={"url": "https://cd.example", **links})


def test_app_links_render_conditions_and_skip_failures() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.get("/api/v1/applications/guestbook/links", headers=bearer("admin"))
        assert resp.status_code == 200, resp.text
        assert resp.json() == {
            "items": [
                {
                    "title": "Grafana",
                    "url": f"https://grafana.example/d/x?var-ns={APP_NS}&c=in-cluster",
                    "description": "dashboards",
                    "iconClass": "fa-chart",
                },
                {"title": "Audit", "url": "https://audit.example/GUESTBOOK"},
                {"title": "Home", "url": "https://cd.example/applications/guestbook"},
            ]
        }

    run(body, links={"application.links": APP_LINKS})


def test_resource_links_see_the_masked_resource_and_the_project() -> None:
    value = base64.b64encode(b"hunter2").decode()

    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        path = "/api/v1/applications/guestbook/resource/links"
        web = await api.http.get(path, params=query(stored[0]), headers=bearer("admin"))
        assert web.json()["items"] == [
            {"title": "Logs", "url": "https://logs.example/?q=web&kind=Deployment"},
            {"title": "Project", "url": "https://p.example/default"},
        ]
        creds = await api.http.get(path, params=query(stored[1]), headers=bearer("admin"))
        items = creds.json()["items"]
        assert items[0] == {"title": "Secret value", "url": "https://vault.example/++++++++"}
        assert value not in creds.text

    run(body, deployment(), secret(password=value), links={"resource.links": RESOURCE_LINKS})


def test_links_settings_that_are_not_a_list_fail_the_request() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.get("/api/v1/applications/guestbook/links", headers=bearer("admin"))
        assert resp.status_code == 500
        assert resp.json()["code"] == 2

    run(body, links={"application.links": "title: not a list"})


def test_no_links_configured() -> None:
    async def body(api: ApiHarness, stored: list[dict[str, Any]]) -> None:
        resp = await api.http.get("/api/v1/applications/guestbook/links", headers=bearer("admin"))
        assert resp.json() == {"items": []}

    run(body, links={})
