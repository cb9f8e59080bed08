"""Keycloak, the real OIDC identity provider of the SSO tests (``make keycloak``).

Contract of :func:`install`: Keycloak's Maven distribution
(``org.keycloak:keycloak-quarkus-dist:<VERSION>:zip``) is fetched with ``mvn dependency:get``
into the user's Maven repository, unpacked into ``<cache>/keycloak/<VERSION>/`` (outside the
repository, like the toolchain) and stamped; a second call with the stamp in place does
nothing. :func:`home` is where ``bin/kc.sh`` is. Nothing here starts Keycloak: the tests do
(``tests/integration/sso``), each run with its own data directory.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

from kapstan.localcluster import process
from kapstan.localcluster.paths import cache_root

VERSION = "26.7.3"
ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{VERSION}:zip"


class KeycloakInstallError(RuntimeError):
    """The distribution could not be fetched or unpacked; the message says why."""


def root() -> Path:
    return cache_root() / "keycloak" / VERSION


def home() -> Path:
    """The unpacked distribution (``bin/kc.sh``)."""
    return root() / f"keycloak-{VERSION}"


def _stamp() -> Path:
    return root() / ".installed"


def installed() -> bool:
    return _stamp().is_file() and (home() / "bin" / "kc.sh").is_file()


def _zip() -> Path:
    group = Path.home() / ".m2" / "repository" / "org" / "keycloak" / "keycloak-quarkus-dist"
    return group / VERSION / f"keycloak-quarkus-dist-{VERSION}.zip"


def install() -> Path:
    """Fetch and unpack Keycloak when missing (see the module contract); its home."""
    if installed():
        return home()
    root().mkdir(parents=True, exist_ok=True)
    log = root() / "install.log"
    if not _zip().is_file():
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KeycloakInstallError("mvn is not installed (apt package maven)")
        argv = [mvn, "-B", "-q", "dependency:get", f"-Dartifact={ARTIFACT}", "-Dtransitive=false"]
        try:
            process.run(argv, log=log, timeout=900)
        except process.CommandError as err:
            raise KeycloakInstallError(f"{err}; see {log}") from None
    work = root() / "unpack"
    shutil.rmtree(work, ignore_errors=True)
    with zipfile.ZipFile(_zip()) as archive:
        archive.extractall(work)
    shutil.rmtree(home(), ignore_errors=True)
    (work / home().name).rename(home())
    shutil.rmtree(work, ignore_errors=True)
    for script in (home() / "bin").glob("*.sh"):
        script.chmod(0o755)  # zipfile drops the mode bits
    _stamp().write_text(ARTIFACT + "\n")
    return home()


def main() -> int:
    try:
        print(f"keycloak: {install()}", flush=True)
    except KeycloakInstallError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 1
    return 0


__all__ = ["VERSION", "KeycloakInstallError", "home", "install", "installed", "main"]
