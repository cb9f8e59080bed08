"""Write-back ``git``: the chosen tags committed to the app's repository and pushed.

Contract of :func:`write_git`: for ``write-back-target: kustomization`` (the app's path) or
``kustomization:<dir>`` (relative to the app's path, or from the repository root with a
leading ``/``) it edits that directory's ``kustomization.yaml`` (``.yml``, ``Kustomization``)
as ``kustomize edit set image`` does (``images[]`` entry ``name`` = the ``kustomize.image-name``
or the image; ``newName`` when they differ; ``newTag``, or ``digest`` for the ``digest``
strategy), commits ``build: automatic update of <app>`` with one line per image and pushes to
``git-branch`` (else the app's ``targetRevision``) of ``git-repository`` (else the app's
``repoURL``), with the repository credentials Kapstan has for that URL (``git:repocreds``, the
default) or a Secret's ``username``/``password``/``sshPrivateKey`` (``git:secret:<ns>/<name>``).
A push race is retried on the new head, never forced
(:func:`~kapstan.source.gitpush.commit_and_push`).
Returns the pushed commit (``None``: the file already said so).

``helmvalues[:<file>]`` (default ``values.yaml`` in the app's path, same path rules) sets only
the configured keys (``helm.image-name``/``helm.image-tag``, default ``image.name``/
``image.tag``, or ``helm.image-spec``) in place, formatting and comments kept
(:func:`~kapstan.services.images.yamledit.set_scalar`); a key the file lacks is an error.

``setters[:<dir>]`` (Kapstan's name for Flux's ``Setters`` strategy) sets the values marked
``# {"$imagepolicy": "<app namespace>:<alias>[:tag|:name|:digest]"}`` in every YAML file under
the directory (:mod:`~kapstan.services.images.setters`); no marker for a changed image is an
error.

``git-branch: base:target`` checks out ``base`` and pushes to ``target`` (a template:
:func:`branches`), once per change set. Author and message come from :class:`GitSettings`.

No ``write-back-target`` (argocd-image-updater's default) writes ``.argocd-source-<app>.yaml``
in the app's path, which the renderer merges into the app's source
(:mod:`~kapstan.services.images.sourcefile`). Not built (a
:class:`~kapstan.services.images.writeback.WriteBackError` saying so): commit signing.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kapstan.kube.client import KubeClient
from kapstan.services.images.annotations import ImageSpec, WriteBack
from kapstan.services.images.gotemplate import TemplateError, render
from kapstan.services.images.policy import Strategy
from kapstan.services.images.registries import CredentialsError, read_secret
from kapstan.services.images.setters import SetterValue, set_markers
from kapstan.services.images.sourcefile import edit_source_file, source_file_name
from kapstan.services.images.writeback import WriteBackError, helm_values
from kapstan.services.images.yamledit import YamlEditError, set_scalar
from kapstan.services.repositories import Repositories
from kapstan.source.credentials import RepoCredentials
from kapstan.source.gitpush import commit_and_push

_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class GitChange:
    """One image to write: the spec, the chosen tag (and digest), what ran before."""

    spec: ImageSpec
    tag: str
    digest: str | None
    old: str | None


def _repo_path(app_path: str, where: str, default: str, target: str) -> str:
    base = app_path.strip("/") or "."
    joined = where.lstrip("/") if where.startswith("/") else posixpath.join(base, where or default)
    normal = posixpath.normpath(joined or ".")
    if normal == ".." or normal.startswith("../"):
        raise WriteBackError(f"write-back-target {target!r} leaves the repository")
    return normal


def target_of(app_path: str, target: str, app_name: str = "") -> tuple[str, str]:
    """(``kustomization``, ``helmvalues``, ``setters`` or ``argocd-source``, the
    repository-relative directory or file)."""
    kind, _, where = target.partition(":")
    if kind == "kustomization":
        return kind, _repo_path(app_path, where, ".", target)
    if kind == "helmvalues":
        return kind, _repo_path(app_path, where, "values.yaml", target)
    if kind == "setters":
        return kind, _repo_path(app_path, where, ".", target)
    if not target:
        return "argocd-source", _repo_path(app_path, source_file_name(app_name), ".", target)
    raise WriteBackError(
        f"write-back-target {target!r} is not built; leave it unset for "
        ".argocd-source-<app>.yaml, or use kustomization[:dir], helmvalues[:file] or "
        "setters[:dir]"
    )


def kustomization_dir(app_path: str, target: str) -> str:
    """The repository-relative directory whose kustomization is edited."""
    kind, path = target_of(app_path, target)
    if kind != "kustomization":
        raise WriteBackError(f"write-back-target {target!r} is not a kustomization")
    return path


def set_images(doc: dict[str, Any], changes: Sequence[GitChange]) -> bool:
    """Apply ``changes`` to a kustomization document; True when it changed."""
    images = doc.get("images")
    if images is None:
        images = doc["images"] = []
    if not isinstance(images, list):
        raise WriteBackError("the kustomization's images is not a list")
    before = yaml.safe_dump(images)
    for change in changes:
        spec = change.spec
        key = spec.kustomize_name or spec.name
        entry = next((i for i in images if isinstance(i, dict) and i.get("name") == key), None)
        if entry is None:
            entry = {"name": key}
            images.append(entry)
        if spec.name != key:
            entry["newName"] = spec.name
        if spec.policy.strategy is Strategy.DIGEST and change.digest:
            entry["digest"] = change.digest
            entry.pop("newTag", None)
        else:
            entry["newTag"] = change.tag
            entry.pop("digest", None)
    return yaml.safe_dump(images) != before


def _edit(directory: str, changes: Sequence[GitChange]) -> Callable[[Path], bool]:
    def edit(work: Path) -> bool:
        folder = (work / directory).resolve()
        if not folder.is_relative_to(work.resolve()):
            raise WriteBackError(f"kustomization directory {directory!r} leaves the repository")
        found = next((folder / f for f in _FILES if (folder / f).is_file()), None)
        if found is None:
            raise WriteBackError(f"no kustomization.yaml in {directory} of the repository")
        try:
            doc = yaml.safe_load(found.read_text()) or {}
        except yaml.YAMLError as err:
            raise WriteBackError(f"{directory}/{found.name} is not valid YAML: {err}") from None
        if not isinstance(doc, dict):
            raise WriteBackError(f"{directory}/{found.name} is not a mapping")
        if not set_images(doc, changes):
            return False
        found.write_text(yaml.safe_dump(doc, sort_keys=False))
        return True

    return edit


def _edit_values(file: str, changes: Sequence[GitChange]) -> Callable[[Path], bool]:
    def edit(work: Path) -> bool:
        path = (work / file).resolve()
        if not path.is_relative_to(work.resolve()):
            raise WriteBackError(f"values file {file!r} leaves the repository")
        if not path.is_file():
            raise WriteBackError(f"no {file} in the repository")
        before = path.read_text()
        text = before
        for change in changes:
            for key, value in helm_values(change.spec, change.tag, change.digest).items():
                try:
                    text = set_scalar(text, key, value)
                except YamlEditError as err:
                    raise WriteBackError(f"{file}: {err}") from None
        if text == before:
            return False
        path.write_text(text)
        return True

    return edit


def _edit_setters(
    directory: str, namespace: str, changes: Sequence[GitChange]
) -> Callable[[Path], bool]:
    values = {
        f"{namespace}:{c.spec.alias}": SetterValue(
            c.spec.name, c.tag, c.digest if c.spec.policy.strategy is Strategy.DIGEST else None
        )
        for c in changes
    }

    def edit(work: Path) -> bool:
        folder = (work / directory).resolve()
        if not folder.is_relative_to(work.resolve()) or not folder.is_dir():
            raise WriteBackError(f"setters directory {directory!r} is not in the repository")
        changed, seen = False, set[str]()
        for path in sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")]):
            if ".git" in path.relative_to(work).parts or not path.is_file():
                continue
            text = path.read_text()
            seen.update(p for p in values if f'"{p}' in text)
            new = set_markers(text, values)
            if new != text:
                path.write_text(new)
                changed = True
        missing = sorted(set(values) - seen)
        if missing:
            raise WriteBackError(
                f'no {{"$imagepolicy": "{missing[0]}"}} marker in {directory} of the repository'
            )
        return changed

    return edit


@dataclass(frozen=True)
class GitSettings:
    """``git.user``, ``git.email`` and ``git.commit-message-template`` of the ConfigMap
    ``argocd-image-updater-config`` (argocd-image-updater's defaults otherwise)."""

    user: str = "kapstan-image-updater"
    email: str = "noreply@kapstan.invalid"
    message_template: str = ""

    @classmethod
    def from_config(cls, data: Mapping[str, str]) -> GitSettings:
        return cls(
            user=data.get("git.user") or cls.user,
            email=data.get("git.email") or cls.email,
            message_template=data.get("git.commit-message-template") or "",
        )


def _new(c: GitChange) -> str:
    return c.digest if c.spec.policy.strategy is Strategy.DIGEST and c.digest else c.tag


def commit_message(app: str, changes: Sequence[GitChange], template: str = "") -> str:
    """The commit message: ``template`` (``.AppName``, ``.AppChanges`` with ``.Image``,
    ``.OldTag``, ``.NewTag``) or argocd-image-updater's default text."""
    if template:
        data = {
            "AppName": app,
            "AppChanges": [
                {"Image": c.spec.name, "OldTag": c.old or "", "NewTag": _new(c)} for c in changes
            ],
        }
        try:
            return render(template, data)
        except TemplateError as err:
            raise WriteBackError(f"git.commit-message-template: {err}") from None
    lines = [f"build: automatic update of {app}", ""]
    lines += [f"updates image {c.spec.name} tag '{c.old}' to '{_new(c)}'" for c in changes]
    return "\n".join(lines) + "\n"


def branches(spec: str, app: str, changes: Sequence[GitChange]) -> tuple[str, str | None]:
    """``git-branch`` as (checkout branch, push branch or None): ``base:target`` pushes to
    ``target``, a template over ``.Images`` (``.Name``, ``.Alias``, ``.OldTag``, ``.NewTag``),
    ``.SHA1``, ``.SHA256`` and ``.AppName``, cut at 255 characters."""
    base, sep, target = spec.partition(":")
    if not sep:
        if "{{" in spec:
            raise WriteBackError(f"git-branch {spec!r}: a template needs base:target")
        return spec, None
    described = "".join(f"{c.spec.name}:{c.old}:{_new(c)}\n" for c in changes)
    data = {
        "AppName": app,
        "Images": [
            {"Name": c.spec.name, "Alias": c.spec.alias, "OldTag": c.old or "", "NewTag": _new(c)}
            for c in changes
        ],
        "SHA1": hashlib.sha1(described.encode(), usedforsecurity=False).hexdigest(),
        "SHA256": hashlib.sha256(described.encode()).hexdigest(),
    }
    try:
        pushed = render(target, data)[:255]
    except TemplateError as err:
        raise WriteBackError(f"git-branch {spec!r}: {err}") from None
    if not base or not pushed:
        raise WriteBackError(f"git-branch {spec!r}: expected <base>:<target>")
    return base, pushed


async def _credentials(
    kube: KubeClient,
    write_back: WriteBack,
    url: str,
    repositories: Callable[[], Repositories] | None,
) -> RepoCredentials:
    ref = write_back.credentials
    if ref in ("", "repocreds"):
        return repositories().credentials(url) if repositories is not None else RepoCredentials()
    if not ref.startswith("secret:"):
        raise CredentialsError(f"git credentials {ref!r}: expected repocreds or secret:<ns>/<name>")
    data = await read_secret(kube, ref.removeprefix("secret:"), f"git:{ref}")
    return RepoCredentials(
        username=data.get("username"),
        password=data.get("password"),
        ssh_private_key=data.get("sshPrivateKey"),
    )


async def write_git(
    kube: KubeClient,
    app: Mapping[str, Any],
    write_back: WriteBack,
    changes: Sequence[GitChange],
    *,
    repositories: Callable[[], Repositories] | None = None,
    git: GitSettings | None = None,
) -> str | None:
    """Commit and push ``changes`` (see the module contract)."""
    git = git or GitSettings()
    source = (app.get("spec") or {}).get("source") or {}
    name = str((app.get("metadata") or {}).get("name") or "")
    url = write_back.repository or str(source.get("repoURL") or "")
    branch, push_branch = branches(
        write_back.branch or str(source.get("targetRevision") or ""), name, changes
    )
    if branch in ("", "HEAD"):
        raise WriteBackError(
            "write-back git needs a branch: set git-branch (targetRevision is HEAD)"
        )
    kind, path = target_of(str(source.get("path") or ""), write_back.target, name)
    if kind == "argocd-source":
        edit = edit_source_file(path, app, changes)
    elif kind == "kustomization":
        edit = _edit(path, changes)
    elif kind == "helmvalues":
        edit = _edit_values(path, changes)
    else:
        namespace = str((app.get("metadata") or {}).get("namespace") or "")
        edit = _edit_setters(path, namespace, changes)
    creds = await _credentials(kube, write_back, url, repositories)
    return await commit_and_push(
        url,
        branch,
        edit,
        message=commit_message(name, changes, git.message_template),
        credentials=creds,
        author=(git.user, git.email),
        push_branch=push_branch,
    )


__all__ = [
    "GitChange",
    "GitSettings",
    "branches",
    "commit_message",
    "kustomization_dir",
    "set_images",
    "target_of",
    "write_git",
]
