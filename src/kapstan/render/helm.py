"""Helm sources: ``helm template`` with Argo CD's flags and value precedence.

Contract of :func:`render_helm`:

- release name = ``helm.releaseName`` or the app name; namespace = ``helm.namespace`` or the
  destination namespace; ``--kube-version``/``--api-versions`` come from :class:`Tools`;
- precedence (lowest→highest): chart values < ``valueFiles`` (in order) < ``values`` /
  ``valuesObject`` (one temp file; ``valuesObject`` wins when both are set, as in Argo CD) <
  ``parameters`` (``--set``, ``--set-string`` when ``forceString``) and ``fileParameters``;
- every value/file path is confined: relative to the chart directory and inside the
  repository, or ``$ref/path`` inside the checked-out directory of source ``ref``; absolute
  paths and escapes are errors; missing value files are errors unless
  ``ignoreMissingValueFiles``;
- ``skipCrds`` → ``--skip-crds`` else ``--include-crds``; hooks are kept (helm prints them with
  their ``helm.sh/hook`` annotations);
- a chart from a Helm repository (``chart`` + ``repoURL`` + ``targetRevision``) is templated
  with ``--repo``/``--version``; helm's caches live in a private temp directory;
- a repository with credentials (:class:`HelmRepoCredentials`) is written, with its username
  and password, to a private ``repositories.yaml`` (mode 0600, inside the temp directory that is
  deleted after the render) and fetched as ``helm repo update`` + ``helm template
  <name>/<chart>``: the password is never on a command line and is redacted from every error;
  ``helm.passCredentials`` lets helm send them to a chart URL on another host, as in Argo CD;
- an OCI chart (``repoURL`` ``oci://host/path``, or ``host/path`` with ``enable_oci``) is
  templated as ``oci://host/path/<chart> --version <targetRevision>``, ``--plain-http`` when the
  repository says so; OCI credentials go to a private registry config file, never to argv.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kapstan import proc
from kapstan.render import paths, yamlio
from kapstan.render.base import (
    HelmRepoCredentials,
    Limits,
    Manifest,
    RenderError,
    Runner,
    Tools,
    run_tool,
)

_SOURCE_COMMENT = re.compile(rb"^# Source: (.+)$", re.MULTILINE)
_GLOB_CHARS = frozenset("*?[")
_REPO_NAME = "kapstan-source"


def _escape_set_value(value: str) -> str:
    # helm splits --set on commas; Argo CD escapes them unless the value is a {a,b} list.
    if value.startswith("{") and value.endswith("}"):
        return value
    return value.replace(",", "\\,")


def resolve_value_file(
    raw: str, *, chart_dir: Path, root: Path, refs: Mapping[str, Path]
) -> list[Path]:
    """Paths for one ``valueFiles`` entry (several when it is a glob); confined as documented."""
    base_root, base, rel = root, chart_dir, raw
    if raw.startswith("$"):
        ref, _, rel = raw[1:].partition("/")
        if ref not in refs:
            raise RenderError(f"values file {raw!r}: unknown source ref {ref!r}", file=raw)
        base_root = refs[ref].resolve()
        base = base_root
    if not any(c in rel for c in _GLOB_CHARS):
        return [paths.confine(base_root, rel, what="values file", base=base)]
    paths.confine(base_root, str(Path(rel).parent), what="values file", base=base)
    found = sorted(glob.glob(rel, root_dir=base))
    return [paths.confine(base_root, f, what="values file", base=base) for f in found]


def _chart_sources(stdout: bytes) -> list[tuple[int, str]]:
    """(line, template path) of every ``# Source:`` comment helm prints, in order."""
    return [
        (stdout.count(b"\n", 0, m.start()) + 1, m.group(1).decode(errors="replace").strip())
        for m in _SOURCE_COMMENT.finditer(stdout)
    ]


def _source_for(line: int | None, sources: list[tuple[int, str]]) -> str:
    best = "helm"
    for src_line, name in sources:
        if line is not None and src_line <= line:
            best = f"helm:{name}"
    return best


def _value_args(
    spec: Mapping[str, Any],
    chart_dir: Path,
    root: Path,
    refs: Mapping[str, Path],
    tmp: Path,
    limits: Limits,
) -> list[str]:
    """Value flags in Argo CD's precedence order (helm applies later flags over earlier)."""
    argv: list[str] = []
    for raw in spec.get("valueFiles") or []:
        for path in resolve_value_file(str(raw), chart_dir=chart_dir, root=root, refs=refs):
            if path.is_file():
                argv += ["--values", str(path)]
            elif not spec.get("ignoreMissingValueFiles"):
                raise RenderError("values file not found", file=str(raw))
    inline: Any = spec.get("valuesObject")
    if inline is None and spec.get("values"):
        inline = yamlio.load_values(str(spec["values"]), name="helm.values", limits=limits)
    if inline:
        values_file = tmp / "values-inline.yaml"
        values_file.write_text(yaml.safe_dump(inline, sort_keys=False))
        argv += ["--values", str(values_file)]
    for param in spec.get("parameters") or []:
        flag = "--set-string" if param.get("forceString") else "--set"
        argv += [flag, f"{param['name']}={_escape_set_value(str(param.get('value', '')))}"]
    for param in spec.get("fileParameters") or []:
        rel = str(param.get("path", ""))
        path = paths.confine(root, rel, what="file parameter", base=chart_dir)
        argv += ["--set-file", f"{param['name']}={path}"]
    return argv


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by us only (it may hold credentials)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def is_oci(repo_url: str, repo: HelmRepoCredentials) -> bool:
    """Whether a chart source's ``repoURL`` names an OCI registry."""
    return repo_url.startswith("oci://") or repo.enable_oci


def oci_chart_ref(repo_url: str, chart: str) -> str:
    """``oci://host/path/chart`` for ``repoURL`` with or without the ``oci://`` scheme."""
    base = repo_url.removeprefix("oci://").strip("/")
    return f"oci://{base}/{chart.strip('/')}"


async def _repo_chart_args(
    source: Mapping[str, Any],
    spec: Mapping[str, Any],
    repo: HelmRepoCredentials,
    tmp: Path,
    env: dict[str, str],
    *,
    limits: Limits,
    runner: Runner,
    tools: Tools,
) -> list[str]:
    """Chart reference flags for a chart from a Helm or OCI repository (may update ``env``)."""
    chart = str(source["chart"])
    repo_url = str(source.get("repoURL") or "")
    version = str(source.get("targetRevision") or "")
    secrets = [repo.password] if repo.password else []
    if is_oci(repo_url, repo):
        ref = oci_chart_ref(repo_url, chart)
        argv = [ref]
        if repo.username or repo.password:
            host = ref.removeprefix("oci://").split("/", 1)[0]
            token = base64.b64encode(f"{repo.username}:{repo.password}".encode()).decode()
            registry_config = tmp / "registry.json"
            _write_private(registry_config, json.dumps({"auths": {host: {"auth": token}}}))
            env["HELM_REGISTRY_CONFIG"] = str(registry_config)
        if repo.plain_http:
            argv.append("--plain-http")
    elif repo.username or repo.password:
        entry = {
            "name": _REPO_NAME,
            "url": repo_url,
            "username": repo.username,
            "password": repo.password,
            "insecure_skip_tls_verify": repo.insecure,
            "pass_credentials_all": bool(spec.get("passCredentials")),
        }
        repo_config = tmp / "repositories.yaml"
        _write_private(repo_config, yaml.safe_dump({"apiVersion": "", "repositories": [entry]}))
        env["HELM_REPOSITORY_CONFIG"] = str(repo_config)
        # helm exits 0 when the index cannot be fetched (e.g. 401) and explains it on stdout.
        update = [tools.helm, "repo", "update", _REPO_NAME]
        out = await run_tool(
            runner, update, tool="helm repo update", limits=limits, env=env, cwd=tmp, redact=secrets
        )
        text = out.decode(errors="replace")
        if "Unable to get an update" in text:
            reason = " ".join(text[text.index("Unable to get an update") :].split())[:2000]
            reason = proc.redact_text(reason, secrets)
            raise RenderError(f"cannot fetch the chart repository index: {reason}", file="helm")
        argv = [f"{_REPO_NAME}/{chart}"]
    else:
        argv = [chart, "--repo", repo_url]
    if repo.insecure:
        argv.append("--insecure-skip-tls-verify")
    if version:
        argv += ["--version", version]
    return argv


def _helm_env(tmp: Path) -> dict[str, str]:
    """Keep helm away from the user's config, caches and plugins: all of it under ``tmp``."""
    return {
        "HELM_CACHE_HOME": str(tmp / "cache"),
        "HELM_CONFIG_HOME": str(tmp / "config"),
        "HELM_DATA_HOME": str(tmp / "data"),
        "HOME": str(tmp),
    }


async def chart_version(
    source: Mapping[str, Any],
    *,
    tools: Tools,
    limits: Limits,
    runner: Runner | None = None,
    repo: HelmRepoCredentials | None = None,
) -> str:
    """The version of the repository chart ``source`` names that ``helm template`` would
    render: its ``targetRevision`` (a version or a constraint such as ``0.1.*``) as helm
    itself resolves it (``helm show chart``, with the same repository settings and
    credentials as the render), for HTTP repositories and OCI registries alike. Argo CD
    reports the resolved version as the app's revision, and so must we: otherwise a newly
    published chart looks like the revision already synced. Raises :class:`RenderError` when
    helm cannot fetch the chart or no version satisfies the constraint (helm's message).
    """
    repo = repo or HelmRepoCredentials()
    run: Runner = runner or proc.run
    secrets = [repo.password] if repo.password else []
    spec: Mapping[str, Any] = source.get("helm") or {}
    with tempfile.TemporaryDirectory(prefix="kapstan-helm-") as tmp_name:
        tmp = Path(tmp_name)
        env = _helm_env(tmp)
        args = await _repo_chart_args(
            source, spec, repo, tmp, env, limits=limits, runner=run, tools=tools
        )
        stdout = await run_tool(
            run,
            [tools.helm, "show", "chart", *args],
            tool="helm show chart",
            limits=limits,
            env=env,
            cwd=tmp,
            redact=secrets,
        )
    chart = yamlio.load_values(
        stdout.decode(errors="replace"), name="Chart.yaml", limits=yamlio.tool_limits(limits)
    )
    version = chart.get("version") if isinstance(chart, Mapping) else None
    if not isinstance(version, str) or not version.strip():
        raise RenderError("helm show chart: the chart's Chart.yaml has no version", file="helm")
    return version.strip()


async def render_helm(
    source: Mapping[str, Any],
    app_dir: Path | None,
    root: Path,
    *,
    app_name: str,
    namespace: str,
    tools: Tools,
    limits: Limits,
    refs: Mapping[str, Path],
    runner: Runner,
    repo: HelmRepoCredentials | None = None,
) -> list[Manifest]:
    """Render a Helm source (chart directory ``app_dir``, or a repository chart)."""
    spec: Mapping[str, Any] = source.get("helm") or {}
    release = str(spec.get("releaseName") or app_name)
    repo = repo or HelmRepoCredentials()
    secrets = [repo.password] if repo.password else []
    with tempfile.TemporaryDirectory(prefix="kapstan-helm-") as tmp_name:
        tmp = Path(tmp_name)
        env = _helm_env(tmp)
        argv = [tools.helm, "template"]
        if app_dir is not None:
            paths.check_tree(app_dir, root)
            argv.append(str(app_dir))
            chart_dir = app_dir
        else:
            argv += await _repo_chart_args(
                source, spec, repo, tmp, env, limits=limits, runner=runner, tools=tools
            )
            chart_dir = root
        argv += ["--name-template", release]
        ns = str(spec.get("namespace") or namespace)
        if ns:
            argv += ["--namespace", ns]
        kube_version = spec.get("kubeVersion") or tools.kube_version
        if kube_version:
            argv += ["--kube-version", str(kube_version)]
        for api in [*tools.api_versions, *(spec.get("apiVersions") or [])]:
            argv += ["--api-versions", str(api)]
        argv += _value_args(spec, chart_dir, root, refs, tmp, limits)
        argv.append("--skip-crds" if spec.get("skipCrds") else "--include-crds")
        if spec.get("skipTests"):
            argv.append("--skip-tests")
        if spec.get("skipSchemaValidation"):
            argv.append("--skip-schema-validation")
        stdout = await run_tool(
            runner, argv, tool="helm template", limits=limits, env=env, cwd=tmp, redact=secrets
        )
    sources = _chart_sources(stdout)
    docs = yamlio.load_manifests(stdout, name="helm template", limits=yamlio.tool_limits(limits))
    return [Manifest(obj=obj, source=_source_for(line, sources)) for line, obj in docs]
