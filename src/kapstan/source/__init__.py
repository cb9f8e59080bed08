"""source layer (see docs/architecture.md): reading Git repositories.

- ``urls``: Argo CD-compatible URL normalization and credential stripping;
- ``credentials``: ``repository`` / ``repo-creds`` Secrets → :class:`RepoCredentials`;
- ``revisions``: pure ``targetRevision`` resolution (refs, SHAs, semver constraints);
- ``git``: the async git CLI client (cache per repository, locking, checkout);
- ``errors``: :class:`SourceError` and its subclasses.
"""
