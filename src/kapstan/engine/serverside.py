"""Server-side diff helpers: removing mutating-webhook changes from a dry-run result.

Mirrors gitops-engine ``removeWebhookMutation`` (used unless the Application sets
``compare-options: IncludeMutationWebhook=true``): a field that the server-side-apply
dry-run added or changed, but that no field manager in the dry-run's
``metadata.managedFields`` owns, was set by a mutating webhook and is reverted to its
live value. Removals are kept: SSA only removes fields the applier owned before, so a
removal always comes from Git. (Argo CD restores unowned removals too; with SSA
semantics those cannot occur, so the verdicts agree.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kapstan.engine import jsonpatch
from kapstan.engine.ignore import list_item_matches

DEFAULT_MANAGER = "argocd-controller"


def _child(node: Mapping[str, Any], container: Any, token: str, items: Sequence[Any]) -> Any:
    """fieldsV1 child of ``node`` for ``token`` within ``container``, or ``None``."""
    if isinstance(container, dict):
        return node.get(f"f:{token}")
    if isinstance(container, list) and token.isdigit():
        by_index = node.get(f"i:{token}")
        if by_index is not None:
            return by_index
        for item in items:
            for part, sub in node.items():
                if part[:2] in ("k:", "v:") and list_item_matches(item, part):
                    return sub
    return None


def _owned(trees: Sequence[Mapping[str, Any]], live: Any, predicted: Any, path: str) -> bool:
    tokens = jsonpatch.parse_pointer(path)
    for tree in trees:
        node: Any = tree
        cur_live, cur_pred = live, predicted
        for token in tokens:
            if node == {}:
                break  # a leaf owns its whole value
            items = [
                c[int(token)]
                for c in (cur_pred, cur_live)
                if isinstance(c, list) and token.isdigit() and int(token) < len(c)
            ]
            node = _child(node, cur_pred if cur_pred is not None else cur_live, token, items)
            if node is None:
                break
            cur_live = _step(cur_live, token)
            cur_pred = _step(cur_pred, token)
        if node is not None:
            return True
    return False


def _step(container: Any, token: str) -> Any:
    if isinstance(container, dict):
        return container.get(token)
    if isinstance(container, list) and token.isdigit() and int(token) < len(container):
        return container[int(token)]
    return None


def remove_webhook_mutations(
    predicted: dict[str, Any],
    live: dict[str, Any],
    managed_fields: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """Return ``predicted`` with unowned additions/changes reverted to ``live``.

    ``predicted`` and ``live`` are normalized objects; ``managed_fields`` comes from the
    raw dry-run result. If the reverted patch cannot be applied (index shifts inside a
    list), the dry-run result is returned unchanged rather than guessed at.
    """
    trees = [
        entry["fieldsV1"]
        for entry in managed_fields or ()
        if isinstance(entry.get("fieldsV1"), Mapping)
    ]
    ops = jsonpatch.diff(live, predicted)
    kept = [op for op in ops if op["op"] == "remove" or _owned(trees, live, predicted, op["path"])]
    if len(kept) == len(ops):
        return predicted
    try:
        result = jsonpatch.apply(live, kept)
    except (jsonpatch.JsonPointerError, IndexError, KeyError, TypeError):
        return predicted
    return result if isinstance(result, dict) else predicted
