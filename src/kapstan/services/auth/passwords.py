"""Password hashing, verification and policy, compatible with Argo CD's ``util/password``.

Contract:

- :func:`verify_password` always runs exactly one bcrypt comparison, whatever it is given:
  against the account's hash, or against :data:`DUMMY_HASH` (same cost as Argo CD's hashes)
  when there is no usable hash (unknown account, empty or malformed hash, blank password,
  more than bcrypt's 72 bytes). So a missing account costs what a wrong password costs, and the
  answer for the dummy path is always False. bcrypt compares in constant time;
- :func:`hash_password` makes ``$2a$`` hashes (the prefix Go's bcrypt writes) at cost 10
  (``bcrypt.DefaultCost``, Argo CD's minimum) or more; blank passwords and passwords over
  72 bytes are refused (Go's bcrypt refuses those too);
- :func:`check_policy` applies ``passwordPattern`` as Go's ``regexp.MatchString`` does (a
  search); the error quotes the pattern, never the password;
- :func:`generate_initial_password` is Argo CD's initial admin password: 16 characters drawn
  with a CSPRNG from ``0-9A-Za-z-``.
"""

from __future__ import annotations

import re
import secrets

import bcrypt

from kapstan.services.auth.errors import PasswordPolicyError

# A cost-10 hash of a random string nobody kept: comparing against it costs what comparing
# against a real (cost-10) hash costs, and its result is never used.
DUMMY_HASH = b"$2a$10$ZDvsv2Cfra745xRMATbkqeaP/UDkS8mJIr5eZYli4VUNKoRfJF1e6"
DEFAULT_COST = 10
MAX_BYTES = 72
INITIAL_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"
INITIAL_LENGTH = 16


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (see the module contract)."""
    raw = password.encode()
    usable = bool(raw) and len(raw) <= MAX_BYTES and bool(password_hash)
    target = password_hash.encode() if usable else DUMMY_HASH
    try:
        matched = bcrypt.checkpw(raw[:MAX_BYTES], target)
    except ValueError:  # a malformed stored hash: still spend one comparison
        bcrypt.checkpw(raw[:MAX_BYTES], DUMMY_HASH)
        return False
    return usable and matched


def hash_password(password: str, cost: int = DEFAULT_COST) -> str:
    """A new bcrypt hash of ``password``; raises :class:`PasswordPolicyError` if unhashable."""
    raw = password.encode()
    if not raw:
        raise PasswordPolicyError("blank passwords are not allowed")
    if len(raw) > MAX_BYTES:
        raise PasswordPolicyError(f"passwords longer than {MAX_BYTES} bytes are not allowed")
    salt = bcrypt.gensalt(max(cost, DEFAULT_COST), prefix=b"2a")
    return bcrypt.hashpw(raw, salt).decode()


def check_policy(password: str, pattern: str) -> None:
    """Raise :class:`PasswordPolicyError` unless ``pattern`` matches somewhere in ``password``."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        raise PasswordPolicyError(f"passwordPattern {pattern!r} is not a valid regex") from None
    if not compiled.search(password):
        raise PasswordPolicyError(
            f"new password does not match the following expression: {pattern}"
        )


def generate_initial_password() -> str:
    """Argo CD's initial admin password (see the module contract)."""
    return "".join(secrets.choice(INITIAL_ALPHABET) for _ in range(INITIAL_LENGTH))


__all__ = [
    "DEFAULT_COST",
    "DUMMY_HASH",
    "check_policy",
    "generate_initial_password",
    "hash_password",
    "verify_password",
]
