"""``--staticassets``: a UI build served beside the API (Argo CD's static handler): files with
their types and cache headers, ``index.html`` for client-side routes, the API's paths left
alone, nothing read outside the directory."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from kapstan.api.context import ApiContext
from kapstan.api.static import (
    STRICT_CSP,
    UiAssets,
    UiAssetsError,
    is_reserved,
    normalize_base_href,
)
from kapstan.testing.api import ApiHarness, api_on, bearer
from kapstan.testing.fakekube import FakeKube

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BUNDLE = "main.0a1b2c3d4e5f60718293.js"
INDEX = '<!DOCTYPE html><html><head><base href="/"></head><body><div id="app"></div></body></html>'


def _build(root: Path) -> Path:
    ui = root / "app"
    (ui / "assets" / "fonts").mkdir(parents=True)
    (ui / "index.html").write_text(INDEX)
    (ui / BUNDLE).write_text("console.log('ui');\n")
    (ui / "runtime.1234567890abcdef1234.chunk.js").write_text("//\n")
    (ui / "assets" / "fonts.css").write_text("body {}\n")
    (ui / "assets" / "fonts" / "icons.woff2").write_bytes(b"wOF2")
    (ui / ".gitkeep").write_text("")
    (root / "secret.txt").write_text("outside the build\n")
    os.symlink(root / "secret.txt", ui / "escape.txt")
    os.symlink(ui / "assets" / "fonts.css", ui / "inside.css")
    return ui


def _run(
    tmp_path: Path, check: Callable[[ApiHarness, Path], Awaitable[None]], base_href: str = "/"
) -> None:
    ui = _build(tmp_path)

    def customize(ctx: ApiContext) -> None:
        ctx.ui = UiAssets(ui, base_href)

    async def body() -> None:
        async with api_on(FakeKube(namespaces=("argocd",)), customize=customize) as api:
            await check(api, ui)

    asyncio.run(body())


def test_files_have_their_type_and_cache_policy(tmp_path: Path) -> None:
    async def check(api: ApiHarness, _ui: Path) -> None:
        answer = await api.http.get(f"/{BUNDLE}")
        assert answer.status_code == 200
        assert answer.text == "console.log('ui');\n"
        assert answer.headers["content-type"] == "application/javascript; charset=utf-8"
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["x-frame-options"] == "sameorigin"
        assert answer.headers["x-robots-tag"] == "noindex, nofollow"
        chunk = await api.http.get("/runtime.1234567890abcdef1234.chunk.js")
        assert chunk.headers["cache-control"] == "public, max-age=31536000, immutable"
        css = await api.http.get("/assets/fonts.css")
        assert css.headers["content-type"] == "text/css; charset=utf-8"
        assert css.headers["cache-control"] == "no-cache"
        font = await api.http.get("/assets/fonts/icons.woff2")
        assert (font.headers["content-type"], font.content) == ("font/woff2", b"wOF2")
        again = await api.http.get(
            "/assets/fonts.css", headers={"If-None-Match": css.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.content == b""
        head = await api.http.head(f"/{BUNDLE}")
        assert head.status_code == 200
        assert head.content == b""

    _run(tmp_path, check)


def test_client_side_routes_get_index_html_without_caching(tmp_path: Path) -> None:
    async def check(api: ApiHarness, _ui: Path) -> None:
        for path in ("/", "/applications", "/applications/argocd/guestbook", "/index.html"):
            answer = await api.http.get(path, headers=HTML)
            assert answer.status_code == 200, path
            assert answer.headers["content-type"] == "text/html; charset=utf-8"
            assert answer.headers["cache-control"] == "no-cache, private, max-age=0"
            assert answer.headers["pragma"] == "no-cache"
            assert '<base href="/">' in answer.text
        # A script asking for a file that is not there gets a 404, not the page.
        missing = await api.http.get("/main.ffffffffffffffffffff.js", headers={"Accept": "*/*"})
        assert missing.status_code == 404
        assert missing.text == "404 page not found\n"

    _run(tmp_path, check)


def test_base_href_is_rewritten(tmp_path: Path) -> None:
    async def check(api: ApiHarness, _ui: Path) -> None:
        answer = await api.http.get("/applications", headers=HTML)
        assert '<base href="/argo/cd/">' in answer.text

    _run(tmp_path, check, base_href="argo/cd")
    assert normalize_base_href("/") == "/"
    assert normalize_base_href("/x") == "/x/"


def test_index_html_is_read_again_when_it_changes(tmp_path: Path) -> None:
    async def check(api: ApiHarness, ui: Path) -> None:
        assert "app" in (await api.http.get("/", headers=HTML)).text
        (ui / "index.html").write_text('<html><base href="/"><p>rebuilt, longer than before</p>')
        assert "rebuilt" in (await api.http.get("/settings", headers=HTML)).text

    _run(tmp_path, check)


def test_the_api_keeps_its_paths(tmp_path: Path) -> None:
    async def check(api: ApiHarness, _ui: Path) -> None:
        unknown = await api.http.get("/api/v1/nothing-here", headers=HTML)
        assert unknown.status_code == 404
        assert unknown.json() == {"error": "Not Found", "code": 5, "message": "Not Found"}
        assert (await api.http.get("/healthz", headers=HTML)).text == "ok"
        ext = await api.http.get("/extensions.js", headers=HTML)
        assert (ext.status_code, ext.content) == (200, b"")
        assert ext.headers["content-type"].startswith("application/javascript")
        assert (await api.http.get("/swagger.json", headers=HTML)).json()["openapi"]
        info = await api.http.get("/api/v1/session/userinfo", headers=bearer("admin"))
        assert info.json()["username"] == "admin"
        # /auth/login is the API's (SSO, GET only), never the UI's index.html.
        login = await api.http.post("/auth/login", headers=HTML)
        assert login.status_code == 501  # the API's answer to a method it does not serve
        # Writes never reach the UI's files.
        post = await api.http.post("/applications/argocd/x", headers=HTML)
        assert post.status_code == 404
        assert post.json()["code"] == 5

    _run(tmp_path, check)


@pytest.mark.parametrize(
    "path",
    [
        "/escape.txt",  # a symbolic link out of the build
        "/%2e%2e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/.gitkeep",
        "/assets/%00fonts.css",
    ],
)
def test_nothing_outside_the_build_is_served(tmp_path: Path, path: str) -> None:
    async def check(api: ApiHarness, _ui: Path) -> None:
        answer = await api.http.get(path, headers={"Accept": "*/*"})
        assert answer.status_code == 404, answer.text
        assert "outside the build" not in answer.text

    _run(tmp_path, check)


def test_a_link_inside_the_build_is_served(tmp_path: Path) -> None:
    async def check(api: ApiHarness, _ui: Path) -> None:
        assert (await api.http.get("/inside.css")).text == "body {}\n"

    _run(tmp_path, check)


def test_a_directory_that_is_not_a_build_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UiAssetsError, match="does not exist"):
        UiAssets(tmp_path / "absent")
    with pytest.raises(UiAssetsError, match=r"no index\.html"):
        UiAssets(tmp_path)


def test_reserved_paths() -> None:
    for path in ("/api", "/api/v1/x", "/auth/login", "/swagger.json", "/healthz", "/terminal"):
        assert is_reserved(path), path
    for path in ("/", "/applications", "/apis", "/assets/x.css", "/extensions"):
        assert not is_reserved(path), path


def test_kapstans_own_build_has_a_strict_csp_and_caches_its_hashed_assets(
    tmp_path: Path,
) -> None:
    """Kapstan's UI (Vite's ``assets/<name>-<hash>.js``) with :data:`STRICT_CSP`."""
    ui = _build(tmp_path)
    (ui / "assets" / "index-DAFCxugL.js").write_text("//\n")

    def customize(ctx: ApiContext) -> None:
        ctx.ui = UiAssets(ui, csp=STRICT_CSP, hashed_dir="assets")

    async def body() -> None:
        async with api_on(FakeKube(namespaces=("argocd",)), customize=customize) as api:
            page = await api.http.get("/applications/argocd/web", headers=HTML)
            assert page.headers["content-security-policy"] == STRICT_CSP
            assert "script-src 'self';" in STRICT_CSP
            script = await api.http.get("/assets/index-DAFCxugL.js")
            assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert script.headers["content-security-policy"] == STRICT_CSP
            index = await api.http.get("/index.html", headers=HTML)
            assert index.headers["cache-control"].startswith("no-cache")

    asyncio.run(body())
