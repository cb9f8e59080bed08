"""Prometheus Operator kinds (``monitoring.coreos.com``): deliberately no health.

Argo CD assesses none of ServiceMonitor, PodMonitor, Probe, ScrapeConfig, PrometheusRule,
AlertmanagerConfig, Prometheus, PrometheusAgent, Alertmanager or ThanosRuler. Their
conditions (``Available``, ``Reconciled``) flap while pods roll, and they are
configuration for workloads judged elsewhere, so Kapstan keeps them out of app health
even when the kstatus fallback is on. A user's Lua check still applies.
"""

from __future__ import annotations

NO_HEALTH_GROUPS = frozenset({"monitoring.coreos.com"})
