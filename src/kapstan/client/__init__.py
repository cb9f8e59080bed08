"""The API client the ``kapstan`` CLI's Argo CD-style commands use: Argo CD's local config
file (:mod:`.config`), the connection a command resolves from flags, environment and config
(:mod:`.connection`), and the HTTP client of ``kapstan server``'s ``/api/v1`` (:mod:`.http`).
It depends on the model only: a client never reaches into the server's code."""
