"""Rendering benchmark: plain YAML (1k, 10k docs), a large kustomize tree, a mid-size helm
chart; each cold (real render) and cached (RenderCache hit). Results go in bench/README.md."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kapstan.localcluster import Toolchain
from kapstan.render import Tools, render
from kapstan.render.cache import RenderCache, cache_key

CM = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  labels: {{app: b}}\n"
    "data:\n  k: v{i}\n"
)
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: app-{i}}}}}
  template:
    metadata: {{labels: {{app: app-{i}}}}}
    spec:
      containers: [{{name: c, image: "nginx:1.25"}}]
"""
TEMPLATE = """{{{{- range $i := until (int .Values.count) }}}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ $.Release.Name }}}}-{n}-{{{{ $i }}}}
data:
  value: {{{{ $.Values.value | quote }}}}
{{{{- end }}}}
"""


def make_plain(root: Path, docs: int) -> None:
    app = root / f"plain{docs}"
    app.mkdir()
    per_file = 100
    for f in range(docs // per_file):
        text = "---\n".join(CM.format(i=f * per_file + j) for j in range(per_file))
        (app / f"f{f:04}.yaml").write_text(text)


def make_kustomize(root: Path, bases: int = 50, per_base: int = 20) -> None:
    app = root / "kust"
    resources = []
    for b in range(bases):
        base = app / f"base{b}"
        base.mkdir(parents=True)
        files = []
        for i in range(per_base):
            (base / f"d{i}.yaml").write_text(DEPLOY.format(i=f"{b}-{i}"))
            files.append(f"d{i}.yaml")
        (base / "kustomization.yaml").write_text(f"resources: {files}\n")
        resources.append(f"base{b}")
    (app / "kustomization.yaml").write_text(f"resources: {resources}\nnamePrefix: p-\n")


def make_helm(root: Path, templates: int = 20) -> None:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("count: 25\nvalue: hello\n")
    for n in range(templates):
        (chart / "templates" / f"t{n}.yaml").write_text(TEMPLATE.format(n=n))


async def measure(
    name: str, source: dict[str, Any], repo: Path, tools: Tools, cache: RenderCache
) -> tuple[str, int, float, float]:
    key = cache_key(
        repo_url="bench", commit="c", source=source, app_name="b", namespace="d", tools=tools
    )

    async def renderer() -> Any:
        return await render(source, repo, app_name="b", namespace="d", tools=tools)

    t0 = time.perf_counter()
    result = await cache.get_or_render(key, renderer)
    t1 = time.perf_counter()
    await cache.get_or_render(key, renderer)
    t2 = time.perf_counter()
    return name, len(result.manifests), t1 - t0, t2 - t1


async def main_async() -> None:
    tc = Toolchain()
    tools = Tools(helm=str(tc.path("helm")), kustomize=str(tc.path("kustomize")))
    cache = RenderCache()
    with tempfile.TemporaryDirectory(prefix="kapstan-render-bench-") as tmp:
        repo = Path(tmp)
        make_plain(repo, 1000)
        make_plain(repo, 10000)
        make_kustomize(repo)
        make_helm(repo)
        cases = [
            ("plain YAML, 1k docs", {"path": "plain1000"}),
            ("plain YAML, 10k docs", {"path": "plain10000"}),
            ("kustomize, 50 bases x 20 Deployments", {"path": "kust"}),
            ("helm, 20 templates x 25 objects", {"path": "chart"}),
        ]
        print("| case | objects | cold | cached |")
        print("|---|---|---|---|")
        for name, source in cases:
            n, objects, cold, hot = await measure(name, source, repo, tools, cache)
            print(f"| {n} | {objects} | {cold * 1000:.0f} ms | {hot * 1e6:.0f} µs |")


def main() -> int:
    asyncio.run(main_async())
    return 0


if __name__ == "__main__":
    sys.exit(main())
