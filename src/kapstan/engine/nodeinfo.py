"""What a resource tree node says beyond identity and health, as Argo CD's controller puts it
in ``ResourceNode.info`` and ``networkingInfo`` (its ``populateNodeInfo``), so the UI's pods
view (grouped by node), network view (Ingress → Service → Pods) and node summaries work:

- any object: ``Revision`` (``Rev:N``) from ``deployment.kubernetes.io/revision``; external
  URLs from ``link.argocd.argoproj.io/<name>`` annotations (``url`` or ``title|url``; only
  ``http``/``https`` URLs, so no ``javascript:`` link reaches the UI);
- Pod: ``Status Reason`` (the phase, the pod's reason, or the last waiting/terminated
  container's reason; ``Terminating`` while deleted), ``Node``, ``Containers`` (ready/total),
  ``Restart Count`` (when not zero); ``networkingInfo.labels``;
- Service: ``networkingInfo.targetLabels`` (its selector) and, for a LoadBalancer, the
  ``ingress`` of its status;
- Ingress (``networking.k8s.io``, ``extensions``): ``networkingInfo.targetRefs`` (the Services
  of its default backend and rules), ``ingress``, and an external URL per rule host and path
  (``https`` when a TLS entry names a secret or the host).

Pure: the object in, the fields to merge into the node out (nothing for other kinds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kapstan.model.keys import group_of

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
LINK_PREFIX = "link.argocd.argoproj.io/"
INGRESS_GROUPS = ("networking.k8s.io", "extensions")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def node_info(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``info`` and ``networkingInfo`` for the node of ``obj`` (see the module contract)."""
    meta = _map(obj.get("metadata"))
    info: list[dict[str, str]] = []
    revision = str(_map(meta.get("annotations")).get(REVISION_ANNOTATION) or "")
    if revision.isdigit() and int(revision) > 0:
        info.append({"name": "Revision", "value": f"Rev:{int(revision)}"})
    urls = _link_urls(_map(meta.get("annotations")))
    networking: dict[str, Any] = {}
    group, kind = group_of(str(obj.get("apiVersion") or "")), str(obj.get("kind") or "")
    if group == "" and kind == "Pod":
        info.extend(_pod_info(obj))
        labels = _map(meta.get("labels"))
        if labels:
            networking["labels"] = dict(labels)
    elif group == "" and kind == "Service":
        spec = _map(obj.get("spec"))
        selector = _map(spec.get("selector"))
        if selector:
            networking["targetLabels"] = {str(k): str(v) for k, v in selector.items()}
        if spec.get("type") == "LoadBalancer":
            networking["ingress"] = _lb_ingress(obj)
    elif group in INGRESS_GROUPS and kind == "Ingress":
        refs, hosts = _ingress_targets(obj)
        networking["targetRefs"] = refs
        networking["ingress"] = _lb_ingress(obj)
        urls.extend(hosts)
    if urls:
        networking["externalURLs"] = urls
    out: dict[str, Any] = {}
    if info:
        out["info"] = info
    if networking:
        out["networkingInfo"] = {k: v for k, v in networking.items() if v}
        if not out["networkingInfo"]:
            del out["networkingInfo"]
    return out


def _link_urls(annotations: Mapping[str, Any]) -> list[str]:
    urls = []
    for key, value in sorted(annotations.items()):
        if not str(key).startswith(LINK_PREFIX) or not isinstance(value, str):
            continue
        url = value.split("|", 1)[1] if "|" in value else value
        if url.startswith(("http://", "https://")):
            urls.append(value)
    return urls


def _lb_ingress(obj: Mapping[str, Any]) -> list[dict[str, str]]:
    found = []
    for item in _list(_map(_map(obj.get("status")).get("loadBalancer")).get("ingress")):
        entry = _map(item)
        if entry.get("hostname"):
            found.append({"hostname": str(entry["hostname"])})
        elif entry.get("ip"):
            found.append({"ip": str(entry["ip"])})
    return found


def _pod_info(pod: Mapping[str, Any]) -> list[dict[str, str]]:
    spec, status = _map(pod.get("spec")), _map(pod.get("status"))
    reason = str(status.get("reason") or status.get("phase") or "")
    restarts, ready = 0, 0
    for container in _list(status.get("initContainerStatuses")):
        restarts += int(_map(container).get("restartCount") or 0)
    for container in reversed(_list(status.get("containerStatuses"))):
        entry = _map(container)
        restarts += int(entry.get("restartCount") or 0)
        state = _map(entry.get("state"))
        waiting, terminated = _map(state.get("waiting")), _map(state.get("terminated"))
        if waiting.get("reason"):
            reason = str(waiting["reason"])
        elif terminated.get("reason"):
            reason = str(terminated["reason"])
        elif state.get("terminated") is not None:
            reason = f"ExitCode:{int(terminated.get('exitCode') or 0)}"
        elif entry.get("ready") and state.get("running") is not None:
            ready += 1
    if _map(pod.get("metadata")).get("deletionTimestamp") and status.get("phase") not in (
        "Succeeded",
        "Failed",
    ):
        reason = "Terminating"
    info = [{"name": "Status Reason", "value": reason}] if reason else []
    info.append({"name": "Node", "value": str(spec.get("nodeName") or "")})
    total = len(_list(spec.get("containers")))
    info.append({"name": "Containers", "value": f"{ready}/{total}"})
    if restarts:
        info.append({"name": "Restart Count", "value": str(restarts)})
    return info


def _service_of(backend: Mapping[str, Any]) -> str:
    service = _map(backend.get("service"))  # networking.k8s.io/v1
    return str(service.get("name") or backend.get("serviceName") or "")  # or v1beta1


def _ingress_targets(ingress: Mapping[str, Any]) -> tuple[list[dict[str, str]], list[str]]:
    namespace = str(_map(ingress.get("metadata")).get("namespace") or "")
    spec = _map(ingress.get("spec"))
    names: set[str] = set()
    default = _map(spec.get("defaultBackend") or spec.get("backend"))
    if _service_of(default):
        names.add(_service_of(default))
    tls = [_map(t) for t in _list(spec.get("tls"))]
    urls: set[str] = set()
    for rule in (_map(r) for r in _list(spec.get("rules"))):
        host = str(rule.get("host") or "")
        for path in (_map(p) for p in _list(_map(rule.get("http")).get("paths"))):
            if _service_of(_map(path.get("backend"))):
                names.add(_service_of(_map(path.get("backend"))))
            if not host:
                continue
            secure = any(t.get("secretName") or host in _list(t.get("hosts")) for t in tls)
            sub = str(path.get("path") or "").removesuffix("*")
            urls.add(f"{'https' if secure else 'http'}://{host}{sub}")
    refs = [
        {"group": "", "kind": "Service", "namespace": namespace, "name": n} for n in sorted(names)
    ]
    return refs, sorted(urls)
