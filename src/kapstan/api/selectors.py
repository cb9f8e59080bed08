"""Label selectors of app lists and streams (``selector=``): the model's parser
(:mod:`kapstan.model.labels`), with a malformed selector answered as InvalidArgument."""

from __future__ import annotations

from kapstan.api.errors import invalid
from kapstan.model.labels import LabelMatcher, SelectorError, label_matcher


def parse_selector(text: str) -> LabelMatcher:
    """A matcher for ``text``; raises :class:`~kapstan.api.errors.ApiError` (400) if malformed."""
    try:
        return label_matcher(text)
    except SelectorError as err:
        raise invalid(f"invalid label selector: {err}") from None


__all__ = ["parse_selector"]
