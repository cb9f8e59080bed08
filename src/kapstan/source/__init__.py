"""source layer (see docs/architecture.md)."""
