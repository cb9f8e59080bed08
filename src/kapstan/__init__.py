"""Kapstan: GitOps continuous delivery for Kubernetes, wire-compatible with Argo CD."""

__version__ = "0.1.0"
