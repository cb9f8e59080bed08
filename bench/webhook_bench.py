"""Push → webhook → Synced: how long after a Git push an app runs the pushed commit.

    .venv/bin/python bench/webhook_bench.py [--pushes 20] [--apps 1000] [--touched 10] [--no-record]

A throwaway local cluster (1 kwok node), ``kapstan install``, one repository served over HTTP
(lighttpd + ``git http-backend``, basic auth), ``kapstan server --with-controller
--app-resync 0`` (Git polling off: only the webhook makes anything happen) with
``webhook.github.secret`` set. Measured:

- **one app**: an automated app of one ConfigMap; ``--pushes`` times a commit is pushed to
  the bare repository, then GitHub's push event is POSTed, signed, to ``/api/webhook``; the
  clock runs from the POST until ``GET /api/v1/applications/<name>`` reports ``Synced`` at the
  pushed SHA (polled every 20 ms). p50/p95/max;
- **k of N (monorepo)**: N automated apps ``apps/app-i`` of the same repository, each with
  ``manifest-generate-paths: .``; one push changes k of them, and the clock runs from the POST
  until those k are ``Synced`` at the new SHA. The apps whose ``reconciledAt`` moved are
  counted: only the k may have been refreshed.

The time includes the controller's ``git fetch`` over HTTP, the render, the diff and the
apply. Rows are printed and appended to bench/README.md (``--no-record`` skips that).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import readme

from kapstan.demo.children import install
from kapstan.localcluster.cluster import LocalCluster
from kapstan.localcluster.process import capture
from kapstan.testing import gitservers
from kapstan.testing.apiserver import ApiServerProcess

NS = "argocd"
SECTION = "## Git webhooks (`bench/webhook_bench.py`)"
HEADER = (
    "| machine | case | samples | p50 | p95 | max | other apps refreshed |\n"
    "|---|---|---|---|---|---|---|"
)
SECRET, GIT_USER, GIT_PASSWORD = "bench-hook-secret", "bench", "bench-git-Pa55"  # throwaway
IN_CLUSTER = "https://kubernetes.default.svc"


def config_map(name: str, version: int) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata: {{v: '{version}'}}\n"


def app(name: str, repo: str, path: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "annotations": {"argocd.argoproj.io/manifest-generate-paths": "."},
        },
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "targetRevision": "main", "path": path},
            "destination": {"server": IN_CLUSTER, "namespace": "bench"},
            "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true"]},
        },
    }


def deliver(http: httpx2.Client, web_url: str, before: str, after: str, files: list[str]) -> None:
    commit = {"id": after, "added": [], "removed": [], "modified": files}
    body = json.dumps({
        "ref": "refs/heads/main", "before": before, "after": after, "commits": [commit],
        "repository": {"html_url": web_url, "default_branch": "main"},
    }).encode()  # fmt: skip
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = http.post(
        "/api/webhook",
        content=body,
        headers={"Content-Type": "application/json", "X-GitHub-Event": "push",
                 "X-Hub-Signature-256": f"sha256={signature}"},
    )  # fmt: skip
    answer.raise_for_status()


def states(http: httpx2.Client) -> dict[str, tuple[str, str, str]]:
    fields = "items.metadata.name,items.status.sync,items.status.reconciledAt"
    items = http.get("/api/v1/applications", params={"fields": fields}).json()["items"] or []
    out = {}
    for item in items:
        status = item.get("status") or {}
        sync = status.get("sync") or {}
        out[item["metadata"]["name"]] = (
            str(sync.get("status")),
            str(sync.get("revision")),
            str(status.get("reconciledAt")),
        )
    return out


def wait_synced(http: httpx2.Client, names: list[str], sha: str, timeout: float = 600) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        now = states(http) if len(names) > 1 else {names[0]: _one(http, names[0])}
        if all(now.get(n, ("", "", ""))[:2] == ("Synced", sha) for n in names):
            return time.monotonic() - started
        time.sleep(0.02 if len(names) == 1 else 0.2)
    raise RuntimeError(f"{len(names)} app(s) not Synced at {sha[:8]} after {timeout:g} s")


def _one(http: httpx2.Client, name: str) -> tuple[str, str, str]:
    status = http.get(f"/api/v1/applications/{name}").json().get("status") or {}
    sync = status.get("sync") or {}
    return str(sync.get("status")), str(sync.get("revision")), str(status.get("reconciledAt"))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} vCPU, {ram:.0f} GiB, Python {platform.python_version()}, "
        f"{datetime.date.today().isoformat()}"
    )


def row(case: str, samples: list[float], others: str) -> str:
    p50, p95, top = (f"{v * 1000:.0f} ms" for v in (statistics.median(samples),
                                                   pct(samples, 0.95), max(samples)))  # fmt: skip
    return f"| {machine()} | {case} | {len(samples)} | {p50} | {p95} | {top} | {others} |"


class Repo:
    """The work tree, its bare repository (served over HTTP) and the last pushed SHA."""

    def __init__(self, root: Path, apps: int) -> None:
        self.tree = gitservers.init_worktree(root / "work")
        (self.tree / "web").mkdir()
        (self.tree / "web" / "cm.yaml").write_text(config_map("web", 0))
        for i in range(apps):
            (self.tree / "apps" / f"app-{i}").mkdir(parents=True)
            (self.tree / "apps" / f"app-{i}" / "cm.yaml").write_text(config_map(f"app-{i}", 0))
        self.head = gitservers.commit_all(self.tree, "initial")
        self.projects = root / "projects"
        self.projects.mkdir()
        self.bare = self.projects / "apps.git"
        capture(["git", "clone", "--quiet", "--bare", str(self.tree), str(self.bare)])

    def push(self, changes: dict[str, str]) -> tuple[str, str]:
        """Commit ``changes`` (path → text) and push: (SHA before, SHA after)."""
        for path, text in changes.items():
            (self.tree / path).write_text(text)
        before, self.head = self.head, gitservers.commit_all(self.tree, "next")
        capture(["git", "-C", str(self.tree), "push", "--quiet", str(self.bare), "HEAD:main"])
        return before, self.head


def one_app(http: httpx2.Client, repo: Repo, urls: tuple[str, str], pushes: int) -> str:
    clone_url, web_url = urls
    http.post("/api/v1/applications", json=app("web", clone_url, "web")).raise_for_status()
    wait_synced(http, ["web"], repo.head)
    samples = []
    for n in range(1, pushes + 1):
        before, after = repo.push({"web/cm.yaml": config_map("web", n)})
        started = time.monotonic()
        deliver(http, web_url, before, after, ["web/cm.yaml"])
        wait_synced(http, ["web"], after)
        samples.append(time.monotonic() - started)
    return row("1 app, one push at a time", samples, "-")


def monorepo(http: httpx2.Client, repo: Repo, urls: tuple[str, str], apps: int, k: int) -> str:
    clone_url, web_url = urls
    names = [f"app-{i}" for i in range(apps)]
    for name in names:
        http.post(
            "/api/v1/applications", json=app(name, clone_url, f"apps/{name}")
        ).raise_for_status()
    wait_synced(http, names, repo.head, timeout=1800)
    touched = names[:: max(1, apps // k)][:k]
    files = [f"apps/{name}/cm.yaml" for name in touched]
    earlier = states(http)
    before, after = repo.push({f: config_map(Path(f).parent.name, 1) for f in files})
    started = time.monotonic()
    deliver(http, web_url, before, after, files)
    wait_synced(http, touched, after)
    took = time.monotonic() - started
    now = states(http)
    moved = sum(1 for n in names if n not in touched and now[n][2] != earlier[n][2])
    return row(f"{len(touched)} of {apps} apps in one monorepo push", [took], str(moved))


def create_secret(cluster: LocalCluster, name: str, data: dict[str, str], kind: str = "") -> None:
    labels = {"argocd.argoproj.io/secret-type": kind} if kind else {}
    meta = {"name": name, "namespace": NS, "labels": labels}
    body = {"apiVersion": "v1", "kind": "Secret", "stringData": data, "metadata": meta}
    cluster.request("POST", f"/api/v1/namespaces/{NS}/secrets", body)


def admin_token(cluster: LocalCluster, server: ApiServerProcess) -> str:
    found = cluster.request("GET", f"/api/v1/namespaces/{NS}/secrets/argocd-initial-admin-secret")
    password = base64.b64decode(found["data"]["password"]).decode()
    with server.client() as anon:
        answer = anon.post("/api/v1/session", json={"username": "admin", "password": password})
        return str(answer.json()["token"])


def run(args: argparse.Namespace) -> list[str]:
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kapstan-webhook-bench-") as tmp:
        root = Path(tmp)
        repo = Repo(root, args.apps)
        cluster = LocalCluster(root / "cluster", nodes=1)
        server: ApiServerProcess | None = None
        try:
            cluster.start()
            install(cluster.kubeconfig, NS)
            create_secret(cluster, "argocd-secret", {"webhook.github.secret": SECRET})
            users = {GIT_USER: GIT_PASSWORD}
            with gitservers.http_server(root / "http", repo.projects, users) as git:
                urls = (f"{git.base_url}/apps.git", f"{git.base_url}/apps")
                creds = {"url": urls[0], "username": GIT_USER, "password": GIT_PASSWORD}
                create_secret(cluster, "repo-apps", creds, "repository")
                extra = ("--with-controller", "--app-resync", "0")
                server = ApiServerProcess(cluster.kubeconfig, NS, root / "server.log", extra=extra)
                server.start()
                headers = {"Authorization": f"Bearer {admin_token(cluster, server)}"}
                with server.client(headers=headers) as http:
                    rows.append(one_app(http, repo, urls, args.pushes))
                    print(rows[-1])
                    if args.apps:
                        rows.append(monorepo(http, repo, urls, args.apps, args.touched))
                        print(rows[-1])
        finally:
            if server is not None:
                server.stop()
            cluster.destroy()
    return rows


def record(rows: list[str]) -> None:
    readme.record(SECTION, HEADER, rows, intro=__doc__.split(chr(10), 3)[3].strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pushes", type=int, default=20)
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--touched", type=int, default=10)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    rows = run(args)
    if not args.no_record:
        record(rows)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
