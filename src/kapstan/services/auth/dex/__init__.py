"""Dex, the OIDC broker Argo CD bundles (argocd-cm ``dex.config``): :mod:`.config` renders
Dex's configuration, :mod:`.login` makes Dex the issuer of the OIDC login, :mod:`.runner`
runs Dex as a child process of ``kapstan dex``. See docs/sso.md."""
