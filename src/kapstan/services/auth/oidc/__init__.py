"""Direct OIDC single sign-on (argocd-cm ``oidc.config``): see :class:`OidcService` and
docs/sso.md. Pure parts: :mod:`.config`, :mod:`.idtoken`, :mod:`.flow`; I/O: :mod:`.provider`
(the issuer's documents) and :mod:`.service`."""

from kapstan.services.auth.oidc.config import OidcConfig, parse_oidc
from kapstan.services.auth.oidc.flow import STATE_COOKIE, LoginFlowError
from kapstan.services.auth.oidc.idtoken import OidcTokenError
from kapstan.services.auth.oidc.provider import Provider, ProviderError
from kapstan.services.auth.oidc.service import OidcService

__all__ = [
    "STATE_COOKIE",
    "LoginFlowError",
    "OidcConfig",
    "OidcService",
    "OidcTokenError",
    "Provider",
    "ProviderError",
    "parse_oidc",
]
