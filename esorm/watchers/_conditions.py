"""`Condition`: builders of the conditions that decide whether a watch's actions run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

from esorm.watchers import _checks
from esorm.watchers.dsl import CompareOps, ConditionDict, ScriptDict

Operator: TypeAlias = Literal["eq", "not_eq", "gt", "gte", "lt", "lte"]
_OPERATORS = ("eq", "not_eq", "gt", "gte", "lt", "lte")
HITS_TOTAL = "ctx.payload.hits.total"


class Condition:
    """Builders of a watch's (or an action's) condition.

    Example:
        Condition.compare("ctx.payload.hits.total", "gt", 0)
        Condition.script("return ctx.payload.hits.total > params.limit", params={"limit": 5})
    """

    __slots__ = ()

    @staticmethod
    def always() -> ConditionDict:
        """Run the actions every time (the default when a watch has no condition)."""
        return {"always": {}}

    @staticmethod
    def never() -> ConditionDict:
        """Never run the actions (keeps the watch's input and history, e.g. for testing)."""
        return {"never": {}}

    @staticmethod
    def compare(path: str, op: Operator, value: Any) -> ConditionDict:
        """Compare a value of the execution context (`ctx.payload...`) with `value`.

        `value` may be date math (`"<{now-5m}>"`) or another path (`"{{ctx.payload.x}}"`).
        """
        _path(path, "Condition.compare")
        _operator(op, "Condition.compare")
        ops: CompareOps = {}
        ops[op] = value
        return {"compare": {path: ops}}

    @staticmethod
    def hits_above(count: int = 0) -> ConditionDict:
        """The search input found more than `count` documents (`ctx.payload.hits.total`).

        Relies on the total as an integer, which `search_input` asks for by default.
        """
        return Condition.compare(HITS_TOTAL, "gt", count)

    @staticmethod
    def array_compare(
        path: str,
        op: Operator,
        value: Any,
        *,
        element: str | None = None,
        quantifier: Literal["some", "all"] = "some",
    ) -> ConditionDict:
        """Compare the elements of an array in the context (e.g. aggregation buckets).

        Args:
            path: the array, e.g. `"ctx.payload.aggregations.per_user.buckets"`.
            element: the path inside each element, e.g. `"doc_count"`; the element itself
                when omitted.
            quantifier: whether some or all elements must match.
        """
        _path(path, "Condition.array_compare")
        _operator(op, "Condition.array_compare")
        if quantifier not in ("some", "all"):
            raise _checks.fail(
                "Condition.array_compare", f"quantifier must be 'some' or 'all', not {quantifier!r}"
            )
        body: dict[str, Any] = {}
        if element is not None:
            body["path"] = element
        body[op] = {"value": value, "quantifier": quantifier}
        return {"array_compare": {path: body}}

    @staticmethod
    def script(
        source: str, *, params: Mapping[str, Any] | None = None, lang: str | None = None
    ) -> ConditionDict:
        """A script returning true when the actions should run (Painless by default)."""
        if not isinstance(source, str) or not source.strip():
            raise _checks.fail("Condition.script", "the script needs a non-empty source")
        script: ScriptDict = {"source": source}
        if lang is not None:
            script["lang"] = lang
        if params:
            script["params"] = dict(params)
        return {"script": script}


def _path(path: object, where: str) -> None:
    if not isinstance(path, str) or not path.strip():
        raise _checks.fail(where, f"the compared path must be a non-empty string, got {path!r}")


def _operator(op: object, where: str) -> None:
    if op not in _OPERATORS:
        raise _checks.fail(where, f"unknown operator {op!r}: use one of {', '.join(_OPERATORS)}")
