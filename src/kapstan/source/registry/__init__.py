"""Container registries over the OCI Distribution API (async, on httpx2).

- ``reference``: image references (``registry/name:tag@digest``) and Docker Hub's defaults;
- ``wire``: pure parsing of what registries send (``WWW-Authenticate``, ``Link``, manifests,
  indexes, image configs);
- ``client``: :class:`RegistryClient`, one per registry: tags, manifests, config blobs, auth,
  rate limit, limits and the tag cache;
- ``errors``: :class:`RegistryError` and its subclasses.
"""

from kapstan.source.registry.client import (
    ImageDetails,
    RegistryClient,
    RegistryEndpoint,
    TagList,
)
from kapstan.source.registry.errors import (
    RegistryAuthFailed,
    RegistryError,
    RegistryNotFound,
    RegistryResponseInvalid,
)
from kapstan.source.registry.reference import ImageRef, parse_image
from kapstan.source.registry.wire import Manifest, Platform

__all__ = [
    "ImageDetails",
    "ImageRef",
    "Manifest",
    "Platform",
    "RegistryAuthFailed",
    "RegistryClient",
    "RegistryEndpoint",
    "RegistryError",
    "RegistryNotFound",
    "RegistryResponseInvalid",
    "TagList",
    "parse_image",
]
