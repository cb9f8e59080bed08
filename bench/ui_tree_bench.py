"""The details page's resource tree in Chromium: 500 resources rendered, then updated live.

    .venv/bin/python bench/ui_tree_bench.py [--deployments 100] [--pods 3] [--updates 20]

The bundled UI (``make ui``) is served by a stand-in API in this process (stdlib HTTP
server): the app, its resource tree (N Deployments, each with a ReplicaSet and P Pods:
N x (2 + P) resources, 500 by default) and the one multiplexed stream the page opens, as
``kapstan server`` answers them. The stand-in keeps the figures about the browser: no
controller or cluster is needed to produce a 500-resource tree, and the stream sends
exactly when asked. Debian's Chromium (``/usr/bin/chromium``) is driven by Playwright.

- **render**: from navigation start (``performance.now()`` = 0) to the frame in which every
  tree node is in the DOM — page load, API fetches, tree layout and React render (the
  layout's share is the tree view's ``kapstan-tree-layout`` performance measure);
- **live update**: the page asks the stand-in to send one tree event (a Pod's health flips)
  and times, on the page's clock, from that request to the frame in which that node shows
  the new health. Median and max of ``--updates`` events.

Goal: both under 1 s. Results are printed (not recorded). A live update that changes only
statuses reuses the positions (no layout run), so it costs a React render.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import queue
import statistics
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

from kapstan.api.static import BUNDLED

CHROMIUM = "/usr/bin/chromium"
APP = "bench"
NS = "argocd"


def resources(deployments: int, pods: int) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    for d in range(deployments):
        name = f"web-{d:03}"
        deploy = {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "bench"}
        nodes.append({**deploy, "name": name, "uid": f"d{d}", "health": {"status": "Healthy"}})
        owner = {"group": "apps", "kind": "Deployment", "namespace": "bench", "name": name}
        rs = f"{name}-5d8f"
        nodes.append(
            {
                **deploy,
                "kind": "ReplicaSet",
                "name": rs,
                "uid": f"r{d}",
                "health": {"status": "Healthy"},
                "parentRefs": [{**owner, "uid": f"d{d}"}],
            }
        )
        for p in range(pods):
            nodes.append(
                {
                    "version": "v1",
                    "kind": "Pod",
                    "namespace": "bench",
                    "name": f"{rs}-{p}",
                    "uid": f"p{d}-{p}",
                    "health": {"status": "Healthy"},
                    "info": [{"name": "Node", "value": f"node-{p % 2}"}],
                    "parentRefs": [{**owner, "kind": "ReplicaSet", "name": rs, "uid": f"r{d}"}],
                }
            )
    return nodes


def application(tree: list[dict[str, Any]]) -> dict[str, Any]:
    managed = [n for n in tree if n["kind"] == "Deployment"]
    return {
        "metadata": {"name": APP, "namespace": NS},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://git.example/apps", "path": "bench"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "bench"},
        },
        "status": {
            "sync": {"status": "Synced"},
            "health": {"status": "Healthy"},
            "resources": [
                {
                    **{k: n[k] for k in ("group", "version", "kind", "namespace", "name")},
                    "status": "Synced",
                    "health": n["health"],
                }
                for n in managed
            ],
        },
    }


class StandIn:
    """The app, the tree, and the open multiplexed streams (``kapstan server``'s protocol:
    the stream announces its id, topics are added by POST, events carry their topic)."""

    def __init__(self, deployments: int, pods: int) -> None:
        self.tree = resources(deployments, pods)
        self.app = application(self.tree)
        self.streams: dict[str, queue.Queue[dict[str, Any]]] = {}
        self.tree_topics: dict[str, set[str]] = {}
        self.topics: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        self.flips = 0

    def open(self) -> tuple[str, queue.Queue[dict[str, Any]]]:
        with self.lock:
            stream = f"s{len(self.streams) + 1}"
            self.streams[stream] = queue.Queue()
            self.tree_topics[stream], self.topics[stream] = set(), []
            return stream, self.streams[stream]

    def close(self, stream: str) -> None:
        with self.lock:
            self.streams.pop(stream, None)

    def change(self, stream: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            topics = self.topics.setdefault(stream, [])
            for gone in body.get("remove") or []:
                self.tree_topics.get(stream, set()).discard(gone)
                if gone in topics:
                    topics.remove(gone)
            for topic in body.get("add") or []:
                topics.append(topic["id"])
                if topic.get("type") == "tree":
                    self.tree_topics.setdefault(stream, set()).add(topic["id"])
                    tree = {"nodes": json.loads(json.dumps(self.tree))}
                    self.streams[stream].put({"topic": topic["id"], "result": tree})
            return {"stream": stream, "topics": list(topics)}

    def flip(self) -> str:
        """The next Pod's health flipped; the event queued for every tree topic; its name."""
        pods = [n for n in self.tree if n["kind"] == "Pod"]
        pod = pods[(self.flips * 7) % len(pods)]
        self.flips += 1
        healthy = pod["health"]["status"] == "Healthy"
        pod["health"] = {"status": "Degraded" if healthy else "Healthy"}
        event = {"nodes": json.loads(json.dumps(self.tree))}
        with self.lock:
            for stream, events in self.streams.items():
                for topic in self.tree_topics.get(stream, ()):
                    events.put({"topic": topic, "result": event})
        return json.dumps({"name": pod["name"], "health": pod["health"]["status"]})


def handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            del args

        def send(self, body: bytes, kind: str = "application/json") -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            stream, events = state.open()
            try:
                self.wfile.write(f"data: {json.dumps({'stream': stream})}\n\n".encode())
                self.wfile.flush()
                while True:
                    event = events.get()
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
            except OSError:  # the page went away
                state.close(stream)

        def do_POST(self) -> None:
            path = urlparse(self.path).path
            prefix, suffix = "/api/v1/stream/multiplex/", "/topics"
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if path.startswith(prefix) and path.endswith(suffix):
                stream = path[len(prefix) : -len(suffix)]
                return self.send(json.dumps(state.change(stream, body)).encode())
            return self.send(b"{}")

        def do_GET(self) -> None:
            path = urlparse(self.path).path
            api = f"/api/v1/applications/{APP}"
            if path == "/api/v1/stream/multiplex":
                return self.stream()
            if path == "/bench/flip":
                return self.send(state.flip().encode())
            if path == api:
                return self.send(json.dumps(state.app).encode())
            if path == f"{api}/resource-tree":
                return self.send(json.dumps({"nodes": state.tree}).encode())
            if path == "/api/v1/session/userinfo":  # signed in, or the shell goes to login
                return self.send(b'{"loggedIn": true, "username": "admin"}')
            if path.startswith("/api/v1/account/can-i/"):
                return self.send(b'{"value": "yes"}')
            if path.startswith("/api/"):
                return self.send(b"{}")
            file = BUNDLED / path.lstrip("/")
            if not file.is_file():
                file = BUNDLED / "index.html"
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return self.send(file.read_bytes(), kind)

    return Handler


# Polled every animation frame; survives the navigation (an evaluate() would not).
RENDERED = "n => document.querySelectorAll('.tree-node').length >= n && performance.now()"
# The tree view's own measure of its last layout run (ms).
LAYOUT = "performance.getEntriesByName('kapstan-tree-layout').at(-1)?.duration ?? -1"
UPDATED = """async () => {
    const start = performance.now();
    const flipped = await (await fetch('/bench/flip')).json();
    const selector = `.tree-node[data-name="${flipped.name}"][data-health="${flipped.health}"]`;
    return await new Promise(resolve => {
        const check = () => document.querySelector(selector)
            ? resolve(performance.now() - start) : requestAnimationFrame(check);
        check();
    });
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deployments", type=int, default=100)
    parser.add_argument("--pods", type=int, default=3)
    parser.add_argument("--updates", type=int, default=20)
    args = parser.parse_args()
    if not (BUNDLED / "index.html").is_file():
        print(f"the web UI is not built in {BUNDLED}: run `make ui`", file=sys.stderr)
        return 2
    state = StandIn(args.deployments, args.pods)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/applications/{NS}/{APP}"
    nodes = len(state.tree) + 1  # and the app's own node
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            renders: list[float] = []
            layouts: list[float] = []
            for _ in range(5):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(url, wait_until="commit")
                drawn = page.wait_for_function(RENDERED, arg=nodes, polling="raf", timeout=60_000)
                renders.append(float(drawn.json_value()))
                layouts.append(float(page.evaluate(LAYOUT)))
                page.close()
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.wait_for_function(RENDERED, arg=nodes, polling="raf", timeout=60_000)
            page.wait_for_timeout(500)  # the streams are open
            updates = [float(page.evaluate(UPDATED)) for _ in range(args.updates)]
        finally:
            browser.close()
            server.shutdown()
    print(f"tree of {len(state.tree)} resources ({nodes} nodes) in Chromium")
    print(
        f"render (navigation to all nodes drawn): median {statistics.median(renders):.0f} ms, "
        f"max {max(renders):.0f} ms over {len(renders)} loads"
    )
    print(f"  of which layout: median {statistics.median(layouts):.0f} ms")
    print(
        f"live update (event to node redrawn): median {statistics.median(updates):.0f} ms, "
        f"max {max(updates):.0f} ms over {len(updates)} events"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
