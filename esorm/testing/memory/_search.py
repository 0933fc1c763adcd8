"""One search body run over an index's documents: matches, totals, order, window, hits, aggs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esorm.testing.memory._aggs import aggregate
from esorm.testing.memory._errors import BadRequest, refuse
from esorm.testing.memory._index import PRIMARY_TERM, Document, Index
from esorm.testing.memory._query import Score, compile_query, scores_of
from esorm.testing.memory._sort import SortKey, after, check_scores, parse_sort, sort_documents
from esorm.testing.memory._source import SourceFilter

DEFAULT_TRACK_TOTAL_HITS = 10_000
_SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
_IGNORED = frozenset({"timeout", "track_scores_if_needed", "pit"})
_HANDLED = frozenset(
    {
        "query",
        "sort",
        "size",
        "from",
        "search_after",
        "_source",
        "aggs",
        "aggregations",
        "track_total_hits",
        "seq_no_primary_term",
        "version",
        "track_scores",
    }
)


def count(index: Index, query: Mapping[str, Any] | None) -> int:
    """How many documents match (exactly; scores are never needed)."""
    matcher = compile_query(query, index.catalog, index.name)
    return sum(1 for document in index.docs.values() if matcher(document) is not None)


def search(
    index: Index, documents: list[Document], body: Mapping[str, Any], *, pit: bool = False
) -> dict[str, Any]:
    """The response Elasticsearch gives for `body` over `documents` (in index order)."""
    unknown = sorted(set(body) - _HANDLED - _IGNORED)
    if unknown:
        raise refuse(f"search options {unknown}", "the in-memory store does not apply them")
    if body.get("track_scores"):
        raise refuse("track_scores", "relevance scores of field-sorted hits are not reported")
    size, offset = _window(index, body)
    found = scores_of(compile_query(body.get("query"), index.catalog, index.name), documents)
    keys = parse_sort(body.get("sort"), index.catalog, pit=pit)
    if pit and not any(key.kind == "_shard_doc" for key in keys):
        keys.append(SortKey("_shard_doc", False))  # the tie-breaker a point in time adds
    by_score = any(key.needs_score for key in keys)
    if by_score and size and found:
        check_scores(found)
    rows = sort_documents(found, keys)
    cursor = body.get("search_after")
    if cursor is not None:
        rows = _after(rows, cursor, keys, offset)
    page = rows[offset : offset + size]
    source = SourceFilter(body.get("_source"))
    explicit_sort = body.get("sort") is not None or pit
    hits = [
        _hit(
            index, document, score if by_score else None, values, keys, body, source, explicit_sort
        )
        for document, score, values in page
    ]
    scores = [score for _, score in found] if by_score and size and found else []
    response: dict[str, Any] = {
        "took": 0,
        "timed_out": False,
        "_shards": dict(_SHARDS),
        "hits": {"max_score": max(scores) if scores else None, "hits": hits},  # type: ignore[type-var]
    }
    total = _total(len(found), body.get("track_total_hits", DEFAULT_TRACK_TOTAL_HITS))
    if total is not None:
        response["hits"] = {"total": total, **response["hits"]}
    aggs = body.get("aggs", body.get("aggregations"))
    if aggs:
        response["aggregations"] = aggregate(aggs, [d for d, _ in found], index.catalog)
    return response


def _window(index: Index, body: Mapping[str, Any]) -> tuple[int, int]:
    size, offset = body.get("size", 10), body.get("from", 0)
    for name, value in (("size", size), ("from", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadRequest("illegal_argument_exception", f"[{name}] must be >= 0, got {value!r}")
    if body.get("search_after") is not None and offset:
        raise BadRequest(
            "illegal_argument_exception",
            "`from` parameter must be set to 0 when `search_after` is used.",
        )
    window = index.max_result_window
    if offset + size > window:
        raise BadRequest(
            "illegal_argument_exception",
            f"Result window is too large, from + size must be less than or equal to: [{window}] "
            f"but was [{offset + size}]. See the scroll api for a more efficient way to request "
            f"large data sets. This limit can be set by changing the [index.max_result_window] "
            f"index level setting.",
        )
    return size, offset


def _after(
    rows: list[tuple[Document, Score, list[Any]]],
    cursor: Any,
    keys: list[SortKey],
    offset: int,
) -> list[tuple[Document, Score, list[Any]]]:
    if not isinstance(cursor, list) or len(cursor) != len(keys):
        count = len(cursor) if isinstance(cursor, list) else "no"
        raise BadRequest(
            "illegal_argument_exception",
            f"search_after has {count} value(s) but sort has {len(keys)}.",
        )
    parsed = [key.parse_after(value) for key, value in zip(keys, cursor, strict=True)]
    return [row for row in rows if after(row[2], parsed, keys)]


def _total(found: int, track: Any) -> dict[str, Any] | None:
    if track is False:
        return None
    if track is True:
        return {"value": found, "relation": "eq"}
    if isinstance(track, bool) or not isinstance(track, int) or track < 0:
        raise BadRequest("illegal_argument_exception", f"bad track_total_hits {track!r}")
    if found > track:
        return {"value": track, "relation": "gte"}
    return {"value": found, "relation": "eq"}


def _hit(
    index: Index,
    document: Document,
    score: Score | None,
    values: list[Any],
    keys: list[SortKey],
    body: Mapping[str, Any],
    source: SourceFilter,
    with_sort: bool,
) -> dict[str, Any]:
    hit: dict[str, Any] = {"_index": index.name, "_id": document.id, "_score": score}
    if body.get("version"):
        hit["_version"] = document.version
    if body.get("seq_no_primary_term"):
        hit["_seq_no"] = document.seq_no
        hit["_primary_term"] = PRIMARY_TERM
    if document.routing is not None:
        hit["_routing"] = document.routing
    if source.enabled:
        hit["_source"] = source.apply(document.parsed())
    if with_sort:
        hit["sort"] = [key.output(value) for key, value in zip(keys, values, strict=True)]
    return hit
