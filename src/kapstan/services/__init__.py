"""services layer: shared by every runtime (see docs/architecture.md)."""
