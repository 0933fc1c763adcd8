"""Stored names with dots (`alias="a.b"`), expanded into objects as Elasticsearch maps them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esorm.errors import MappingError

# Fields Elasticsearch keeps for itself; a document field of that name is refused.
METADATA_FIELDS = frozenset(
    {
        "_id",
        "_index",
        "_source",
        "_routing",
        "_field_names",
        "_ignored",
        "_ignored_source",
        "_tier",
        "_version",
        "_seq_no",
        "_primary_term",
        "_doc_count",
        "_data_stream_timestamp",
        "_feature",
        "_nested_path",
        "_size",
    }
)


def expand_dotted(props: Mapping[str, Any], where: str) -> dict[str, Any]:
    """`{"a.b": m}` as `{"a": {"properties": {"b": m}}}`, merged with a declared object `a`.

    Elasticsearch stores the mapping of a dotted name that way (the `_source` keeps the
    dotted key), so a generated mapping with dots would differ from the live one forever.
    """
    if not any("." in key for key in props):
        return dict(props)
    out: dict[str, Any] = {}
    for key, mapping in props.items():
        parts = key.split(".")
        if not all(part.strip() for part in parts):
            raise MappingError(
                f"{where}: the stored name {key!r} has an empty part; Elasticsearch refuses it"
            )
        for part in reversed(parts[1:]):
            mapping = {"properties": {part: mapping}}
        _put(out, parts[0], mapping, f"{where} ({key!r})")
    return out


def _put(props: dict[str, Any], name: str, mapping: Mapping[str, Any], where: str) -> None:
    have = props.get(name)
    if have is None:
        props[name] = dict(mapping)
        return
    if not (_is_object(have) and _is_object(mapping)):
        raise MappingError(
            f"{where}: another field is already stored as {name!r}; a dotted name can only "
            f"add properties to an object, rename one"
        )
    shell = {k: v for k, v in mapping.items() if k != "properties"}
    known = {k: v for k, v in have.items() if k != "properties"}
    if shell and known and shell != known:
        raise MappingError(f"{where}: the object {name!r} is mapped in two different ways")
    merged: dict[str, Any] = dict(have.get("properties") or {})
    for sub, sub_mapping in (mapping.get("properties") or {}).items():
        _put(merged, sub, sub_mapping, where)
    props[name] = {**known, **shell, "properties": merged}


def _is_object(mapping: Mapping[str, Any]) -> bool:
    return bool(mapping.get("type", "object") == "object")


def check_metadata_names(props: Mapping[str, Any], owner: str) -> None:
    """Refuse document fields named like Elasticsearch's metadata fields (`_id`, `_source`)."""
    reserved = sorted(METADATA_FIELDS.intersection(props))
    if reserved:
        raise MappingError(
            f"{owner}: {', '.join(repr(n) for n in reserved)} is an Elasticsearch metadata "
            f"field name, which a document cannot hold; store the field under another name"
        )
