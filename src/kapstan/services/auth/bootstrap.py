"""First-start set-up of argocd-secret, as Argo CD's ``InitializeSettings`` does it.

Contract (both functions are idempotent and safe to run from several replicas at once):

- :func:`ensure_secret_key`: when ``server.secretkey`` is missing or empty, write 32 random
  bytes, standard base64 (44 characters, Argo CD's ``MakeSignature(32)``). The write is a
  compare-and-swap (:meth:`~kapstan.services.auth.store.AuthStore.update_secret`): a replica
  that loses the race re-reads and keeps the winner's key;
- :func:`ensure_admin_password`: when admin is enabled and ``admin.password`` is missing or
  empty, generate Argo CD's 16-character initial password, store its bcrypt hash and
  ``admin.passwordMtime`` (compare-and-swap as above) and only then put the clear text in
  Secret ``argocd-initial-admin-secret`` (key ``password``). The hash is written first so a
  replica that loses the race never touches the initial Secret: the two always agree. (A crash
  between the two writes leaves a hash nobody knows the password of; the reset is Argo CD's:
  remove ``admin.password`` from argocd-secret and restart.) A present hash without a readable
  mtime gets the current time as mtime, as in Argo CD. When admin is disabled nothing happens;
- the password is never logged, nor put in any error.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from collections.abc import Callable

from kapstan.model import vocabulary as v
from kapstan.services.auth import keys as k
from kapstan.services.auth.accounts import Accounts, format_mtime, parse_mtime
from kapstan.services.auth.passwords import (
    DEFAULT_COST,
    generate_initial_password,
    hash_password,
)
from kapstan.services.auth.store import AuthStore, retrying

log = logging.getLogger(__name__)
SECRET_KEY_BYTES = 32


def generate_secret_key() -> str:
    """Argo CD's ``util.MakeSignature(32)``: 32 random bytes, standard base64."""
    return base64.b64encode(secrets.token_bytes(SECRET_KEY_BYTES)).decode()


async def ensure_secret_key(store: AuthStore) -> bool:
    """Make sure ``server.secretkey`` is set; whether this call is the one that set it."""

    async def step() -> bool:
        state = await store.read_secret(v.ARGOCD_SECRET)
        if state.data.get(k.SERVER_SECRET_KEY):
            return False
        await store.update_secret(state, {k.SERVER_SECRET_KEY: generate_secret_key()})
        log.info("initialized %s in Secret %s", k.SERVER_SECRET_KEY, v.ARGOCD_SECRET)
        return True

    return await retrying(step, f"{k.SERVER_SECRET_KEY} in {v.ARGOCD_SECRET}")


def _readable_mtime(raw: str | None) -> bool:
    try:
        return raw is not None and parse_mtime(raw) > 0
    except ValueError:
        return False


async def ensure_admin_password(
    store: AuthStore, *, clock: Callable[[], float], cost: int = DEFAULT_COST
) -> bool:
    """Make sure an enabled admin has a password; whether this call generated it."""

    async def step() -> bool:
        inputs, state = await store.read_inputs()
        admin = Accounts.parse(inputs.configmap, inputs.secret).get(k.ADMIN)
        if admin is None or not admin.enabled:
            log.info("admin is disabled; no initial password")
            return False
        if state.data.get(k.ADMIN_PASSWORD):
            if not _readable_mtime(state.data.get(k.ADMIN_PASSWORD_MTIME)):
                await store.update_secret(state, {k.ADMIN_PASSWORD_MTIME: format_mtime(clock())})
                log.info("initialized %s", k.ADMIN_PASSWORD_MTIME)
            return False
        password = generate_initial_password()
        hashed = await asyncio.to_thread(hash_password, password, cost)
        changes = {k.ADMIN_PASSWORD: hashed, k.ADMIN_PASSWORD_MTIME: format_mtime(clock())}
        await store.update_secret(state, changes)
        await _write_initial_secret(store, password)
        log.info("initialized the admin password; it is in Secret %s", k.INITIAL_ADMIN_SECRET)
        return True

    return await retrying(step, f"{k.ADMIN_PASSWORD} in {v.ARGOCD_SECRET}")


async def _write_initial_secret(store: AuthStore, password: str) -> None:
    async def step() -> None:
        state = await store.read_secret(k.INITIAL_ADMIN_SECRET)
        await store.update_secret(state, {k.INITIAL_ADMIN_FIELD: password}, labels=False)

    await retrying(step, k.INITIAL_ADMIN_SECRET)


__all__ = ["ensure_admin_password", "ensure_secret_key", "generate_secret_key"]
