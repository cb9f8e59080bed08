"""Errors of the registry client. Messages name the registry and repository, never a
credential; ``url`` is the registry's API URL."""

from __future__ import annotations

from kapstan.source.errors import SourceError


class RegistryError(SourceError):
    """A registry could not be read (unreachable, timed out, refused, or answered an error)."""


class RegistryAuthFailed(RegistryError):
    """The registry (or its token service) refused our credentials, or wanted some."""


class RegistryNotFound(RegistryError):
    """The registry has no such repository, tag or blob."""


class RegistryResponseInvalid(RegistryError):
    """The registry answered something that is not what the API promises: malformed JSON, a
    manifest whose digest does not match, an answer over the size limit."""
