"""Real git servers for tests: a bare repository with known history, served over ``file://``,
HTTP with basic auth (Debian ``lighttpd`` + ``git-http-backend``) and SSH (``sshd``).

Contracts: servers bind 127.0.0.1 on a free port, run in their own process group (dying with
the test process), and are stopped when their context manager exits. All files live under the
directory the caller passes (a pytest temp dir), never in system locations — except that
``sshd`` insists on its privilege-separation directory ``/run/sshd``, created if missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kapstan.localcluster.ports import free_port
from kapstan.localcluster.process import ProcessHandle, capture, spawn, stop

GIT_HTTP_BACKEND = Path("/usr/lib/git-core/git-http-backend")
LIGHTTPD = Path("/usr/sbin/lighttpd")
SSHD = Path("/usr/sbin/sshd")

# label → (parent label or None, branch to commit on, tags on the new commit; "a:" = annotated)
_HISTORY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("c1", "main", ("a:v1.0.0",)),
    ("c2", "main", ("v1.2.3",)),
    ("c3", "main", ("a:v1.2.10", "1.3")),
    ("c4", "main", ("v2.0.0", "stable")),
    ("c5", "main", ("v2.1.0-rc.1",)),
    ("c6", "main", ()),
)


@dataclass(frozen=True)
class GitRepoFixture:
    """A bare repository at ``bare`` and the SHA of each labelled commit (plus branch heads)."""

    bare: Path
    commits: dict[str, str]

    @property
    def file_url(self) -> str:
        return self.bare.as_uri()


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
        GIT_AUTHOR_DATE="2024-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2024-01-01T00:00:00Z",
    )
    return env


def _git(work: Path, *args: str) -> str:
    return capture(["git", "-C", str(work), *args], env=_git_env()).strip()


def init_worktree(work: Path) -> Path:
    """A fresh non-bare repository at ``work`` (branch ``main``), usable as a ``file://``
    remote; fill it and call :func:`commit_all`."""
    work.mkdir(parents=True, exist_ok=True)
    _git(work, "init", "--quiet", "--initial-branch=main")
    return work


def commit_all(work: Path, message: str) -> str:
    """Commit every change in ``work`` and return the new commit's SHA."""
    _git(work, "add", "-A")
    _git(work, "commit", "--quiet", "--allow-empty", "-m", message)
    return _git(work, "rev-parse", "HEAD")


def worktree_with(work: Path, *dirs: tuple[Path, str]) -> Path:
    """A repository at ``work`` whose first commit holds each ``(source dir, path)`` copied to
    ``path`` (``extra/`` folders of the sources left out)."""
    init_worktree(work)
    for source, path in dirs:
        shutil.copytree(source, work / path, ignore=shutil.ignore_patterns("extra"))
    commit_all(work, "apps")
    return work


def build_repo(root: Path, name: str = "repo.git") -> GitRepoFixture:
    """Create ``root/<name>`` (bare, default branch ``main``) with the fixed history above, a
    branch ``feature/x`` (one commit ``f1`` off ``c2``) and ``release-1.0`` at ``c1``."""
    work = root / "work"
    work.mkdir(parents=True)
    _git(work, "init", "--quiet", "--initial-branch=main")
    commits: dict[str, str] = {}
    for label, _branch, tags in _HISTORY:
        (work / "version.txt").write_text(f"{label}\n")
        (work / "app").mkdir(exist_ok=True)
        (work / "app" / "cm.yaml").write_text(f"kind: ConfigMap\ndata: {{label: {label}}}\n")
        _git(work, "add", "-A")
        _git(work, "commit", "--quiet", "-m", f"commit {label}")
        commits[label] = _git(work, "rev-parse", "HEAD")
        for tag in tags:
            if tag.startswith("a:"):
                _git(work, "tag", "-a", "-m", f"release {tag[2:]}", tag[2:])
            else:
                _git(work, "tag", tag)
    _git(work, "checkout", "--quiet", "-b", "feature/x", commits["c2"])
    (work / "version.txt").write_text("f1\n")
    _git(work, "commit", "--quiet", "-am", "commit f1")
    commits["f1"] = _git(work, "rev-parse", "HEAD")
    _git(work, "branch", "release-1.0", commits["c1"])
    _git(work, "checkout", "--quiet", "main")
    bare = root / name
    capture(["git", "clone", "--quiet", "--bare", str(work), str(bare)], env=_git_env())
    commits["main"] = commits["c6"]
    commits["feature"] = commits["f1"]
    return GitRepoFixture(bare=bare, commits=commits)


def _wait_listening(port: int, handle: ProcessHandle, log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not handle.alive():
            raise RuntimeError(f"{handle.name} exited: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    stop(handle)
    raise RuntimeError(f"{handle.name} did not listen on {port}")


@dataclass(frozen=True)
class Server:
    """A running server: its base URL (no credentials) and, for SSH, the known_hosts line."""

    base_url: str
    handle: ProcessHandle
    known_hosts: str = ""
    ca_pem: str = ""  # for TLS servers: the CA that signed the server certificate


_LIGHTTPD_CONF = """
server.modules = ("mod_auth", "mod_authn_file", "mod_alias", "mod_setenv", "mod_cgi")
server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{root}/error.log"
alias.url = ( "/git" => "{backend}" )
$HTTP["url"] =~ "^/git" {{
  cgi.assign = ( "" => "" )
  setenv.add-environment = (
    "GIT_PROJECT_ROOT" => "{projects}",
    "GIT_HTTP_EXPORT_ALL" => "1"
  )
}}
auth.backend = "plain"
auth.backend.plain.userfile = "{root}/users"
auth.require = ( "/git" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
"""


@contextlib.contextmanager
def http_server(root: Path, projects: Path, users: dict[str, str]) -> Iterator[Server]:
    """lighttpd serving the bare repositories under ``projects`` at ``http://127.0.0.1:P/git/``,
    requiring HTTP basic auth with ``users`` (name → password)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "users").write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
    port = free_port()
    conf = root / "lighttpd.conf"
    conf.write_text(
        _LIGHTTPD_CONF.format(root=root, port=port, backend=GIT_HTTP_BACKEND, projects=projects)
    )
    log = root / "lighttpd.log"
    handle = spawn(
        "lighttpd", [str(LIGHTTPD), "-D", "-f", str(conf)], log=log, die_with_parent=True
    )
    try:
        _wait_listening(port, handle, log)
        yield Server(base_url=f"http://127.0.0.1:{port}/git", handle=handle)
    finally:
        stop(handle)


class _TlsProxy(socketserver.ThreadingTCPServer):
    """Terminates TLS on 127.0.0.1 and forwards the plain bytes to ``backend_port``.

    Debian's lighttpd ships ``mod_openssl`` in a separate package that is not installed here,
    so TLS is done in-process with :mod:`ssl` instead; to git it is the same HTTPS server.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext, backend_port: int) -> None:
        self.context = context
        self.backend_port = backend_port
        super().__init__(("127.0.0.1", 0), _TlsHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Handshake failures (an untrusting client) are expected: stay quiet."""


def _pump(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


class _TlsHandler(socketserver.BaseRequestHandler):
    server: _TlsProxy

    def handle(self) -> None:
        try:
            tls = self.server.context.wrap_socket(self.request, server_side=True)
        except (OSError, ssl.SSLError):
            return  # the client refused our certificate
        try:
            with tls, socket.create_connection(("127.0.0.1", self.server.backend_port)) as up:
                back = threading.Thread(target=_pump, args=(up, tls), daemon=True)
                back.start()
                _pump(tls, up)
                back.join(timeout=30)
        except OSError:
            return


@contextlib.contextmanager
def https_server(root: Path, projects: Path, users: dict[str, str]) -> Iterator[Server]:
    """:func:`http_server` behind TLS: ``https://127.0.0.1:P/git/``, certificate for 127.0.0.1
    signed by a fresh CA (its PEM in ``Server.ca_pem``), generated under ``root``."""
    from kapstan.localcluster import pki

    certs = pki.generate(root / "pki")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.serving_cert, certs.serving_key)
    with http_server(root / "backend", projects, users) as backend:
        backend_port = int(backend.base_url.split(":")[2].split("/")[0])
        proxy = _TlsProxy(context, backend_port)
        thread = threading.Thread(target=proxy.serve_forever, name="tls-proxy", daemon=True)
        thread.start()
        try:
            port = proxy.server_address[1]
            yield Server(
                base_url=f"https://127.0.0.1:{port}/git",
                handle=backend.handle,
                ca_pem=certs.ca_cert.read_text(),
            )
        finally:
            proxy.shutdown()
            proxy.server_close()
            thread.join(timeout=10)


_SSHD_CONF = """
ListenAddress 127.0.0.1
HostKey {root}/host_ed25519
PidFile none
AuthorizedKeysFile {root}/authorized_keys
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
LogLevel VERBOSE
"""


def ssh_keypair(path: Path) -> tuple[str, str]:
    """Generate an ed25519 key at ``path``; return (private key text, public key line)."""
    capture(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kapstan-test", "-f", str(path)])
    return path.read_text(), path.with_suffix(".pub").read_text().strip()


@contextlib.contextmanager
def ssh_server(root: Path, authorized_key: str) -> Iterator[Server]:
    """sshd on 127.0.0.1 accepting only ``authorized_key`` for the current user; base_url is
    ``ssh://<user>@127.0.0.1:<port>`` (append an absolute repository path)."""
    root.mkdir(parents=True, exist_ok=True)
    _, host_pub = ssh_keypair(root / "host_ed25519")
    (root / "authorized_keys").write_text(authorized_key + "\n")
    conf = root / "sshd_config"
    conf.write_text(_SSHD_CONF.format(root=root))
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port = free_port()
    log = root / "sshd.log"
    argv = [str(SSHD), "-D", "-e", "-f", str(conf), "-p", str(port)]
    handle = spawn("sshd", argv, log=log, die_with_parent=True)
    try:
        _wait_listening(port, handle, log)
        key_type, key_data = host_pub.split()[:2]
        user = os.environ.get("USER") or capture(["id", "-un"]).strip()
        yield Server(
            base_url=f"ssh://{user}@127.0.0.1:{port}",
            handle=handle,
            known_hosts=f"[127.0.0.1]:{port} {key_type} {key_data}\n",
        )
    finally:
        stop(handle)
