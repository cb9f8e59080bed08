"""Authentication for the API server: Argo CD's local accounts and tokens (see docs/auth.md)."""
