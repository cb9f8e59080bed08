"""A throwaway OpenLDAP (Debian's slapd) on 127.0.0.1 for Dex's LDAP connector: its own
slapd.conf, mdb directory and pid file in a temporary directory, never the system's; people
under ``ou=people`` (simple bind with their password) and ``groupOfNames`` groups under
``ou=groups``."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kapstan.localcluster import process
from kapstan.localcluster.ports import free_port

SUFFIX = "dc=kapstan,dc=test"
ADMIN_DN = f"cn=admin,{SUFFIX}"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
SLAPD = Path("/usr/sbin/slapd")
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


@dataclass(frozen=True)
class LdapUser:
    uid: str
    password: str
    groups: tuple[str, ...]
    name: str

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"

    @property
    def email(self) -> str:
        return f"{self.uid}@kapstan.test"


@dataclass(frozen=True)
class Slapd:
    host: str
    admin_password: str

    @property
    def url(self) -> str:
        return f"ldap://{self.host}"


def _ldif(users: Sequence[LdapUser]) -> str:
    parts = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\n"
        "o: Kapstan\ndc: kapstan\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for user in users:
        parts.append(
            f"dn: {user.dn}\nobjectClass: inetOrgPerson\nuid: {user.uid}\ncn: {user.name}\n"
            f"sn: {user.name}\nmail: {user.email}\nuserPassword: {user.password}\n"
        )
    for group in sorted({g for u in users for g in u.groups}):
        members = "".join(f"member: {u.dn}\n" for u in users if group in u.groups)
        parts.append(f"dn: cn={group},{GROUPS}\nobjectClass: groupOfNames\ncn: {group}\n{members}")
    return "\n".join(parts)


@contextlib.contextmanager
def slapd_server(work: Path, users: Sequence[LdapUser]) -> Iterator[Slapd]:
    """slapd serving ``users`` until the block ends (see the module doc)."""
    if not SLAPD.is_file():
        raise RuntimeError(f"{SLAPD} is missing: `make deps` installs Debian's slapd")
    password = secrets.token_urlsafe(12)
    hashed = process.capture(["slappasswd", "-s", password]).strip()
    (work / "db").mkdir(parents=True)
    conf = work / "slapd.conf"
    conf.write_text(
        "".join(f"include /etc/ldap/schema/{s}.schema\n" for s in SCHEMAS)
        + "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
        + f"pidfile {work}/slapd.pid\nargsfile {work}/slapd.args\n"
        + f'database mdb\nmaxsize 104857600\nsuffix "{SUFFIX}"\nrootdn "{ADMIN_DN}"\n'
        + f"rootpw {hashed}\ndirectory {work}/db\n"
    )
    process.capture(["slaptest", "-f", str(conf), "-u"])
    host = f"127.0.0.1:{free_port()}"
    log = work / "slapd.log"
    # -d 0: stay in the foreground (no daemon to chase), so the handle stops it.
    handle = process.spawn(
        "slapd",
        [str(SLAPD), "-f", str(conf), "-h", f"ldap://{host}/", "-d", "0"],
        log=log,
        die_with_parent=True,
    )
    try:
        ldif = work / "base.ldif"
        ldif.write_text(_ldif(users))
        deadline = time.monotonic() + 20
        while True:
            code, _out, err = process.completed(
                ["ldapadd", "-x", "-H", f"ldap://{host}", "-D", ADMIN_DN, "-w", password,
                 "-f", str(ldif)]
            )  # fmt: skip
            if code == 0:
                break
            if time.monotonic() > deadline or not handle.alive():
                raise RuntimeError(f"slapd did not take the directory: {err}\n{log.read_text()}")
            time.sleep(0.2)
        yield Slapd(host, password)
    finally:
        process.stop(handle)


__all__ = ["ADMIN_DN", "GROUPS", "PEOPLE", "LdapUser", "Slapd", "slapd_server"]
