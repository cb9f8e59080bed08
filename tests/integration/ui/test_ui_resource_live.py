"""The resource panel of the application details page in Chromium, against ``kapstan server
--with-controller`` and the real cluster, reached the way a user shares it: the deep link
``/applications/<ns>/<app>?resource=<group>/<Kind>/<ns>/<name>&tab=<tab>``.

A Deployment's summary says Healthy; after ``kubectl scale`` its Diff tab shows the
replicas going back to Git's value and the drift forensics name kubectl (through the scale
subresource) as the manager that changed ``spec.replicas``; its live manifest is edited in
the browser (a label, saved after confirmation) and the label is on the cluster's object;
its Pod's logs follow a line the container prints later (kwok "prints" the cluster's
``container.log``); the restart action stamps the Deployment's pod template. Screenshots of
the diff and logs tabs in both themes.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from kapstan.localcluster.cluster import CONTAINER_LOG, LocalCluster
from kapstan.testing.apiserver import ApiServerProcess
from kapstan.testing.waiting import wait_for
from tests.integration.ui.conftest import Install, login, screenshot

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
KWOK_LINE = "kwok: this container runs on a fake node"
LABEL, VALUE = "kapstan-ui-edit", "from-the-panel"


@pytest.fixture(scope="module")
def app(install: Install, ui: ApiServerProcess) -> str:
    """An automated (not self-healing) ``web`` app, Synced and Healthy with its pod."""
    _, name = install.deploy_web(ui)
    return name


def _open(page: Any, ui: ApiServerProcess, install: Install, app: str, ref: str, tab: str) -> Any:
    """Sign in, follow the deep link, and answer the panel (a dialog named for the resource)."""
    login(page, ui, "admin", install.admin_password())
    page.goto(f"{ui.base_url}/applications/{install.ns}/{app}?resource={ref}&tab={tab}")
    name = ref.rsplit("/", 1)[1]
    dialog = page.get_by_role("dialog", name=name)
    dialog.wait_for()
    return dialog


def _both_themes(page: Any, name: str, tmp_path: Path) -> None:
    screenshot(page, name, tmp_path)
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    screenshot(page, name, tmp_path)
    page.evaluate("document.documentElement.dataset.theme = 'light'")


def test_diff_after_kubectl_scale_names_the_manager(
    page: Any, ui: ApiServerProcess, install: Install, app: str, tmp_path: Path
) -> None:
    dialog = _open(page, ui, install, app, f"apps/Deployment/{app}/web", "summary")
    tab = dialog.get_by_role("tabpanel")
    tab.locator("[data-health='Healthy']").wait_for()
    tab.get_by_text("argocd.argoproj.io/tracking-id").wait_for()
    _both_themes(page, "resource-summary", tmp_path)

    install.kubectl("scale", "deployment/web", "--replicas=3", "-n", app)
    # The app's stream tells the page the resource went OutOfSync; no reload.
    dialog.locator("header [data-sync='OutOfSync']").wait_for(timeout=60_000)

    dialog.get_by_role("tab", name="Diff").click()
    assert "tab=diff" in page.url
    diff = dialog.get_by_role("region", name=re.compile("Diff of Deployment web"))
    diff.locator("td.diff-removed", has_text="replicas: 3").wait_for()
    assert diff.locator("td.diff-added", has_text="replicas: 1").is_visible()
    assert "removed:" in diff.locator("td.diff-removed", has_text="replicas: 3").inner_text()

    forensics = dialog.get_by_role("region", name="Drift forensics")
    row = forensics.locator("tr[data-field='spec.replicas']")
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[:3] == ["spec.replicas", "kubectl", "Update, scale subresource"], cells

    dialog.get_by_role("button", name="Inline").click()
    assert diff.locator("td.diff-removed", has_text="replicas: 3").is_visible()
    dialog.get_by_role("button", name="Side by side").click()
    _both_themes(page, "resource-diff", tmp_path)

    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert "resource=" not in page.url


def test_live_manifest_edit_saves_a_label_after_confirmation(
    page: Any, ui: ApiServerProcess, install: Install, app: str, tmp_path: Path
) -> None:
    dialog = _open(page, ui, install, app, f"apps/Deployment/{app}/web", "live")
    editor = dialog.get_by_role("textbox", name="Live manifest of Deployment web")
    editor.get_by_text("kind: Deployment").wait_for()
    dialog.get_by_role("button", name="Edit").click()

    # Add metadata.labels under the top-level `metadata:` line, typing as a user does.
    dialog.locator(".cm-line").filter(has_text=re.compile(r"^metadata:$")).click()
    for line in ("  labels:", f"    {LABEL}: {VALUE}"):
        page.keyboard.press("End")
        page.keyboard.press("Enter")
        page.keyboard.press("Shift+Home")  # drop the editor's own indentation
        page.keyboard.type(line)
    dialog.get_by_role("button", name="Save").click()

    confirm = dialog.get_by_role("alertdialog")
    assert f"{LABEL}: {VALUE}" in confirm.get_by_label("Merge patch to send").inner_text()
    _both_themes(page, "resource-live-edit", tmp_path)
    confirm.get_by_role("button", name="Apply changes").click()
    dialog.get_by_role("status").filter(has_text="Saved").wait_for()

    live = install.kubectl.get_json("deployment", "web", "-n", app)
    assert live["metadata"]["labels"][LABEL] == VALUE
    assert live["spec"]["replicas"] == 3  # nothing else of the object was rewritten

    # A change the API server refuses: its message is shown in the tab, nothing changes.
    dialog.get_by_role("button", name="Edit").click()
    # spec comes before status (keys are sorted), which has its own "replicas: 3"
    dialog.locator(".cm-line").filter(has_text=re.compile(r"^  replicas: 3$")).first.click()
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")  # selects the line's text, after its indentation
    page.keyboard.type("replicas: -1")
    dialog.get_by_role("button", name="Save").click()
    dialog.get_by_role("alertdialog").get_by_role("button", name="Apply changes").click()
    alert = dialog.get_by_role("alert")
    alert.wait_for()
    assert "spec.replicas" in alert.inner_text()
    assert "(HTTP 400)" in alert.inner_text()
    assert install.kubectl.get_json("deployment", "web", "-n", app)["spec"]["replicas"] == 3
    dialog.get_by_role("button", name="Cancel").click()

    dialog.get_by_role("tab", name="Desired manifest").click()
    desired = dialog.get_by_role("textbox", name="Desired manifest of Deployment web")
    desired.get_by_text("replicas: 1").wait_for()


def test_pod_logs_follow_a_new_line(
    page: Any,
    ui: ApiServerProcess,
    install: Install,
    app: str,
    cluster: LocalCluster,
    tmp_path: Path,
) -> None:
    pods = install.kubectl.get_json("pods", "-n", app, "-l", "app=web")["items"]
    pod = pods[0]["metadata"]["name"]
    dialog = _open(page, ui, install, app, f"/Pod/{app}/{pod}", "logs")
    logs = dialog.get_by_role("list", name=f"Logs of Pod {pod}")
    logs.get_by_text(KWOK_LINE).first.wait_for()
    assert dialog.get_by_role("checkbox", name="Follow").is_checked()

    marker = f"printed later {time.time_ns()}"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())
    with (cluster.workdir / CONTAINER_LOG).open("a") as log:
        log.write(f"{stamp} stdout F {marker}\n")
    logs.get_by_text(marker).wait_for(timeout=30_000)

    # A long log is virtualised: the last of 800 more lines shows (follow keeps the end in
    # view) while only a screenful of rows is in the page.
    with (cluster.workdir / CONTAINER_LOG).open("a") as log:
        log.writelines(f"{stamp} stdout F bulk line {i} of {marker}\n" for i in range(1, 801))
    logs.get_by_text(f"bulk line 800 of {marker}").wait_for(timeout=30_000)
    assert logs.get_by_role("listitem").count() < 200

    dialog.get_by_role("searchbox", name="Search in logs").fill("printed later")
    assert logs.locator("mark", has_text="printed later").count() >= 1
    assert dialog.get_by_text(re.compile(r"^\d+ match(es)?$")).is_visible()
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Download").click()
    saved = tmp_path / "pod.log"
    download.value.save_as(saved)
    assert marker in saved.read_text()
    _both_themes(page, "resource-logs", tmp_path)


def test_restart_action_stamps_the_pod_template_on_a_phone(
    page: Any, ui: ApiServerProcess, install: Install, app: str, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    dialog = _open(page, ui, install, app, f"apps/Deployment/{app}/web", "summary")
    dialog.get_by_role("tabpanel").locator("[data-health='Healthy']").wait_for()
    page.wait_for_timeout(300)  # the slide-in animation (150 ms) is over
    box = dialog.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    dialog.get_by_role("button", name="Actions").click()
    dialog.get_by_role("button", name=re.compile("^restart$", re.IGNORECASE)).click()
    confirm = dialog.get_by_role("alertdialog", name="Run action restart on Deployment web?")
    confirm.get_by_role("button", name="Run restart").click()
    dialog.get_by_role("status").filter(has_text="Action restart ran").wait_for()

    # The cluster's own Events of the Deployment (kube-controller-manager scaled it).
    dialog.get_by_role("tab", name="Events").click()
    events = dialog.get_by_role("table", name="Events of Deployment web")
    events.get_by_text("ScalingReplicaSet").first.wait_for()
    screenshot(page, "resource-phone", tmp_path)

    def stamped() -> bool:
        live = install.kubectl.get_json("deployment", "web", "-n", app)
        return RESTARTED_AT in (live["spec"]["template"]["metadata"].get("annotations") or {})

    wait_for("the restartedAt annotation on the Deployment", stamped, 30)


def test_delete_a_pod_from_its_panel(
    page: Any, ui: ApiServerProcess, install: Install, app: str
) -> None:
    pods = install.kubectl.get_json("pods", "-n", app, "-l", "app=web")["items"]
    pod = pods[0]["metadata"]["name"]
    dialog = _open(page, ui, install, app, f"/Pod/{app}/{pod}", "summary")
    dialog.get_by_role("button", name="Delete").click()
    confirm = dialog.get_by_role("alertdialog", name=f"Delete Pod {pod}?")
    confirm.get_by_role("radio", name=re.compile("Background")).check()
    confirm.get_by_role("button", name="Delete").click()
    dialog.wait_for(state="detached")  # the panel closes on the deleted resource

    def gone() -> bool:
        names = install.kubectl.get_json("pods", "-n", app)["items"]
        return pod not in {p["metadata"]["name"] for p in names}

    wait_for(f"pod {pod} deleted", gone, 60)
