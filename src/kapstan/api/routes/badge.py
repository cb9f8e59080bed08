"""``GET /api/badge``: an SVG status badge, public as Argo CD's (so off unless argocd-cm
``statusbadge.enabled: "true"``).

Contract: ``name`` (an app) or ``project`` (repeatable: the worst health and sync of that
project's apps) picks what is shown; ``revision=true`` adds the synced revision (7 characters
unless ``keepFullRevision=true``), ``showAppName=true`` the app's name, ``width`` a minimum
width in pixels. A disabled badge, an unknown app or project, and bad input all answer the
same grey "Unknown" badge with status 200, so a badge URL tells nothing about what exists.
Text is XML-escaped; nothing of the request is echoed unescaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Query
from starlette.responses import Response

from kapstan.api.common import Ctx, project_of

router = APIRouter()
BADGE_KEY = "statusbadge.enabled"
UNKNOWN = "Unknown"
COLORS = {
    "Healthy": "#18be52",
    "Synced": "#18be52",
    "Progressing": "#0dadea",
    "Suspended": "#766f94",
    "OutOfSync": "#f4c030",
    "Missing": "#f4c030",
    "Degraded": "#e96d76",
    UNKNOWN: "#9e9e9e",
}
HEALTH_ORDER = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", UNKNOWN]
CHAR_WIDTH, PAD, HEIGHT = 7, 10, 20
MAX_WIDTH = 2000


def _status(app: Mapping[str, Any]) -> tuple[str, str, str]:
    status = app.get("status") or {}
    health = str((status.get("health") or {}).get("status") or UNKNOWN)
    sync = status.get("sync") or {}
    return health, str(sync.get("status") or UNKNOWN), str(sync.get("revision") or "")


def _worst(values: Iterable[str], order: list[str]) -> str:
    found = list(values)
    if not found:
        return UNKNOWN
    return max(found, key=lambda v: order.index(v) if v in order else len(order))


def _svg(parts: list[tuple[str, str]], min_width: int) -> str:
    widths = [len(text) * CHAR_WIDTH + 2 * PAD for text, _ in parts]
    total = sum(widths)
    if min_width > total:
        widths[-1] += min_width - total
        total = min_width
    x, rects, texts = 0, [], []
    for (text, color), width in zip(parts, widths, strict=True):
        rects.append(f'<rect x="{x}" width="{width}" height="{HEIGHT}" fill="{color}"/>')
        texts.append(f'<text x="{x + width / 2:g}" y="14">{escape(text)}</text>')
        x += width
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{HEIGHT}" '
        f'role="img" aria-label="status">'
        f"{''.join(rects)}"
        '<g fill="#fff" text-anchor="middle" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" '
        f'font-size="11">{"".join(texts)}</g></svg>'
    )


def _answer(svg: str) -> Response:
    headers = {"Cache-Control": "private, no-store", "Access-Control-Allow-Origin": "*"}
    return Response(svg, media_type="image/svg+xml", headers=headers)


@router.get("/api/badge")
def badge(
    ctx: Ctx,
    name: str = "",
    project: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's query declaration
    revision: bool = False,
    show_app_name: bool = Query(default=False, alias="showAppName"),
    keep_full_revision: bool = Query(default=False, alias="keepFullRevision"),
    width: int = 0,
) -> Response:
    width = max(0, min(width, MAX_WIDTH))
    unknown = [(UNKNOWN, COLORS[UNKNOWN]), (UNKNOWN, COLORS[UNKNOWN])]
    if str(ctx.settings().cm.get(BADGE_KEY, "")).strip().lower() != "true":
        return _answer(_svg(unknown, width))
    if name:
        app = ctx.mirror.app(name)
        if app is None:
            return _answer(_svg(unknown, width))
        health, sync, rev = _status(app)
    elif project:
        apps = [a for a in ctx.mirror.apps() if project_of(a) in set(project)]
        if not apps:
            return _answer(_svg(unknown, width))
        statuses = [_status(a) for a in apps]
        health = _worst((s[0] for s in statuses), HEALTH_ORDER)
        sync = "Synced" if all(s[1] == "Synced" for s in statuses) else "OutOfSync"
        rev = ""
    else:
        return _answer(_svg(unknown, width))
    parts = [
        (health, COLORS.get(health, COLORS[UNKNOWN])),
        (sync, COLORS.get(sync, COLORS[UNKNOWN])),
    ]
    if revision and rev:
        parts.append((rev if keep_full_revision else rev[:7], "#4c4c4c"))
    if show_app_name and name:
        parts.insert(0, (name, "#4c4c4c"))
    return _answer(_svg(parts, width))


__all__ = ["router"]
