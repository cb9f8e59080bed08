"""Build and run a real local Kubernetes control plane (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok) on 127.0.0.1, for tests and the demo.

This package is developer tooling: product code never imports it (import-linter enforces it).
"""

from kapstan.localcluster.cluster import ClusterError, LocalCluster
from kapstan.localcluster.toolchain import Toolchain, ToolchainError

__all__ = ["ClusterError", "LocalCluster", "Toolchain", "ToolchainError"]
