"""Reading Elasticsearch error objects, once: their type and their most specific reason."""

from __future__ import annotations

from collections.abc import Mapping


def error_type(error: object) -> str:
    """The error's type (`index_not_found_exception`...), or "" when it names none."""
    if isinstance(error, Mapping):
        return str(error.get("type") or "")
    return ""


def error_reason(error: object, *, with_type: bool = True) -> str:
    """The most specific reason an error object gives, with its first cause.

    Prefers the first `root_cause` (a search's "all shards failed" says nothing).

    Args:
        error: the `error` of an error response or of a bulk item (a mapping), or text.
        with_type: put the error's type before its reason ("type: reason").
    """
    if isinstance(error, str):
        return error
    if not isinstance(error, Mapping):
        return "" if error is None else str(error)
    roots = error.get("root_cause")
    if isinstance(roots, list) and roots and isinstance(roots[0], Mapping):
        error = roots[0] if roots[0].get("reason") else error
    kind = error.get("type")
    reason = str(error.get("reason") or "")
    if with_type and kind:
        reason = f"{kind}: {reason}" if reason else str(kind)
    cause = error.get("caused_by")
    if isinstance(cause, Mapping) and cause.get("reason"):
        reason += f" (caused by {cause.get('type')}: {cause['reason']})"
    return reason
