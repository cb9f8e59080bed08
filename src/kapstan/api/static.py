"""A web UI build served by ``kapstan server --staticassets DIR`` (Argo CD's flag).

Contract of :class:`UiAssets` (what argocd-server's static handler does, for a UI build such
as Argo CD's own ``ui/dist/app``):

- only ``GET`` and ``HEAD`` of paths outside the server's own (:data:`RESERVED`: ``/api``,
  ``/auth``, ``/swagger.json``, ``/healthz``, ``/extensions.js``, ``/extensions/``,
  ``/terminal``) are answered here; everything else goes to the API untouched, so an unknown
  ``/api/...`` path stays grpc-gateway's JSON 404;
- a path naming a file under ``DIR`` answers that file with its content type; a file name
  carrying a webpack content hash (``main.0a1b2c3d4e5f60718293.js``), or any file of
  Kapstan's own build's ``assets/`` (Vite's hashed names), is cached for a year
  (``immutable``), anything else must be revalidated (``no-cache``, with ``ETag`` and
  ``Last-Modified``; a matching ``If-None-Match`` answers 304);
- any other path asked for by a browser (``Accept: text/html``), such as the client-side route
  ``/applications/argocd/guestbook``, answers ``index.html`` with Argo CD's no-cache headers
  and its ``<base href="/">`` rewritten for ``base_href`` (``--basehref``); ``index.html``
  is re-read when the file changes;
- otherwise 404 (plain text, as Go's file server);
- nothing outside ``DIR`` is ever read: ``..`` segments, NUL bytes, dot-files and symbolic
  links resolving out of ``DIR`` are 404;
- every answer carries Argo CD's headers: ``X-Frame-Options: sameorigin``,
  ``Content-Security-Policy: frame-ancestors 'self';``, ``X-XSS-Protection: 1``,
  ``X-Robots-Tag: noindex, nofollow`` (and ``X-Content-Type-Options: nosniff``); Kapstan's
  own UI (:func:`bundled_ui`) gets :data:`STRICT_CSP` instead, which allows no inline or
  foreign script and no connection outside the origin.

Kapstan's own UI is built from ``web/`` into :data:`BUNDLED` (``kapstan/api/webui`` in the
package, never committed) and served when no ``--staticassets`` is given.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

RESERVED = ("/api", "/auth", "/swagger.json", "/healthz", "/extensions.js", "/extensions/")
RESERVED_EXACT = ("/terminal",)
HASHED = re.compile(r"\.[0-9a-f]{16,}\.(?:chunk\.)?(?:js|css)(?:\.map)?$")
BASE_HREF = re.compile(r'<base href="(.*?)">')
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
NO_CACHE = {  # argocd-server's headers on index.html
    "Cache-Control": "no-cache, private, max-age=0",
    "Expires": "Thu, 01 Jan 1970 00:00:00 UTC",
    "Pragma": "no-cache",
    "X-Accel-Expires": "0",
}
SECURITY = {
    "X-Frame-Options": "sameorigin",
    "Content-Security-Policy": "frame-ancestors 'self';",
    "X-XSS-Protection": "1",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
# Kapstan's UI: scripts and connections from the origin only (no inline script, no CDN);
# inline styles are allowed because the editor and the graph position elements with them.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self';"
)
BUNDLED = Path(__file__).parent / "webui"
_TYPES = {
    ".js": "application/javascript",
    ".mjs": "application/javascript",
    ".map": "application/json",
}
_TYPES |= {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
}


class UiAssetsError(ValueError):
    """The directory is not a UI build (no such directory, or no ``index.html``)."""


def is_reserved(path: str) -> bool:
    """Whether ``path`` belongs to the server itself rather than to the UI."""
    if path in RESERVED_EXACT:
        return True
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in RESERVED)


def normalize_base_href(value: str) -> str:
    """``--basehref`` as the tag wants it: ``/`` or ``/<path>/``."""
    inner = value.strip().strip("/")
    return f"/{inner}/" if inner else "/"


def content_type(path: Path) -> str:
    """The media type of a UI file (text types in UTF-8)."""
    found = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    found = found or "application/octet-stream"
    if found.startswith("text/") or found in ("application/javascript", "application/json"):
        return f"{found}; charset=utf-8"
    return found


@dataclass
class _Index:
    stamp: tuple[int, int]
    body: bytes


class UiAssets:
    """The files of one UI build (see the module contract)."""

    def __init__(
        self,
        directory: Path,
        base_href: str = "/",
        *,
        csp: str | None = None,
        hashed_dir: str | None = None,
    ) -> None:
        root = Path(directory).expanduser()
        if not root.is_dir():
            raise UiAssetsError(f"static assets directory {root} does not exist")
        self.root = root.resolve()
        if not (self.root / "index.html").is_file():
            raise UiAssetsError(f"{self.root} has no index.html: not a UI build")
        self.base_href = normalize_base_href(base_href)
        self._index: _Index | None = None
        self.security = SECURITY | ({"Content-Security-Policy": csp} if csp else {})
        # Vite names every file of its assets/ directory by content hash (base64url, which
        # HASHED's webpack pattern does not match): all of them may be cached for good.
        self.hashed_root = self.root / hashed_dir if hashed_dir else None

    def find(self, url_path: str) -> Path | None:
        """The file ``url_path`` names inside the build, or ``None``."""
        parts = [p for p in url_path.split("/") if p]
        if not parts or any(p.startswith(".") or "\x00" in p or "\\" in p for p in parts):
            return None
        candidate = self.root.joinpath(*parts)
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            return None
        return resolved

    def index_html(self) -> bytes:
        """``index.html`` with its base href set (re-read when the file changes)."""
        path = self.root / "index.html"
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._index is None or self._index.stamp != stamp:
            body = path.read_bytes()
            if self.base_href != "/":
                tag = f'<base href="{self.base_href}">'
                body = BASE_HREF.sub(tag, body.decode()).encode()
            self._index = _Index(stamp, body)
        return self._index.body

    def response(self, path: str, headers: Headers) -> Response:
        """The answer to a GET or HEAD of ``path`` (not a reserved one)."""
        found = self.find(path) if path != "/index.html" else None
        if found is not None:
            answer = self._file(found, headers)
        elif _accepts_html(headers.get("accept", "")):
            answer = Response(self.index_html(), media_type="text/html; charset=utf-8")
            answer.headers.update(NO_CACHE)
        else:
            answer = PlainTextResponse("404 page not found\n", status_code=404)
        answer.headers.update(self.security)
        return answer

    def _file(self, path: Path, headers: Headers) -> Response:
        hashed = HASHED.search(path.name) is not None
        if self.hashed_root is not None and path.is_relative_to(self.hashed_root):
            hashed = True
        cache = IMMUTABLE if hashed else REVALIDATE
        answer = FileResponse(
            path,
            media_type=content_type(path),
            headers={"Cache-Control": cache},
            stat_result=path.stat(),  # ETag and Last-Modified now, for If-None-Match
        )
        etag = answer.headers.get("etag", "")
        asked = [t.strip() for t in headers.get("if-none-match", "").split(",") if t.strip()]
        if etag and (etag in asked or f"W/{etag}" in asked or "*" in asked):
            keep = ("etag", "last-modified", "cache-control")
            return Response(status_code=304, headers={k: answer.headers[k] for k in keep})
        return answer


def bundled_ui(base_href: str = "/") -> UiAssets | None:
    """Kapstan's own UI build with :data:`STRICT_CSP`, or ``None`` when it is not built."""
    if not (BUNDLED / "index.html").is_file():
        return None
    return UiAssets(BUNDLED, base_href, csp=STRICT_CSP, hashed_dir="assets")


def _accepts_html(accept: str) -> bool:
    return any(part.split(";")[0].strip() in ("text/html", "html") for part in accept.split(","))


class StaticAssetsMiddleware:
    """ASGI middleware: the UI's files in front of the API (see the module contract)."""

    def __init__(self, app: ASGIApp, assets: UiAssets) -> None:
        self.app = app
        self.assets = assets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if (
            scope["type"] != "http"
            or scope.get("method") not in ("GET", "HEAD")
            or is_reserved(path)
        ):
            await self.app(scope, receive, send)
            return
        response = self.assets.response(path, Headers(scope=scope))
        await response(scope, receive, send)


__all__ = [
    "BUNDLED",
    "RESERVED",
    "STRICT_CSP",
    "StaticAssetsMiddleware",
    "UiAssets",
    "UiAssetsError",
    "bundled_ui",
    "content_type",
    "is_reserved",
    "normalize_base_href",
]
