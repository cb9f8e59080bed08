"""Git webhooks (Argo CD's ``/api/webhook``): recognising the provider, verifying and parsing
its payload (one module per provider), matching the push to Applications and asking for their
refresh. The HTTP side (reading the body, the answers) is :mod:`kapstan.api.routes.webhook`."""
