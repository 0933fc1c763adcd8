"""A document's `_source` into the values its fields index, as Elasticsearch's mapper does.

Mapped fields convert their values (refusing what their type cannot hold); unmapped
ones follow `dynamic`: `strict` refuses the document, `false` and `runtime` leave them
unindexed, `true` (the default) maps them from the first value seen, after the index's
dynamic templates. Objects and arrays flatten into dotted paths, as Lucene sees them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from esorm.testing.memory._catalog import Catalog, Field, ObjectSpec
from esorm.testing.memory._dates import DEFAULT_FORMAT
from esorm.testing.memory._errors import Rejected
from esorm.testing.memory._types import SKIP, JsonFloat, Malformed, converter

Values = dict[str, list[Any]]
"""Indexed values by field path (sub-fields included), in document order."""


def index_document(catalog: Catalog, source: Mapping[str, Any], doc_id: str) -> Values:
    """The indexed values of a document; new fields are added to `catalog` only when the
    whole document is accepted.

    Raises:
        Rejected: the document does not fit the mapping (400, as a bulk item's error).
    """
    parser = _Parser(catalog, doc_id)
    parser.walk(source, catalog.objects[""])
    parser.commit()
    return parser.values


class _Parser:
    def __init__(self, catalog: Catalog, doc_id: str) -> None:
        self.catalog = catalog
        self.doc_id = doc_id
        self.values: Values = {}
        self.pending = Catalog()  # what this document maps dynamically

    def commit(self) -> None:
        if self.pending.fields or self.pending.objects or self.pending.runtime:
            self.catalog.merge(self.pending)

    def walk(self, source: Mapping[str, Any], parent: ObjectSpec) -> None:
        fields, objects = self.catalog.fields, self.catalog.objects
        prefix = f"{parent.path}." if parent.path else ""
        for key, value in source.items():
            if value is None or (type(value) is list and not value):
                continue  # no value: nothing indexed, nothing mapped
            if "." in key:  # a dotted key stands for objects: {"a.b": 1} is {"a": {"b": 1}}
                head, rest = key.split(".", 1)
                self.walk({head: {rest: value}}, parent)
                continue
            path = prefix + key
            leaf = fields.get(path) or self.pending.fields.get(path)
            if leaf is not None:
                self.leaf(leaf, value)
                continue
            obj = objects.get(path) or self.pending.objects.get(path)
            if obj is not None:
                self.object(obj, value)
            else:
                self.unmapped(path, key, value, parent)

    def object(self, obj: ObjectSpec, value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item is None:
                continue
            if not isinstance(item, Mapping):
                raise Rejected(
                    "document_parsing_exception",
                    f"object mapping for [{obj.path}] tried to parse field [{obj.path}] as "
                    f"object, but found a concrete value",
                )
            if obj.enabled:
                self.walk(item, obj)

    def leaf(self, leaf: Field, value: Any) -> None:
        path = leaf.path
        subfields = self.catalog.subs.get(path) or self.pending.subs.get(path)
        if type(value) is not list and type(value) is not dict and subfields is None:
            try:  # the common case, one plain value: no list, no sub-fields
                indexed = converter(leaf)(value)
            except Malformed:
                pass  # the general path below reports it
            else:
                if indexed is not SKIP:
                    out = self.values.get(path)
                    if out is None:
                        self.values[path] = [indexed]
                    else:
                        out.append(indexed)
                return
        items = list(_flatten(value)) if type(value) is list else (value,)
        out = self.values.get(path)
        if out is None:
            out = self.values[path] = []
        convert = converter(leaf)
        for item in items:
            if item is None:
                null_value = leaf.params.get("null_value")
                if null_value is None:
                    continue
                item = null_value
            if type(item) is dict and leaf.type in _SCALAR_TYPES:
                raise self.malformed(leaf, item, "found an object where a value was expected")
            try:
                indexed = convert(item)
            except Malformed as exc:
                if leaf.params.get("ignore_malformed"):
                    continue
                raise self.malformed(leaf, item, str(exc)) from None
            if indexed is not SKIP:
                out.append(indexed)
            for sub in subfields or ():
                self.leaf(sub, item)

    def unmapped(self, path: str, key: str, value: Any, parent: ObjectSpec) -> None:
        dynamic = parent.dynamic
        if dynamic in ("strict", "strict_allow_templates"):
            within = parent.path or "_doc"
            raise Rejected(
                "strict_dynamic_mapping_exception",
                f"mapping set to strict, dynamic introduction of [{key}] within [{within}] "
                f"is not allowed",
            )
        if dynamic in (False, "false"):
            return
        if dynamic == "runtime":
            self.pending.runtime.add(path)
            return
        spec = _template_mapping(self.catalog.templates, path, key, value) or _guess(value)
        if spec is None:
            return
        kind = spec.get("type", "object")
        if kind in ("object", "nested"):
            nested = path if kind == "nested" else parent.nested
            obj = ObjectSpec(path, spec.get("dynamic", parent.dynamic), True, nested)
            self.pending.objects[path] = obj
            self.object(obj, value)
            return
        self.pending.add(path, spec, parent)
        self.leaf(self.pending.fields[path], value)

    def malformed(self, leaf: Field, value: Any, why: str) -> Rejected:
        preview = str(value)[:20]
        rejected = Rejected(
            "document_parsing_exception",
            f"failed to parse field [{leaf.path}] of type [{leaf.type}] in document with id "
            f"'{self.doc_id}'. Preview of field's value: '{preview}'",
        )
        rejected.error["caused_by"] = {"type": "illegal_argument_exception", "reason": why}
        return rejected


_SCALAR_TYPES = frozenset(
    {"keyword", "text", "long", "integer", "short", "byte", "double", "float", "half_float"}
    | {"scaled_float", "date", "date_nanos", "boolean", "ip", "match_only_text"}
)


def _flatten(value: Any) -> Any:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _first(value: Any) -> Any:
    for item in _flatten(value):
        if item is not None:
            return item
    return None


def _guess(value: Any) -> dict[str, Any] | None:
    """The mapping Elasticsearch gives a new field from its first value."""
    first = _first(value)
    if first is None:
        return None
    if isinstance(first, Mapping):
        return {"type": "object"}
    if isinstance(first, bool):
        return {"type": "boolean"}
    if isinstance(first, int):
        return {"type": "long"}
    if isinstance(first, float | JsonFloat):
        return {"type": "float"}
    if isinstance(first, str) and _looks_like_date(first):
        return {"type": "date"}
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def _looks_like_date(text: str) -> bool:
    from esorm.testing.memory._dates import Malformed, to_nanos

    try:
        to_nanos(text, ("strict_date_optional_time",))
    except Malformed:
        return False
    return True


_MAPPING_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}


def _template_mapping(
    templates: list[Mapping[str, Any]], path: str, name: str, value: Any
) -> dict[str, Any] | None:
    """The mapping of the first dynamic template that matches a new field, if any."""
    first = _first(value)
    detected = "object" if isinstance(first, Mapping) else _MAPPING_TYPES.get(type(first), "")
    if isinstance(first, JsonFloat):
        detected = "double"
    if detected == "string" and _looks_like_date(first):
        detected = "date"
    for template in templates:
        ((_, spec),) = template.items()
        if not _template_matches(spec, path, name, detected):
            continue
        mapping = dict(spec.get("mapping") or {})
        for key, item in list(mapping.items()):
            if isinstance(item, str):
                mapping[key] = item.replace("{name}", name).replace("{dynamic_type}", detected)
        if mapping.get("type") == "date" and "format" not in mapping:
            mapping["format"] = DEFAULT_FORMAT
        return mapping
    return None


def _template_matches(spec: Mapping[str, Any], path: str, name: str, detected: str) -> bool:
    checks = (
        ("path_match", path, True),
        ("path_unmatch", path, False),
        ("match", name, True),
        ("unmatch", name, False),
    )
    for key, subject, wanted in checks:
        patterns = spec.get(key)
        if patterns is None:
            continue
        listed = patterns if isinstance(patterns, list) else [patterns]
        if any(fnmatch.fnmatchcase(subject, p) for p in listed) is not wanted:
            return False
    kinds = spec.get("match_mapping_type")
    if kinds is not None:
        listed = kinds if isinstance(kinds, list) else [kinds]
        if "*" not in listed and detected not in listed:
            return False
    return True
