"""Live-state cache: one watch-driven, indexed mirror of each cluster's objects.

``ports`` (the client it needs, as protocols), ``filters`` (which kinds), ``entry`` (what is
kept per object), ``index`` (lookups by key, namespace, owner and app; which app an object
belongs to is :mod:`kapstan.engine.tracking`), ``reflector`` (list then watch one collection,
surviving 410 and restarts), ``cluster`` (one cluster) and ``manager`` (many clusters from
Argo CD cluster secrets).
"""
