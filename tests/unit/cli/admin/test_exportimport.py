"""``kapstan admin export``/``import`` over an in-memory cluster: what is exported (and how it
is stripped), and an import's creates, updates, prunes and dry runs, printed as argocd does."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from kapstan.testing.cli import run
from kapstan.testing.fakekube import FakeKube

NS = "argocd"


def _secret(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NS}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta,
            "data": {"k": base64.b64encode(name.encode()).decode()}}  # fmt: skip


def _app(name: str, path: str = "guestbook") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": NS,
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://git.example/r.git", "path": path},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
        },
        "status": {"sync": {"status": "Synced"}, "reconciledAt": "2026-01-01T00:00:00Z"},
    }


def _seed(fake: FakeKube) -> None:
    labels = {"app.kubernetes.io/part-of": "argocd"}
    for name, meta in (("argocd-cm", {"labels": labels}), ("unrelated-cm", {})):
        fake.put(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": NS, **meta},
                "data": {"url": "https://cd.example"},
            }
        )
    fake.put(_secret("argocd-secret"))
    fake.put(_secret("repo-1", {"argocd.argoproj.io/secret-type": "repository"}))
    fake.put(_secret("someone-elses"))
    fake.put(_app("guestbook"))


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_export_writes_argo_data_stripped_of_server_metadata(
    fake: FakeKube, tmp_path: Path
) -> None:
    _seed(fake)
    result = run(["admin", "export", "-n", NS])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("---\n")
    docs = _docs(result.stdout)
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert names == [
        ("ConfigMap", "argocd-cm"),
        ("Secret", "argocd-secret"),
        ("Secret", "repo-1"),
        ("AppProject", "default"),
        ("Application", "guestbook"),
    ]
    app = docs[-1]
    assert app["metadata"] == {
        "name": "guestbook",
        "finalizers": ["resources-finalizer.argocd.argoproj.io"],
    }
    assert app["status"]["sync"] == {"status": "Synced"}
    assert docs[0]["metadata"] == {
        "name": "argocd-cm",
        "labels": {"app.kubernetes.io/part-of": "argocd"},
    }
    out = tmp_path / "backup.yaml"
    to_file = run(["admin", "export", "-n", NS, "-o", str(out)])
    assert (to_file.exit_code, to_file.stdout) == (0, "")
    assert _docs(out.read_text()) == docs


def test_import_creates_updates_and_lists_what_needs_pruning(
    fake: FakeKube, tmp_path: Path
) -> None:
    _seed(fake)
    backup = tmp_path / "backup.yaml"
    assert run(["admin", "export", "-n", NS, "-o", str(backup)]).exit_code == 0
    docs = _docs(backup.read_text())
    docs = [d for d in docs if d["metadata"]["name"] != "repo-1"]
    docs[-1]["spec"]["source"]["path"] = "changed"
    docs.append(_app("second") | {"metadata": {"name": "second"}})
    backup.write_text("".join(yaml.safe_dump(d) + "---\n" for d in docs))

    dry = run(["admin", "import", str(backup), "-n", NS, "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0] == f"import process started {NS}"
    assert "argoproj.io/Application guestbook in namespace argocd updated (dry run)" in lines
    assert "argoproj.io/Application second in namespace argocd created (dry run)" in lines
    assert "/Secret repo-1 needs pruning" in lines
    assert lines[-1].startswith(f"Import process completed successfully in namespace {NS} at ")
    assert fake.get_object("Application", "second", namespace=NS, group="argoproj.io") is None

    real = run(["admin", "import", str(backup), "-n", NS, "--verbose"])
    assert real.exit_code == 0, real.stderr
    assert "/ConfigMap argocd-cm unchanged" in real.stdout.splitlines()
    live = fake.get_object("Application", "guestbook", namespace=NS, group="argoproj.io")
    assert live is not None
    assert live["spec"]["source"]["path"] == "changed"
    assert fake.get_object("Application", "second", namespace=NS, group="argoproj.io") is not None
    assert fake.get_object("Secret", "repo-1", namespace=NS, group="") is not None

    again = run(["admin", "import", str(backup), "-n", NS])
    changed = [line for line in again.stdout.splitlines()[1:-1] if "needs pruning" not in line]
    assert changed == []


def test_import_prune_deletes_what_the_backup_lacks(fake: FakeKube, tmp_path: Path) -> None:
    _seed(fake)
    backup = tmp_path / "backup.yaml"
    backup.write_text(run(["admin", "export", "-n", NS]).stdout)
    fake.put(_app("extra"))
    fake.put(_secret("cluster-x", {"argocd.argoproj.io/secret-type": "cluster"}))
    result = run(["admin", "import", str(backup), "-n", NS, "--prune"])
    assert result.exit_code == 0, result.stderr
    assert "argoproj.io/Application extra pruned" in result.stdout.splitlines()
    assert "/Secret cluster-x pruned" in result.stdout.splitlines()
    assert fake.get_object("Application", "extra", namespace=NS, group="argoproj.io") is None
    assert fake.get_object("Secret", "cluster-x", namespace=NS, group="") is None
    assert fake.get_object("Secret", "someone-elses", namespace=NS, group="") is not None
    assert fake.get_object("ConfigMap", "unrelated-cm", namespace=NS, group="") is not None


def test_import_refuses_other_kinds_before_writing(fake: FakeKube, tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text(
        yaml.safe_dump(_app("a"))
        + "---\n"
        + yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}})
    )
    result = run(["admin", "import", str(source), "-n", NS])
    assert result.exit_code == 20
    assert "cannot import a 'Pod' document" in result.stderr
    assert fake.get_object("Application", "a", namespace=NS, group="argoproj.io") is None


def test_import_from_stdin_skips_labelled_resources(fake: FakeKube) -> None:
    app = _app("skipped")
    app["metadata"]["labels"] = {"backup/skip": "yes"}
    text = yaml.safe_dump(app) + "---\n" + yaml.safe_dump(_app("kept"))
    result = run(
        ["admin", "import", "-", "-n", NS, "--skip-resources-with-labels", "backup/skip"],
        stdin=text,
    )
    assert result.exit_code == 0, result.stderr
    assert "Skipping argoproj.io/Application skipped in namespace argocd" in result.stdout
    assert fake.get_object("Application", "kept", namespace=NS, group="argoproj.io") is not None


def test_export_includes_secrets_argocd_cm_names_and_managed_ones(fake: FakeKube) -> None:
    repositories = (
        "- url: https://git.example/r.git\n  passwordSecret: {name: legacy-creds, key: pw}\n"
    )
    fake.put(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": NS},
            "data": {"repositories": repositories},
        }
    )
    fake.put(_secret("legacy-creds"))
    managed = _secret("managed")
    managed["metadata"]["annotations"] = {"managed-by": "argocd.argoproj.io"}
    fake.put(managed)
    fake.put(_secret("someone-elses"))
    docs = _docs(run(["admin", "export", "-n", NS]).stdout)
    secrets = sorted(d["metadata"]["name"] for d in docs if d["kind"] == "Secret")
    assert secrets == ["legacy-creds", "managed"]
