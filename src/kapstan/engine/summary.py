"""Application ``status.summary``: container images and external URLs of live objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kapstan.model.vocabulary import EXTERNAL_LINK


def _pod_specs(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = obj.get("spec") or {}
    kind = obj.get("kind")
    if kind == "Pod":
        return [spec]
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template") if isinstance(spec, Mapping) else None
    pod_spec = (template or {}).get("spec") if isinstance(template, Mapping) else None
    return [pod_spec] if isinstance(pod_spec, Mapping) else []


def images_of(obj: Mapping[str, Any]) -> list[str]:
    """Container images of a Pod or of a workload's pod template."""
    found: list[str] = []
    for pod_spec in _pod_specs(obj):
        for field in ("initContainers", "containers", "ephemeralContainers"):
            for container in pod_spec.get(field) or []:
                image = (container or {}).get("image")
                if image:
                    found.append(str(image))
    return found


def external_urls_of(obj: Mapping[str, Any]) -> list[str]:
    """Ingress URLs (gitops-engine ``getIngressInfo``) plus the external-link annotation."""
    urls: list[str] = []
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if annotations.get(EXTERNAL_LINK):
        urls.append(str(annotations[EXTERNAL_LINK]))
    if obj.get("kind") != "Ingress":
        return urls
    spec = obj.get("spec") or {}
    lb = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    lb_host = next(
        (
            str(i.get("hostname") or i.get("ip"))
            for i in lb
            if i and (i.get("hostname") or i.get("ip"))
        ),
        "",
    )
    tls_hosts = {str(h) for tls in spec.get("tls") or [] for h in (tls or {}).get("hosts") or []}
    for rule in spec.get("rules") or []:
        host = str((rule or {}).get("host") or "") or lb_host
        if not host:
            continue
        scheme = "https" if host in tls_hosts else "http"
        paths = ((rule or {}).get("http") or {}).get("paths") or [{}]
        for path in paths:
            sub = str((path or {}).get("path") or "").removesuffix("*")
            urls.append(f"{scheme}://{host}{sub}")
    if not spec.get("rules") and lb_host:
        urls.append(f"http://{lb_host}")
    return urls


def summarize(objs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{externalURLs, images}`` (sorted, unique; empty lists omitted as Argo CD does)."""
    images: set[str] = set()
    urls: set[str] = set()
    for obj in objs:
        images.update(images_of(obj))
        urls.update(external_urls_of(obj))
    summary: dict[str, Any] = {}
    if urls:
        summary["externalURLs"] = sorted(urls)
    if images:
        summary["images"] = sorted(images)
    return summary
