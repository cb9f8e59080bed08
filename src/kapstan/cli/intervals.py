"""Parsing the image automation intervals of the command line.

``--image-interval`` (``kapstan controller``, ``kapstan server --with-controller``): seconds,
``0`` for "only on request" (registry webhooks), or ``off`` (no image loop in this process:
``kapstan image-updater`` runs it). ``off`` is returned as ``-1``, what
:class:`~kapstan.runtime.controller.ControllerOptions` reads as "off".

``--interval`` (``kapstan image-updater``): a Go-style duration as argocd-image-updater takes
it (``2m``, ``30s``, ``1m30s``, ``500ms``, ``1h``) or ``0``. A bare number other than ``0`` is
refused: argocd-image-updater reads it as milliseconds, Kapstan's other flags as seconds, so
guessing would be wrong for someone.
"""

from __future__ import annotations

import math
import re

import typer

OFF = -1.0
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def image_interval(value: str | None) -> float | None:
    """``--image-interval``: seconds, ``0`` or ``off`` (``-1``)."""
    if value is None:
        return None
    text = value.strip().lower()
    if text == "off":
        return OFF
    try:
        seconds = float(text)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: give seconds (e.g. 120), 0 or off") from None
    if seconds < 0 or not math.isfinite(seconds):
        raise typer.BadParameter(f"{value!r}: give seconds (e.g. 120), 0 or off")
    return seconds


def duration(value: str) -> float:
    """``--interval``: a duration with units (``2m``, ``1m30s``) or ``0``, in seconds."""
    text = value.strip()
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        hint = " (a unit is required: argocd-image-updater reads a bare number as milliseconds)"
        bare = text.replace(".", "", 1).isdigit()
        raise typer.BadParameter(
            f"{value!r}: give a duration such as 2m, 30s or 1m30s, or 0{hint if bare else ''}"
        )
    return total


__all__ = ["OFF", "duration", "image_interval"]
