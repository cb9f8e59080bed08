"""One multiplexed stream per tab, live: in Chromium, on a page of the built UI served by
``kapstan server --with-controller`` on the real cluster, one ``EventSource`` to
``/api/v1/stream/multiplex`` carries an applications topic and a resource-tree topic, a topic
is swapped for another without reconnecting, and events arrive for each; the browser made
exactly one request to the stream endpoint (the pages are still placeholders, so the check
runs in the page against the endpoint itself, with the page's cookie session and CSP)."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.testing.apiserver import ApiServerProcess
from tests.integration.api.conftest import Install

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

OPEN_AND_ADD = """
async ({name}) => {
  const got = {stream: "", events: {}, comments: 0};
  window.kapstanStreamCheck = got;
  const source = new EventSource("/api/v1/stream/multiplex", {withCredentials: true});
  await new Promise((resolve, reject) => {
    source.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.stream) { got.stream = data.stream; resolve(); return; }
      (got.events[data.topic] ||= []).push(data.result ?? data);
    };
    source.onerror = () => reject(new Error("the stream failed"));
  });
  const post = async (body) => {
    const answer = await fetch(`/api/v1/stream/multiplex/${got.stream}/topics`, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    return [answer.status, await answer.json()];
  };
  window.kapstanStreamPost = post;
  return [
    await post({add: [{id: "apps", type: "applications", name}]}),
    await post({add: [{id: "tree", type: "tree", name}]}),
  ];
}
"""


def _events(page: Any, topic: str) -> list[Any]:
    found: list[Any] = page.evaluate(f"window.kapstanStreamCheck.events[{topic!r}] || []")
    return found


def test_one_connection_carries_several_topics(
    page: Any, ui: ApiServerProcess, install: Install
) -> None:
    _token, name = install.deploy_web(ui)
    answer = page.request.post(
        f"{ui.base_url}/api/v1/session",
        data={"username": "admin", "password": install.admin_password()},
    )
    assert answer.status == 200, answer.text()
    streams: list[str] = []
    page.on(
        "request",
        lambda request: streams.append(request.url) if "/api/v1/stream/" in request.url else None,
    )
    page.goto(f"{ui.base_url}/applications")
    page.wait_for_load_state("networkidle")

    added = page.evaluate(OPEN_AND_ADD, {"name": name})
    assert added == [
        [200, {"stream": added[0][1]["stream"], "topics": ["apps"]}],
        [200, {"stream": added[0][1]["stream"], "topics": ["apps", "tree"]}],
    ], added
    page.wait_for_function(
        "(() => { const e = window.kapstanStreamCheck.events;"
        " return (e.apps || []).length > 0 && (e.tree || []).length > 0; })()"
    )
    apps = _events(page, "apps")
    assert (apps[0]["type"], apps[0]["application"]["metadata"]["name"]) == ("ADDED", name)
    kinds = {node["kind"] for node in _events(page, "tree")[0]["nodes"]}
    assert {"Deployment", "Pod"} <= kinds, kinds

    swapped = page.evaluate(
        "window.kapstanStreamPost({remove: ['apps'],"
        " add: [{id: 'listed', type: 'applications', projects: ['default']}]})"
    )
    assert swapped[0] == 200, swapped
    assert swapped[1]["topics"] == ["listed", "tree"]
    page.wait_for_function("(window.kapstanStreamCheck.events.listed || []).length > 0")
    listed = {e["application"]["metadata"]["name"] for e in _events(page, "listed")}
    assert name in listed

    multiplexed = [url for url in streams if "/api/v1/stream/multiplex" in url]
    opened = [url for url in multiplexed if "/topics" not in url]
    assert opened == [f"{ui.base_url}/api/v1/stream/multiplex"], streams
    assert [url for url in streams if "/api/v1/stream/multiplex" not in url] == []
