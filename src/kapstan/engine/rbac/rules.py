"""The parsed policy lines: permission rules (``p``) and role links (``g``)."""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.engine.rbac.vocabulary import EFFECT_ALLOW, EFFECT_DENY

__all__ = ["Link", "RBACConfigError", "Rule"]


class RBACConfigError(ValueError):
    """An ``argocd-rbac-cm`` value (or an AppProject role) that Argo CD would not load.

    ``key`` names the ConfigMap key (or ``<project>`` for a project role), ``line`` the
    1-based line within it when there is one. Raising never leaves a partial policy behind:
    the caller keeps using the policy it had.
    """

    def __init__(self, key: str, message: str, line: int | None = None, text: str = "") -> None:
        self.key = key
        self.line = line
        self.message = message
        self.text = text
        where = key if line is None else f"{key} line {line}"
        super().__init__(f"{where}: {message}" + (f": {text!r}" if text else ""))


@dataclass(frozen=True, slots=True)
class Rule:
    """``p, subject, resource, action, object, effect``.

    The fields hold exactly what the line said (glob or regex patterns for resource, action
    and object); ``effect`` is ``allow`` or ``deny`` (Argo CD ignores any other effect, so the
    parser drops such lines with a warning). ``source`` says where the line came from
    (``policy.csv:3``, ``builtin``, ``project:<name>``).
    """

    subject: str
    resource: str
    action: str
    object: str
    effect: str = EFFECT_ALLOW
    source: str = ""

    @property
    def deny(self) -> bool:
        return self.effect == EFFECT_DENY


@dataclass(frozen=True, slots=True)
class Link:
    """``g, member, role``: ``member`` (a user, group or role) inherits every rule of ``role``."""

    member: str
    role: str
    source: str = ""
