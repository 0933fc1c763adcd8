"""Where a field lives: its stored path, mapping, models and nested paths; checked navigation."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Self, TypeAlias

from esorm.errors import QueryError
from esorm.query._models import (
    Models,
    by_stored_name,
    dict_values,
    models_in,
    python_names,
    resolve,
    scalar_classes,
)
from esorm.query._values import NOT_COMPARABLE, STRINGS, TEXTS, a, es_type, unordered

_OPEN = {"dynamic": True}  # the mapping of a field under a dynamic object: any name, any type

Templates: TypeAlias = tuple[tuple[re.Pattern[str], Mapping[str, Any]], ...]
"""Dynamic templates as (compiled `path_match`, mapping), for fields under dynamic objects."""


def compile_templates(templates: Iterable[Mapping[str, Any]]) -> Templates:
    """The `path_match` templates of a mapping's `dynamic_templates`, in order."""
    compiled: list[tuple[re.Pattern[str], Mapping[str, Any]]] = []
    for template in templates:
        for body in template.values():
            pattern, mapping = body.get("path_match"), body.get("mapping")
            if isinstance(pattern, str) and isinstance(mapping, Mapping):
                regex = ".*".join(re.escape(part) for part in pattern.split("*"))
                compiled.append((re.compile(regex), mapping))
    return tuple(compiled)


@dataclass(frozen=True, eq=False, repr=False)
class FieldPath:
    """Where a field lives, and the checked way to its children; the base of `FieldRef`.

    Python names are written, stored (alias) names produced; an unknown name raises
    `QueryError` naming the entity and suggesting the closest field.
    """

    _owner: str
    _display: str
    _path: str
    _mapping: Mapping[str, Any]
    _models: Models = ()
    _nested: tuple[str, ...] = ()
    _annotation: Any = None
    _templates: Templates = ()

    # -- navigation ---------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Self:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._child(name)

    def __getitem__(self, dotted: str) -> Self:
        if not isinstance(dotted, str) or not dotted:
            raise QueryError(
                f"{self._where()}: a field name must be a non-empty string, got {dotted!r}"
            )
        ref = self
        for part in dotted.split("."):
            ref = ref._child(part)
        return ref

    def __iter__(self) -> NoReturn:
        raise TypeError(f"{self._where()} is a field reference, not a collection of values")

    def __dir__(self) -> list[str]:
        public = [n for n in super().__dir__() if not n.startswith("_")]
        return sorted({*public, *self._child_names()})

    @property
    def _classes(self) -> tuple[type, ...]:
        """The Python value classes of the field, () when unknown (subfields, raw names)."""
        return scalar_classes(self._annotation) if self._annotation is not None else ()

    @property
    def es_type(self) -> str | None:
        """The field's Elasticsearch type ("object" for objects), None if esorm cannot know it."""
        return es_type(self._mapping)

    def __str__(self) -> str:
        return self._path

    def __repr__(self) -> str:
        return f"<field {self._where()} -> {self._path!r} ({self.es_type or 'unknown type'})>"

    # -- internals ---------------------------------------------------------------------------

    def _where(self) -> str:
        return f"{self._owner}.{self._display}" if self._display else self._owner

    def _child(self, name: str) -> Self:
        props = self._mapping.get("properties")
        if isinstance(props, Mapping):
            found = resolve(name, self._models)
            if found is not None:
                mapping = _lookup(props, found.stored)
                if found.excluded or mapping is None:
                    raise QueryError(
                        f"{self._where()}.{name} is not stored (excluded from the document), "
                        f"so it cannot be searched"
                    )
                return self._make(name, found.stored, mapping, found.models, found.annotation)
            if name in props:
                models, annotation = by_stored_name(name, self._models)
                return self._make(name, name, props[name], models, annotation)
        subfields = self._mapping.get("fields")
        if isinstance(subfields, Mapping) and name in subfields:
            return self._make(name, name, subfields[name], ())
        if self.es_type == "flattened":
            return self._make(name, name, {"type": "flattened"}, ())
        if self._mapping.get("dynamic") in (True, "true", "runtime") and not props:
            return self._open_child(name)
        raise self._unknown(name)

    def _open_child(self, name: str) -> Self:
        """A field under a dynamic object: a dict value, or a field of a model in one."""
        is_dict, values = dict_values(self._annotation)
        if is_dict:
            stored, models, annotation = name, models_in(values), values
        else:
            found = resolve(name, self._models)
            stored, models, annotation = (
                (found.stored, found.models, found.annotation) if found else (name, (), None)
            )
        path = f"{self._path}.{stored}" if self._path else stored
        mapping = next((m for regex, m in self._templates if regex.fullmatch(path)), _OPEN)
        return self._make(name, stored, mapping, models, annotation)

    def _make(
        self,
        name: str,
        stored: str,
        mapping: Mapping[str, Any],
        models: Models,
        annotation: Any = None,
    ) -> Self:
        path = f"{self._path}.{stored}" if self._path else stored
        display = f"{self._display}.{name}" if self._display else name
        nested = (*self._nested, path) if es_type(mapping) == "nested" else self._nested
        return type(self)(
            self._owner, display, path, mapping, models, nested, annotation, self._templates
        )

    def _child_names(self) -> list[str]:
        props = self._mapping.get("properties")
        names = python_names(self._models, props) if isinstance(props, Mapping) else []
        subfields = self._mapping.get("fields")
        return names + (list(subfields) if isinstance(subfields, Mapping) else [])

    def _unknown(self, name: str) -> QueryError:
        candidates = self._child_names()
        message = f"{self._where()} has no field {name!r}"
        close = difflib.get_close_matches(name, candidates, n=1)
        if close:
            return QueryError(f"{message}; did you mean {close[0]!r}?")
        if candidates:
            return QueryError(f"{message}; its fields are: {', '.join(sorted(candidates))}")
        return QueryError(f"{message}; it is {a(self.es_type)} field without sub-fields")

    def _exact(self, operation: str) -> Self:
        """The field a term-level operation runs on: the keyword subfield of a text field."""
        kind = self.es_type
        if kind in TEXTS:
            subfields = self._mapping.get("fields")
            names = [
                n
                for n, m in (subfields or {}).items()
                if isinstance(m, Mapping) and m.get("type") == "keyword"
            ]
            if not names:
                raise QueryError(
                    f"{self._where()} is a text field (analyzed) without a keyword subfield, so "
                    f"{operation} cannot compare whole values; use .match() or .match_phrase() "
                    f"for full-text search, or declare it Text(keyword=True)"
                )
            return self._child("keyword" if "keyword" in names else names[0])
        if kind in NOT_COMPARABLE:
            raise QueryError(
                f"{self._where()} is {a(kind)} field, so "
                f"{operation} does not apply; {NOT_COMPARABLE[kind]}"
            )
        return self

    def _ordered(self, operation: str) -> None:
        """Refuse ranges and sorts on a keyword holding values text order does not follow."""
        if self.es_type in STRINGS and self.es_type not in TEXTS:
            why = unordered(self._classes)
            if why is not None:
                raise QueryError(f"{self._where()}: {operation} is refused; {why}")

    def _wrong_kind(self, operation: str, wanted: str) -> QueryError:
        return QueryError(
            f"{self._where()} is {a(self.es_type)} field; {operation} needs {a(wanted)} field"
        )


def _lookup(props: Mapping[str, Any], stored: str) -> Mapping[str, Any] | None:
    """The mapping of a stored name; a dotted one (`a.b`) is mapped as object `a`, field `b`."""
    found = props.get(stored)
    if found is not None or "." not in stored:
        return found
    mapping: Any = {"properties": props}
    for part in stored.split("."):
        inner = mapping.get("properties") if isinstance(mapping, Mapping) else None
        mapping = inner.get(part) if isinstance(inner, Mapping) else None
        if mapping is None:
            return None
    return mapping if isinstance(mapping, Mapping) else None
