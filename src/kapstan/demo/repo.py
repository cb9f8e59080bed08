"""The demo's git repository and the Argo CD Applications that point into it.

Contracts:

- :func:`create_repo` makes a real (non-bare) git repository whose branch ``main`` holds one
  directory per sample app (copied from this package's ``apps/`` data) in a single commit. The
  repository has a local author identity, so ``git -C REPO commit`` works there without any
  global git configuration. Git runs through :mod:`kapstan.localcluster.process`.
- :func:`applications` returns one ``argoproj.io/v1alpha1`` Application per app: project
  ``default``, the in-cluster destination, namespace ``demo-<app>`` created on sync, automated
  sync with prune and self-heal, ``targetRevision: main``.
"""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from kapstan.localcluster import process

IN_CLUSTER = "https://kubernetes.default.svc"
AUTHOR_NAME = "Kapstan demo"
AUTHOR_EMAIL = "demo@kapstan.invalid"

# app name -> path of its source inside the repository
APP_PATHS: dict[str, str] = {
    "guestbook": "guestbook",
    "kustomize-guestbook": "kustomize-guestbook/overlays/demo",
    "helm-guestbook": "helm-guestbook",
    "jsonnet-guestbook": "jsonnet-guestbook",
    "sync-waves": "sync-waves",
}
APPS: tuple[str, ...] = tuple(APP_PATHS)


def apps_dir() -> Path:
    """The directory of the packaged sample apps (Kapstan is installed as files, not a zip)."""
    root = resources.files("kapstan.demo").joinpath("apps")
    if not isinstance(root, Path):
        raise RuntimeError(f"the demo apps are not plain files: {root!r}")
    return root


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0")
    return env


def git(repo: Path, *args: str) -> str:
    """Run ``git -C repo ARGS`` and return its standard output, stripped.

    Raises process.CommandError (with git's standard error) when git fails.
    """
    return process.capture(["git", "-C", str(repo), *args], env=_git_env()).strip()


def create_repo(path: Path) -> Path:
    """Create the demo repository at ``path`` (which must not exist or be empty); return it.

    The repository's ``main`` branch has one commit with every sample app.
    """
    path.mkdir(parents=True, exist_ok=True)
    if any(path.iterdir()):
        raise FileExistsError(f"{path} is not empty")
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "config", "user.name", AUTHOR_NAME)
    git(path, "config", "user.email", AUTHOR_EMAIL)
    src = apps_dir()
    for name in APPS:
        shutil.copytree(src / name, path / name)
    (path / "README.md").write_text(
        "# Kapstan demo apps\n\nEach directory is the source of one Application; commit a change"
        " and the controller syncs it.\n"
    )
    commit_all(path, "Kapstan demo apps")
    return path


def commit_all(repo: Path, message: str) -> str:
    """Commit every change in ``repo`` (as the demo author); return the new commit's SHA."""
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def application(name: str, repo_url: str, namespace: str = "argocd") -> dict[str, Any]:
    """The Application of sample app ``name`` (a key of :data:`APP_PATHS`)."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "targetRevision": "main", "path": APP_PATHS[name]},
            "destination": {"server": IN_CLUSTER, "namespace": f"demo-{name}"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }


def applications(repo_url: str, namespace: str = "argocd") -> list[dict[str, Any]]:
    """One Application per sample app, in :data:`APPS` order, all in ``namespace``."""
    return [application(name, repo_url, namespace) for name in APPS]
