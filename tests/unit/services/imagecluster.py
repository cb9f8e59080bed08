"""What the image automation unit tests share: a tag server on 127.0.0.1 answering the tag
list the way distribution does (so the real registry client runs), an annotated Application
and a FakeKube cluster whose ``registries.conf`` points at given registries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import yaml

from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into

NS = "argocd"
P = "argocd-image-updater.argoproj.io/"


class _Tags(BaseHTTPRequestHandler):
    tags: ClassVar[dict[str, list[str]]] = {"team/web": ["1.2.3", "1.2.4", "2.0.0"]}

    def do_GET(self) -> None:
        repo = self.path.removeprefix("/v2/").removesuffix("/tags/list")
        if repo not in self.tags:
            self.send_error(404)
            return
        body = json.dumps({"name": repo, "tags": self.tags[repo]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def tag_server() -> Iterator[str]:
    """host:port of a registry whose ``team/web`` has tags 1.2.3, 1.2.4 and 2.0.0."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tags)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def annotated_app(name: str, image_list: str, running: str) -> dict[str, Any]:
    """A Kustomize Application with ``image-list`` whose summary says it runs ``running``."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": NS, "annotations": {P + "image-list": image_list}},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://git.example/apps.git", "path": name, "kustomize": {}},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
        },
        "status": {"sourceType": "Kustomize", "summary": {"images": [running]}},
    }


def image_cluster(*apps: dict[str, Any], registries: list[str]) -> FakeKube:
    """Kapstan installed in ``argocd`` with ``apps`` and a registries.conf of ``registries``."""
    fake = FakeKube(namespaces=("default", NS))
    install_into(fake, NS)
    conf = {
        "registries": [
            {"name": f"r{n}", "prefix": host, "api_url": f"http://{host}"}
            for n, host in enumerate(registries)
        ]
    }
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-image-updater-config", "namespace": NS},
            "data": {"registries.conf": yaml.safe_dump(conf)},
        }
    )
    for app in apps:
        fake.put(app)
    return fake
