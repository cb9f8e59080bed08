"""Pure sync planning and the resumable sync step machine (gitops-engine ``pkg/sync``)."""
