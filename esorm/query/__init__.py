"""Query expressions, sort and pagination values that become Elasticsearch DSL; no I/O.

Mind Python's precedence: `&` and `|` bind tighter than comparisons, so parenthesize:
`(F.age >= 18) & (F.region == "eu")`.
"""

from esorm.query import dsl
from esorm.query._entity_fields import EntityFields, FieldSource, field, fields
from esorm.query._field import FieldRef
from esorm.query._functions import bool_, ids, match_all, match_none, multi_match
from esorm.query._pages import Page, Pagination
from esorm.query._query import Bool, Query, QueryLike, raw, to_query_dict
from esorm.query._request import (
    FetchOptions,
    OneOptions,
    PageOptions,
    ReadOptions,
    SearchOptions,
    SearchRequest,
    SourceFilter,
    StreamOptions,
    source_body,
    source_filter_of,
)
from esorm.query._sort import Sort, SortItem, SortLike, SortOptions, to_sort_list
from esorm.query._sort_field import Order, SortField, SortMode
from esorm.query.dsl import QueryDict, SortDict

__all__ = [
    "Bool",
    "EntityFields",
    "FetchOptions",
    "FieldRef",
    "FieldSource",
    "OneOptions",
    "Order",
    "Page",
    "PageOptions",
    "Pagination",
    "Query",
    "QueryDict",
    "QueryLike",
    "ReadOptions",
    "SearchOptions",
    "SearchRequest",
    "Sort",
    "SortDict",
    "SortField",
    "SortItem",
    "SortLike",
    "SortMode",
    "SortOptions",
    "SourceFilter",
    "StreamOptions",
    "bool_",
    "dsl",
    "field",
    "fields",
    "ids",
    "match_all",
    "match_none",
    "multi_match",
    "raw",
    "source_body",
    "source_filter_of",
    "to_query_dict",
    "to_sort_list",
]
