"""``POST /api/v1/applications/{name}/local-manifests`` (Kapstan's REST form of Argo CD's
``GetManifestsWithFiles``): an uploaded directory rendered with the app's source settings by
the real ManifestGenerator; a hostile or oversized upload, another content type, a missing
``get`` permission and a bad source position refused with the API's message."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from kapstan.services.manifests import ManifestGenerator
from kapstan.testing.api import ApiHarness, Rules, api_on, bearer
from kapstan.testing.fakekube import FakeKube
from kapstan.testing.fakes import install_into, until
from tests.unit.api.conftest import NS, app

APP_NS = "guestbook"
PATH = "/api/v1/applications/guestbook/local-manifests"
GZIP = {"Content-Type": "application/gzip"}
SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {password: hunter2}\n"


def _archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    return buffer.getvalue()


def _cm(name: str, color: str) -> str:
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{color: {color}}}\n"
    )


def _run(tmp_path: Path, body: Callable[[ApiHarness], Awaitable[None]], **spec: Any) -> None:
    async def main() -> None:
        fake = FakeKube(namespaces=("default", NS, APP_NS))
        install_into(fake, NS)
        fake.put(app("guestbook", **spec))
        rules = Rules(allow=[("admin", "*", "*", "*"), ("bob", "projects", "*", "*")])
        generator = ManifestGenerator(cache_root=tmp_path / "cache")
        async with api_on(fake, manifests=generator, rules=rules) as api:
            await until("the app is mirrored", lambda: api.ctx.mirror.app("guestbook"))
            await body(api)

    asyncio.run(main())


def test_the_directory_is_rendered_with_the_apps_source_settings(tmp_path: Path) -> None:
    source = {"repoURL": "https://git.example/apps.git", "path": "somewhere/else",
              "directory": {"recurse": True, "exclude": "skip/*"}}  # fmt: skip
    files = {"cfg.yaml": _cm("cfg", "green"), "sub/more.yaml": _cm("more", "blue"),
             "skip/no.yaml": _cm("no", "red"), "creds.yaml": SECRET,
             "README.md": "# hi\n"}  # fmt: skip

    async def body(api: ApiHarness) -> None:
        resp = await api.http.post(
            PATH, content=_archive(files), headers={**GZIP, **bearer("admin")}
        )
        assert resp.status_code == 200, resp.text
        got = resp.json()
        assert got["sourceType"] == "Directory"
        assert got["namespace"] == APP_NS
        objs = {o["metadata"]["name"]: o for o in map(json.loads, got["manifests"])}
        # recurse on, skip/* excluded: the app's directory settings were applied.
        assert sorted(objs) == ["cfg", "creds", "more"]
        assert objs["cfg"]["data"] == {"color": "green"}
        assert objs["cfg"]["metadata"]["namespace"] == APP_NS
        tracking = objs["cfg"]["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"]
        assert tracking == f"guestbook:/ConfigMap:{APP_NS}/cfg"
        # The caller's own value comes back as it was sent (it diffs it against live).
        assert objs["creds"]["stringData"] == {"password": "hunter2"}

    _run(tmp_path, body, source=source)


def test_refusals(tmp_path: Path) -> None:
    good = _archive({"cfg.yaml": _cm("cfg", "green")})
    bad_tar = io.BytesIO()
    with tarfile.open(fileobj=bad_tar, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escape.yaml")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    cases: list[tuple[str, bytes, dict[str, str], str, int, str]] = [
        ("admin", bad_tar.getvalue(), GZIP, "", 400, "'..' is not allowed"),
        ("admin", b"not an archive", GZIP, "", 400, "not a readable gzip-compressed tar"),
        ("admin", good, {"Content-Type": "application/json"}, "", 400, "tar.gz archive"),
        ("admin", b"\x1f\x8b" * (4 * 1024 * 1024 + 1), GZIP, "", 400, "body exceeds"),
        ("admin", good, GZIP, "?sourcePosition=2", 400, "out of range"),
        ("admin", _archive({"bad.yaml": "a: [\n"}), GZIP, "", 500, "error generating manifests"),
        ("bob", good, GZIP, "", 403, "permission denied"),
    ]

    async def body(api: ApiHarness) -> None:
        for user, content, headers, query, status, message in cases:
            resp = await api.http.post(
                PATH + query, content=content, headers={**headers, **bearer(user)}
            )
            assert resp.status_code == status, (message, resp.text)
            assert message in resp.json()["message"], resp.text

    _run(tmp_path, body)
