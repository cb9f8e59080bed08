"""The Argo CD-style client commands of ``kapstan`` (``login``, ``app``, ``proj``, ``repo``,
``cluster``, ``account``, ``cert``…), clients of ``kapstan server`` over HTTP.

They import only :mod:`kapstan.client` and :mod:`kapstan.model` (enforced by import-linter);
:mod:`.globalflags` takes Argo CD's persistent flags (``--server``, ``--auth-token``…) from
anywhere on the command line, as cobra does; :mod:`.session` resolves the connection;
:mod:`.output` prints tables and ``-o json|yaml``; :mod:`.errors` turns failures into one line
and Argo CD's exit codes.
"""
