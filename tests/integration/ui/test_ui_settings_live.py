"""Settings, user info and the PR preview in Chromium against ``kapstan server
--with-controller`` on the real cluster, driven as a user drives them:

- Settings → Projects: create a project, add two destinations and save, remove one and save;
  the AppProject read back through the API has exactly what the page showed;
- Settings → Repositories: connect a private repository served over HTTP with basic auth
  (test the connection first), see it listed as Successful, the password nowhere on the page;
- User info: admin, its groups and a table of can-i answers;
- PR preview: a branch of the app's repository with a changed ConfigMap, previewed from
  ``/preview/<ns>/<app>``: the changed resource, its changed field and the diff appear, and
  the cluster and the app are left as they were (nothing synced).

Screenshots (light and dark) of the project page, the repositories and the preview page.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.process import capture
from kapstan.testing import gitservers
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.chartservers import auth_chart_repo
from tests.integration.ui.conftest import Install, login, screenshot

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

IN_CLUSTER = "https://kubernetes.default.svc"
GIT_USER, GIT_PASSWORD = "deployer", "ui-s3cret-Pa55"


def _both_themes(page: Any, name: str, tmp_path: Path) -> None:
    for theme in ("light", "dark"):
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        screenshot(page, name, tmp_path)
    page.evaluate("document.documentElement.dataset.theme = 'light'")


def _fits_a_phone(page: Any) -> None:
    """At 390 px wide the page scrolls down, never sideways."""
    page.set_viewport_size({"width": 390, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert width <= 390, f"the page is {width}px wide at 390px"


def _saved(page: Any) -> None:
    """Wait for the project page to say "Saved" (not "Unsaved changes": exact text)."""
    page.get_by_role("region", name="Save project").get_by_text("Saved", exact=True).wait_for()


def _admin(install: Install, ui: ApiServerProcess) -> Any:
    return contextlib.closing(
        install.client(ui, install.login(ui, "admin", install.admin_password()))
    )


def _destinations(install: Install, ui: ApiServerProcess, project: str) -> list[dict[str, Any]]:
    with _admin(install, ui) as http:
        answer = http.get(f"/api/v1/projects/{project}")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["spec"].get("destinations") or [])


def test_project_destinations_are_added_and_removed_in_settings(
    page: Any, ui: ApiServerProcess, install: Install, tmp_path: Path
) -> None:
    login(page, ui, "admin", install.admin_password())
    project = f"ui-team-{uuid.uuid4().hex[:5]}"
    page.goto(f"{ui.base_url}/settings/projects")
    page.get_by_label("Project name").fill(project)
    page.get_by_label("Description (optional)").fill("made in the UI")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(f"**/settings/projects/{project}")

    for namespace in ("team-a", "team-b"):
        page.get_by_label("Destination server").fill(IN_CLUSTER)
        page.get_by_label("Destination namespace").fill(namespace)
        page.get_by_role("button", name="Add destination").click()
    page.get_by_label("New source repository").fill("*")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save project").click()
    _saved(page)
    assert _destinations(install, ui, project) == [
        {"server": IN_CLUSTER, "namespace": "team-a"},
        {"server": IN_CLUSTER, "namespace": "team-b"},
    ]
    _both_themes(page, "settings-project", tmp_path)
    _fits_a_phone(page)

    page.get_by_role("button", name=f"Remove destination {IN_CLUSTER} / team-a").click()
    page.get_by_role("button", name="Save project").click()
    _saved(page)
    assert _destinations(install, ui, project) == [{"server": IN_CLUSTER, "namespace": "team-b"}]

    # A bad change is refused by the API and its message is shown next to Save.
    page.get_by_role("button", name="Add sync window").click()
    page.get_by_label("Schedule of window 1").fill("not a cron")
    page.get_by_role("button", name="Save project").click()
    alert = page.get_by_role("region", name="Save project").get_by_role("alert")
    alert.wait_for()
    assert "(HTTP 400)" in alert.inner_text()
    assert page.get_by_text("Unsaved changes").is_visible()

    # After a reload the page shows what the API holds.
    page.reload()
    destinations = page.get_by_role("table", name="Destinations")
    destinations.get_by_role("cell", name="team-b", exact=True).wait_for()
    assert destinations.get_by_role("cell", name="team-a", exact=True).count() == 0


def _project(install: Install, ui: ApiServerProcess, project: str) -> dict[str, Any]:
    with _admin(install, ui) as http:
        answer = http.get(f"/api/v1/projects/{project}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_project_roles_tokens_and_sync_windows_in_settings(
    page: Any, ui: ApiServerProcess, install: Install
) -> None:
    login(page, ui, "admin", install.admin_password())
    project = f"ui-roles-{uuid.uuid4().hex[:5]}"
    page.goto(f"{ui.base_url}/settings/projects")
    page.get_by_label("Project name").fill(project)
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(f"**/settings/projects/{project}")

    page.get_by_label("New role name").fill("ci")
    page.get_by_role("button", name="Add role").click()
    policy = f"p, proj:{project}:ci, applications, get, {project}/*, allow"
    page.get_by_label("Policies of ci (one per line)").fill(policy)
    page.get_by_role("button", name="Add sync window").click()
    page.get_by_label("Kind of window 1").select_option("deny")
    page.get_by_label("Duration of window 1").fill("2h")
    page.get_by_label("Allow manual sync (window 1)").check()
    page.get_by_role("button", name="Save project").click()
    _saved(page)
    spec = _project(install, ui, project)["spec"]
    assert spec["roles"] == [{"name": "ci", "policies": [policy]}]
    assert spec["syncWindows"] == [
        {
            "kind": "deny",
            "schedule": "0 22 * * *",
            "duration": "2h",
            "applications": ["*"],
            "manualSync": True,
        }
    ]

    # A token is shown once, where it was created; the project then lists it.
    page.get_by_role("button", name="Create token for ci").click()
    token = page.get_by_label("New token").inner_text()
    assert token.count(".") == 2, token
    tokens = _project(install, ui, project)["spec"]["roles"][0]["jwtTokens"]
    assert len(tokens) == 1
    page.reload()
    page.get_by_role("button", name="Create token for ci").wait_for()
    assert token not in page.content()
    page.get_by_role(
        "button", name=f"Delete token {tokens[0].get('id') or tokens[0]['iat']} of role ci"
    ).click()
    page.get_by_role("button", name="Delete it").click()
    page.get_by_text("No tokens.").wait_for()
    assert not _project(install, ui, project)["spec"]["roles"][0].get("jwtTokens")


def test_account_tokens_in_settings(page: Any, ui: ApiServerProcess, install: Install) -> None:
    found = install.kubectl.get_json(
        "configmap", "-n", install.ns, "--field-selector", "metadata.name=argocd-cm"
    )["items"]
    data = (found[0].get("data") or {}) if found else {}
    install.argo.set_argocd_cm({**data, "accounts.robot": "apiKey"})
    login(page, ui, "admin", install.admin_password())
    page.goto(f"{ui.base_url}/settings/accounts")
    row = page.get_by_role("table", name="Accounts").get_by_role("row").filter(has_text="robot")
    row.get_by_text("apiKey").wait_for()
    row.get_by_label("Token id (optional)").fill("deploy-bot")
    row.get_by_role("button", name="Generate token for robot").click()
    token = row.get_by_label("New token").inner_text()
    assert token.count(".") == 2, token
    with _admin(install, ui) as http:
        listed = http.get("/api/v1/account/robot").json().get("tokens") or []
    assert [t["id"] for t in listed] == ["deploy-bot"]
    row.get_by_role("button", name="Delete token deploy-bot of robot").click()
    row.get_by_role("button", name="Delete it").click()
    row.get_by_text("deploy-bot").wait_for(state="detached")
    with _admin(install, ui) as http:
        assert not http.get("/api/v1/account/robot").json().get("tokens")


def test_clusters_and_credential_templates_in_settings(
    page: Any, ui: ApiServerProcess, install: Install
) -> None:
    login(page, ui, "admin", install.admin_password())
    page.goto(f"{ui.base_url}/settings/clusters")
    row = page.get_by_role("table", name="Clusters").get_by_role("row").filter(has_text=IN_CLUSTER)
    row.get_by_text("Successful").wait_for()
    with _admin(install, ui) as http:
        version = http.get("/api/v1/clusters").json()["items"][0]["serverVersion"]
    assert version
    assert row.get_by_role("cell", name=version, exact=True).is_visible()
    assert row.get_by_role("button", name="Delete cluster in-cluster").count() == 0

    prefix = f"https://git.example/{uuid.uuid4().hex[:5]}/"
    page.get_by_role("link", name="Repository credentials").click()
    form = page.get_by_role("form", name="Add credential template")
    form.get_by_label("URL prefix").fill(prefix)
    form.get_by_label("Username (optional)").fill("bot")
    form.get_by_label("Password (optional)").fill("template-Pa55")
    form.get_by_role("button", name="Add template").click()
    templates = page.get_by_role("table", name="Credential templates")
    templates.get_by_role("cell", name=prefix, exact=True).wait_for()
    assert "template-Pa55" not in page.content()
    with _admin(install, ui) as http:
        listed = http.get("/api/v1/repocreds").json()["items"]
    assert {"url": prefix, "username": "bot"}.items() <= next(
        t for t in listed if t["url"] == prefix
    ).items()
    page.get_by_role("button", name=f"Delete credential template {prefix}").click()
    page.get_by_role("button", name="Delete it").click()
    templates.get_by_role("cell", name=prefix, exact=True).wait_for(state="detached")


@pytest.fixture
def private_repo(install: Install, tmp_path: Path) -> Iterator[str]:
    """The install's app repository as a bare clone served over HTTP with basic auth."""
    projects = tmp_path / "projects"
    projects.mkdir()
    capture(["git", "clone", "--quiet", "--bare", str(install.repo), str(projects / "apps.git")])
    with gitservers.http_server(tmp_path / "http", projects, {GIT_USER: GIT_PASSWORD}) as git:
        yield f"{git.base_url}/apps.git"


def test_a_private_repository_is_connected_from_settings(
    page: Any, ui: ApiServerProcess, install: Install, private_repo: str, tmp_path: Path
) -> None:
    login(page, ui, "admin", install.admin_password())
    page.goto(f"{ui.base_url}/settings/repositories")
    page.get_by_role("button", name="Connect repository").click()
    form = page.get_by_role("form", name="Connect a repository")
    form.get_by_label("Repository URL").fill(private_repo)
    form.get_by_label("Username (optional)").fill(GIT_USER)
    form.get_by_label("Password (optional)").fill("wrong-password")
    form.get_by_role("button", name="Test connection").click()
    refused = form.get_by_role("alert")
    refused.wait_for()
    assert "(HTTP 400)" in refused.inner_text()

    form.get_by_label("Password (optional)").fill(GIT_PASSWORD)
    form.get_by_role("button", name="Test connection").click()
    form.get_by_role("status").filter(has_text="Connection successful").wait_for()
    form.get_by_role("button", name="Connect", exact=True).click()

    row = (
        page.get_by_role("table", name="Repositories")
        .get_by_role("row")
        .filter(has_text=private_repo)
    )
    row.get_by_text("Successful").wait_for()
    assert GIT_PASSWORD not in page.content()
    _both_themes(page, "settings-repositories", tmp_path)
    _fits_a_phone(page)
    with _admin(install, ui) as http:
        listed = http.get("/api/v1/repositories").json()["items"]
    assert [r["connectionState"]["status"] for r in listed if r["repo"] == private_repo] == [
        "Successful"
    ]

    # An app from that repository (not synced): the preview suggests its branches and shows
    # every resource as one a sync would add.
    body = install.app_body("web")
    body["spec"]["source"]["repoURL"] = private_repo
    app = body["metadata"]["name"]
    with _admin(install, ui) as http:
        assert http.post("/api/v1/applications", json=body).status_code == 200
    page.goto(f"{ui.base_url}/preview/{install.ns}/{app}")
    suggestions = page.locator("datalist option")
    suggestions.first.wait_for(state="attached")
    assert suggestions.evaluate_all("options => options.map(o => o.value)") == ["main"]
    page.get_by_label("Branch, tag or commit").fill("main")
    page.get_by_role("button", name="Preview").click()
    summary = page.get_by_role("list", name="Changed resources")
    summary.get_by_text(f"ConfigMap {app}/settings").wait_for()
    assert ": added" in summary.inner_text()
    assert ": changed" not in summary.inner_text()


def test_an_ssh_repository_is_connected_with_a_private_key(
    page: Any, ui: ApiServerProcess, install: Install, tmp_path: Path
) -> None:
    bare = tmp_path / "ssh-apps.git"
    capture(["git", "clone", "--quiet", "--bare", str(install.repo), str(bare)])
    key, public = gitservers.ssh_keypair(tmp_path / "deploy_key")
    with gitservers.ssh_server(tmp_path / "sshd", public) as sshd:
        url = f"{sshd.base_url}{bare}"
        login(page, ui, "admin", install.admin_password())
        page.goto(f"{ui.base_url}/settings/repositories")
        page.get_by_role("button", name="Connect repository").click()
        form = page.get_by_role("form", name="Connect a repository")
        form.get_by_label("Connection method").select_option("ssh")
        form.get_by_label("Repository URL").fill(url)
        form.get_by_label("SSH private key").fill(key)
        form.get_by_label("Skip host key verification (insecure)").check()
        form.get_by_role("button", name="Connect", exact=True).click()
        row = page.get_by_role("table", name="Repositories").get_by_role("row").filter(has_text=url)
        row.get_by_text("Successful").wait_for()
        assert "PRIVATE KEY" not in page.content()


def test_a_helm_repository_is_connected_with_credentials(
    page: Any, ui: ApiServerProcess, install: Install, tmp_path: Path
) -> None:
    served = tmp_path / "charts"
    served.mkdir()
    (served / "index.yaml").write_text("apiVersion: v1\nentries: {}\n")
    with auth_chart_repo(served, GIT_USER, GIT_PASSWORD) as url:
        login(page, ui, "admin", install.admin_password())
        page.goto(f"{ui.base_url}/settings/repositories")
        page.get_by_role("button", name="Connect repository").click()
        form = page.get_by_role("form", name="Connect a repository")
        form.get_by_label("Connection method").select_option("helm")
        form.get_by_label("Repository URL").fill(url)
        form.get_by_role("button", name="Connect", exact=True).click()
        assert form.get_by_role("alert").inner_text() == "A Helm repository needs a name"
        form.get_by_label("Name", exact=True).fill("ui-charts")
        form.get_by_label("Username (optional)").fill(GIT_USER)
        form.get_by_label("Password (optional)").fill(GIT_PASSWORD)
        form.get_by_role("button", name="Test connection").click()
        form.get_by_role("status").filter(has_text="Connection successful").wait_for()
        form.get_by_role("button", name="Connect", exact=True).click()
        row = page.get_by_role("table", name="Repositories").get_by_role("row").filter(has_text=url)
        row.get_by_text("Successful").wait_for()
        assert row.get_by_role("cell", name="helm", exact=True).is_visible()
        assert row.get_by_role("cell", name="ui-charts", exact=True).is_visible()


def test_user_info_shows_admin_and_its_permissions(
    page: Any, ui: ApiServerProcess, install: Install
) -> None:
    login(page, ui, "admin", install.admin_password())
    page.goto(f"{ui.base_url}/user-info")
    facts = page.locator("dl.user-facts")
    facts.get_by_text("admin", exact=True).wait_for()
    table = page.get_by_role("table", name="Permissions")
    apps = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="applications"))
    apps.get_by_text("✔ yes").first.wait_for()
    # admin may do all of it: get, create, sync, delete on applications, and the rest.
    assert table.get_by_text("✔ yes").count() == 18
    assert table.get_by_text("✖ no").count() == 0


def _branch_with_change(install: Install, tmp_path: Path, branch: str) -> None:
    """``branch`` off main in the app's repository, changing the ``settings`` ConfigMap."""
    work = tmp_path / "branch"
    capture(["git", "-C", str(install.repo), "worktree", "add", "--quiet", "-b", branch, str(work)])
    (work / "web" / "settings.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
        'data: {version: "preview-2"}\n'
    )
    gitservers.commit_all(work, "try version preview-2")


def test_pr_preview_shows_a_branch_change_without_syncing(
    page: Any, ui: ApiServerProcess, install: Install, tmp_path: Path
) -> None:
    token, app = install.deploy_web(ui)
    app_ns = app  # app_body deploys into a namespace named after the app
    branch = f"preview-{uuid.uuid4().hex[:5]}"
    _branch_with_change(install, tmp_path, branch)
    with contextlib.closing(install.client(ui, token)) as http:
        before = http.get(f"/api/v1/applications/{app}").json()["status"]

    login(page, ui, "admin", install.admin_password())
    page.goto(f"{ui.base_url}/preview/{install.ns}/{app}")
    page.get_by_label("Branch, tag or commit").fill(branch)
    page.get_by_role("button", name="Preview").click()
    summary = page.get_by_role("list", name="Changed resources")
    line = summary.get_by_role("listitem").filter(has_text=f"ConfigMap {app_ns}/settings")
    line.wait_for()
    assert "changed, 1 field: data.version" in line.inner_text()
    diff = page.get_by_role("region", name="Diff of ConfigMap settings")
    assert "preview-2" in diff.inner_text()
    assert f"revision={branch}" in page.url
    _both_themes(page, "preview", tmp_path)
    _fits_a_phone(page)

    live = install.kubectl.get_json("configmap", "settings", "-n", app_ns)
    assert live["data"] == {"version": "1"}
    with contextlib.closing(install.client(ui, token)) as http:
        after = http.get(f"/api/v1/applications/{app}").json()["status"]
    assert after["sync"]["revision"] == before["sync"]["revision"]
    assert after["sync"]["status"] == "Synced"
    started = [(s.get("operationState") or {}).get("startedAt") for s in (before, after)]
    assert started[0] == started[1], "a sync ran"
