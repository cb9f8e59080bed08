"""Docker Hub repository webhooks, as Argo CD parses them.

Docker Hub sends no header of its own and cannot sign, so the webhook URL says what it is and
carries the secret: ``/api/webhook?type=dockerhub&secret=<webhook.dockerhub.secret>`` (an
``Authorization`` header, set by a proxy in front, is preferred to the query parameter). With
the key empty Docker Hub deliveries are not recognised (400 ``Unknown webhook event``); a wrong
secret is 401 ``Unauthorized``. Official images (``nginx``) are ``library/nginx``; a payload
without a repository or tag asks for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.services.webhooks.events import RegistryPush, decode_json, obj, text
from kapstan.services.webhooks.signatures import SecretKey, check_shared_secret

TYPE = "dockerhub"
REGISTRY = "docker.io"


def recognises(query: Mapping[str, str], secrets: Mapping[str, str]) -> bool:
    return query.get("type") == TYPE and bool(secrets.get(SecretKey.DOCKERHUB, ""))


def parse(
    headers: Mapping[str, str], query: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
) -> tuple[RegistryPush, ...]:
    check_shared_secret(headers, query, secrets.get(SecretKey.DOCKERHUB, ""))
    data = decode_json(body)
    repo = obj(data, "repository")
    repository = text(repo, "repo_name")
    if not repository and text(repo, "name"):
        namespace = text(repo, "namespace")
        repository = f"{namespace}/{text(repo, 'name')}" if namespace else text(repo, "name")
    if repository and "/" not in repository:
        repository = f"library/{repository}"
    tag = text(obj(data, "push_data"), "tag")
    if not (repository and tag):
        return ()
    return (RegistryPush(REGISTRY, repository, tag),)


__all__ = ["REGISTRY", "TYPE", "parse", "recognises"]
