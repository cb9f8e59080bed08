"""Changes to accounts (argocd-secret) and project roles (AppProjects), as Argo CD makes them.

Each function reads the object fresh, decides, and writes with a compare-and-swap, retrying
on a conflict (:func:`~kapstan.services.auth.store.retrying`): concurrent changes from other
replicas or from ``kubectl`` are never lost. Contract:

- API keys are recorded in ``accounts.<name>.tokens`` (``admin.tokens`` for admin) as
  ``[{id, iat, exp}]``; removing the last one removes the key (Argo CD writes no ``[]``);
  an account must exist and have ``apiKey`` to get one; a token id may not be reused; an
  account whose stored data Kapstan cannot read is not written (its unreadable value would be
  overwritten);
- a password change writes the hash and ``passwordMtime`` (now, RFC 3339 whole seconds);
- project role tokens are recorded in ``spec.roles[].jwtTokens`` and
  ``status.jwtTokensByRole`` (:mod:`.projects`); deleting one that is not there, or of a role
  that does not exist, succeeds without writing (as in Argo CD).
"""

from __future__ import annotations

from collections.abc import Callable

from kapstan.services.auth import keys as k
from kapstan.services.auth.accounts import (
    Account,
    Capability,
    TokenRecord,
    format_mtime,
    format_tokens,
)
from kapstan.services.auth.config import AuthConfig, AuthInputs
from kapstan.services.auth.errors import (
    AuthConfigError,
    InvalidRequest,
    MissingCapability,
    NotFound,
)
from kapstan.services.auth.projects import has_token_id, role, with_record, without_record
from kapstan.services.auth.store import AuthStore, retrying
from kapstan.services.auth.tokens import IssuedToken, sign

Clock = Callable[[], float]


def _account(inputs: AuthInputs, name: str) -> tuple[AuthConfig, Account]:
    config = AuthConfig.parse(inputs)
    account = config.accounts.get(name)
    if account is None:
        raise NotFound(f"account '{name}' does not exist")
    return config, account


async def add_api_token(
    store: AuthStore, name: str, *, clock: Clock, expires_in: int, token_id: str
) -> IssuedToken:
    async def step() -> IssuedToken:
        inputs, state = await store.read_inputs()
        config, account = _account(inputs, name)
        if account.problem:
            raise AuthConfigError(f"account '{name}' cannot be changed: {account.problem}")
        if not account.has(Capability.API_KEY):
            raise MissingCapability(name, Capability.API_KEY.value)
        if account.token(token_id) is not None:
            raise InvalidRequest(f"account '{name}' already has a token with that id")
        if not config.secret_key:
            raise AuthConfigError(f"{k.SERVER_SECRET_KEY} is not set")
        subject = f"{name}:{Capability.API_KEY.value}"
        issued = sign(
            config.secret_key, subject, now=clock(), expires_in=expires_in, token_id=token_id
        )
        record = TokenRecord(token_id, issued.issued_at, issued.expires_at)
        tokens = format_tokens((*account.tokens, record))
        await store.update_secret(state, {k.tokens_key(name): tokens})
        return issued

    return await retrying(step, f"tokens of account {name}")


async def remove_api_token(store: AuthStore, name: str, token_id: str) -> None:
    async def step() -> None:
        inputs, state = await store.read_inputs()
        _, account = _account(inputs, name)
        if account.problem:
            raise AuthConfigError(f"account '{name}' cannot be changed: {account.problem}")
        if account.token(token_id) is None:
            raise NotFound(f"account '{name}' has no token with that id")
        kept = tuple(t for t in account.tokens if t.id != token_id)
        await store.update_secret(
            state, {k.tokens_key(name): format_tokens(kept) if kept else None}
        )

    await retrying(step, f"tokens of account {name}")


async def set_password(store: AuthStore, name: str, password_hash: str, *, clock: Clock) -> None:
    async def step() -> None:
        inputs, state = await store.read_inputs()
        _account(inputs, name)
        changes = {
            k.password_key(name): password_hash,
            k.password_mtime_key(name): format_mtime(clock()),
        }
        await store.update_secret(state, changes)

    await retrying(step, f"password of account {name}")


async def add_project_token(
    store: AuthStore,
    project: str,
    role_name: str,
    *,
    secret: bytes,
    clock: Clock,
    expires_in: int,
    token_id: str,
) -> IssuedToken:
    if not secret:
        raise AuthConfigError(f"{k.SERVER_SECRET_KEY} is not set")

    async def step() -> IssuedToken:
        obj = await store.read_project(project)
        if obj is None:
            raise NotFound(f"project '{project}' does not exist")
        if role(obj, role_name) is None:
            raise NotFound(f"project '{project}' does not have role '{role_name}'")
        if has_token_id(obj, role_name, token_id):
            raise InvalidRequest(f"the token id is already used by role '{role_name}'")
        subject = k.project_subject(project, role_name)
        issued = sign(secret, subject, now=clock(), expires_in=expires_in, token_id=token_id)
        record: dict[str, object] = {"iat": issued.issued_at, "id": token_id}
        if issued.expires_at:
            record["exp"] = issued.expires_at
        await store.replace_project(with_record(obj, role_name, record))
        return issued

    return await retrying(step, f"tokens of project {project}")


async def remove_project_token(
    store: AuthStore, project: str, role_name: str, *, token_id: str, issued_at: int
) -> bool:
    async def step() -> bool:
        obj = await store.read_project(project)
        if obj is None:
            raise NotFound(f"project '{project}' does not exist")
        changed, removed = without_record(obj, role_name, token_id, issued_at)
        if removed:
            await store.replace_project(changed)
        return removed

    return await retrying(step, f"tokens of project {project}")


__all__ = [
    "add_api_token",
    "add_project_token",
    "remove_api_token",
    "remove_project_token",
    "set_password",
]
