"""``kapstan demo``: the GitOps demo on a local cluster (developer tooling, not product code).

It sits beside :mod:`kapstan.localcluster` and :mod:`kapstan.testing`: it may use the local
cluster tooling, and product packages never import it.

- ``apps/`` (package data): five sample applications (plain YAML, Kustomize, Helm, Jsonnet and
  sync waves with hooks) that all become Healthy on the kwok fake-node cluster;
- :mod:`kapstan.demo.repo`: a git repository holding them, and their Application objects;
- :mod:`kapstan.demo.status`: the status table;
- :mod:`kapstan.demo.run`: what ``kapstan demo`` does, start to stop.
"""
