"""Watch inputs: a search over entity indices with esorm queries, or static data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal

from esorm.mapping import EntityMapping, Registry
from esorm.query import QueryLike, SortLike, to_query_dict, to_sort_list
from esorm.watchers import _checks
from esorm.watchers._targets import IndexTarget, index_name
from esorm.watchers.dsl import InputDict, SearchInputBody, SearchRequestDict


def search_input(
    target: IndexTarget | Sequence[IndexTarget],
    query: QueryLike | None = None,
    *,
    registry: Registry | None = None,
    size: int | None = None,
    sort: SortLike | None = None,
    source: bool | Sequence[str] | None = None,
    aggregations: Mapping[str, Any] | None = None,
    extract: Sequence[str] | None = None,
    timeout: str | timedelta | None = None,
    total_hits_as_int: bool = True,
    search_type: Literal["query_then_fetch", "dfs_query_then_fetch"] | None = None,
) -> InputDict:
    """A search input: the watch searches these indices and gets the response as payload.

    Args:
        target: a registered entity class (needs `registry`; its prefixed index is used),
            an `EntityMapping`, a full index name or pattern, or a list of them.
        query: an esorm query value or a raw DSL dict; all documents when omitted. Strings
            with `{{ctx...}}` are Mustache templates Watcher fills at each run.
        size: how many hits the payload carries (`0` to count only).
        sort: a `Sort`, a field name (`"-created_at"`) or raw sort clauses.
        source: `_source` filtering of the hits.
        aggregations: raw aggregations, available as `ctx.payload.aggregations`.
        extract: keep only these paths of the response in the payload.
        total_hits_as_int: report `ctx.payload.hits.total` as a number (Watcher's default,
            written out so conditions can rely on it).
    """
    where = "search_input"
    targets = [target] if isinstance(target, str) or not isinstance(target, Sequence) else target
    indices = [index_name(t, registry, where) for t in targets]
    if not indices:
        raise _checks.fail(where, "name at least one entity or index to search")
    body: dict[str, Any] = {}
    rendered = to_query_dict(query)
    if rendered is not None:
        body["query"] = rendered
    if size is not None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _checks.fail(where, f"size must be a whole number >= 0, got {size!r}")
        body["size"] = size
    only = targets[0] if len(targets) == 1 else None
    if isinstance(only, type) and registry is not None:
        only = registry.mapping_for(only)
    # names resolve to stored, sortable paths when the watch searches one entity
    sorted_by = to_sort_list(sort, on=only if isinstance(only, EntityMapping) else None)
    if sorted_by is not None:
        body["sort"] = sorted_by
    if source is not None:
        body["_source"] = source if isinstance(source, bool) else list(source)
    if aggregations:
        body["aggs"] = dict(aggregations)
    request: SearchRequestDict = {
        "indices": indices,
        "rest_total_hits_as_int": total_hits_as_int,
        "body": body,
    }
    if search_type is not None:
        request["search_type"] = search_type
    search: SearchInputBody = {"request": request}
    if extract:
        search["extract"] = list(extract)
    if timeout is not None:
        search["timeout"] = _checks.time_value(timeout, where)
    return {"search": search}


def simple_input(payload: Mapping[str, Any]) -> InputDict:
    """Static data as the payload (`ctx.payload.<key>`), e.g. recipients or thresholds."""
    if not isinstance(payload, Mapping):
        raise _checks.fail("simple_input", f"the payload must be a dict, got {payload!r}")
    return {"simple": dict(payload)}


def chain_input(**inputs: InputDict) -> InputDict:
    """Several inputs in order; each result is `ctx.payload.<name>`, later ones may use earlier."""
    if not inputs:
        raise _checks.fail("chain_input", "give at least one named input")
    for name, part in inputs.items():
        _checks.one_type(part, _checks.INPUT_TYPES, f"chain_input, input {name!r}", "input")
    return {"chain": {"inputs": [{name: part} for name, part in inputs.items()]}}
