"""Python field types -> Elasticsearch `properties`, from pydantic models and their markers."""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel, RootModel

from esorm._internal.types import MAPPINGS, SEQUENCES, stored_name
from esorm.domain import Binary, DenseVector, FieldMarker, GeoPoint, Nested
from esorm.errors import MappingError
from esorm.mapping._aliases import check_readable
from esorm.mapping._annotations import markers_in, type_name, unwrap
from esorm.mapping._dotted import check_metadata_names, expand_dotted
from esorm.mapping._dynamic import VALUES, split_templates
from esorm.mapping._markers import META_TYPES, WHOLE_VALUE, check_marker, marker_mapping
from esorm.mapping._relation_specs import lazy_type
from esorm.mapping._scalars import literal_class, scalar_mapping, unsupported_hint

_DICT_KEYS = (str, int, Enum, UUID)  # keys pydantic dumps as JSON strings and reads back
_META_MAX = 50  # Elasticsearch's limit on a field `meta` value
# Numeric types a union may widen to the last of (every value of the others fits).
_WIDENING = (("byte", "short", "integer", "long"), ("half_float", "float", "double"))
_SUPPORTED = (
    "str, int, float, bool, Decimal, datetime, date, time, Enum, Literal, UUID, Path, "
    "IP addresses, URLs, pydantic models, and lists, sets, tuples and dicts of them"
)


def build_properties(
    entity: type[BaseModel], overrides: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The index mapping `properties` for `entity`, keyed by stored (alias) names.

    Args:
        overrides: raw field mappings by Python field name; each replaces the generated one.

    Raises:
        MappingError: a field's type has no Elasticsearch mapping; names entity and field.
    """
    return build_mapping(entity, overrides)[0]


def build_mapping(
    entity: type[BaseModel], overrides: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The `properties` and the root `dynamic_templates` (for dict values) of `entity`."""
    props = _model_properties(entity, overrides, entity.__name__, (entity,))
    check_metadata_names(props, entity.__name__)
    return split_templates(props)


def _model_properties(
    model: type[BaseModel],
    overrides: Mapping[str, Mapping[str, Any]],
    where: str,
    stack: tuple[type, ...],
) -> dict[str, Any]:
    _check_complete(model, where)
    props: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        here = f"{where}.{name}"
        if info.exclude is True and info.is_required():
            raise MappingError(
                f"{here}: is required but excluded (exclude=True), so it is never stored and "
                f"no stored document could be read back; give it a default, or store it"
            )
        if info.exclude is True or lazy_type(info.annotation) is not None:
            continue  # never dumped (or a relation value), so never stored
        check_readable(model, name, info, here)
        key = _unique(stored_name(name, info), props, here)
        if name in overrides:
            props[key] = dict(overrides[name])
            continue
        mapping = _map(info.annotation, markers_in(info.metadata), here, stack)
        props[key] = _with_description(mapping, info.description)
    for name, computed in model.model_computed_fields.items():
        here = f"{where}.{name}"
        key = _unique(computed.alias or name, props, here)
        mapping = _map(computed.return_type, (), here, stack)
        props[key] = _with_description(mapping, computed.description)
    return expand_dotted(props, where)


def _map(
    tp: Any, markers: tuple[FieldMarker, ...], where: str, stack: tuple[type, ...]
) -> dict[str, Any]:
    """The mapping of one annotation; `markers` come from enclosing `Annotated` layers."""
    tp, markers = unwrap(tp, markers, where)
    marker = markers[0] if markers else None
    if isinstance(marker, WHOLE_VALUE):
        if isinstance(marker, DenseVector):
            _check_vector(tp, where)
        return marker_mapping(marker, where)
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(tp) if a is not type(None)]
        return _merge([_map(a, markers, where, stack) for a in members], tp, where)
    if origin is Literal:
        classes = [literal_class(v) for v in get_args(tp) if v is not None]
        if not classes:
            raise MappingError(
                f"{where}: {type_name(tp)} holds no value but None, so there is nothing to "
                f"store; drop the field or give it a type"
            )
        for cls in classes:
            if cls is None:
                raise _unsupported(where, tp, "Literal values must be str, int, bool or Enum")
        members = list(dict.fromkeys(classes))
        return _merge([_map(c, markers, where, stack) for c in members], tp, where)
    if origin in SEQUENCES or tp in SEQUENCES:
        items = [a for a in get_args(tp) if a is not Ellipsis]
        if not items:
            raise _unsupported(where, tp, "give the item type, e.g. list[str]")
        return _merge([_map(a, markers, where, stack) for a in items], tp, where)
    if origin in MAPPINGS or tp in MAPPINGS:
        return _dynamic_object(tp, marker, where, stack)
    if tp is Any or tp is object:
        raise MappingError(
            f"{where}: is typed {type_name(tp)}, but Elasticsearch needs one type per field; "
            f"declare a concrete type, or annotate it with Mapped({{...}}) (e.g. "
            f"{{'type': 'object', 'enabled': False}} to store it without indexing)"
        )
    if isinstance(tp, type):
        if issubclass(tp, BaseModel):
            return _model(tp, markers, where, stack)
        return _scalar(tp, marker, where)
    raise _unsupported(where, tp, "Elasticsearch needs one concrete type per field")


def _model(
    tp: type[BaseModel], markers: tuple[FieldMarker, ...], where: str, stack: tuple[type, ...]
) -> dict[str, Any]:
    marker = markers[0] if markers else None
    if issubclass(tp, GeoPoint):
        if marker is not None:
            raise MappingError(f"{where}: GeoPoint is always a geo_point; drop {marker!r}")
        return {"type": "geo_point"}
    if tp in stack:
        raise MappingError(
            f"{where}: {tp.__name__} contains itself, and an Elasticsearch mapping cannot be "
            f"infinite; break the cycle by annotating this field with "
            f"Mapped({{'type': 'object', 'enabled': False}}) (stored, not searchable)"
        )
    if issubclass(tp, RootModel):
        root = tp.model_fields["root"]
        _check_complete(tp, where)
        return _map(root.annotation, markers + markers_in(root.metadata), where, (*stack, tp))
    if marker is not None and not isinstance(marker, Nested):
        raise MappingError(
            f"{where}: {marker!r} cannot map the model {tp.__name__}; use Nested(), "
            f"Mapped({{...}}), or no marker for an object"
        )
    props = _model_properties(tp, {}, where, (*stack, tp))
    if isinstance(marker, Nested):
        mapping = marker_mapping(marker, where)
        mapping["properties"] = props
        return mapping
    return {"properties": props}


def _scalar(tp: type, marker: FieldMarker | None, where: str) -> dict[str, Any]:
    if isinstance(marker, Binary):
        if not issubclass(tp, bytes | bytearray):
            raise MappingError(f"{where}: Binary() is for bytes, not {tp.__name__}")
        return marker_mapping(marker, where)
    hint = unsupported_hint(tp)
    if hint is not None:
        raise MappingError(f"{where}: {tp.__name__} cannot be stored as it is; {hint}")
    default = scalar_mapping(tp)
    if marker is not None:
        if isinstance(marker, Nested):
            raise MappingError(f"{where}: Nested() is for models, not {tp.__name__}")
        check_marker(marker, tp, default, where)
        return marker_mapping(marker, where)
    if default is None:
        raise _unsupported(
            where,
            tp,
            "if pydantic dumps it to JSON, annotate it with a marker such as Keyword() or "
            "Mapped({...}); otherwise use a supported type",
        )
    return default


def _dynamic_object(
    tp: Any, marker: FieldMarker | None, where: str, stack: tuple[type, ...]
) -> dict[str, Any]:
    if marker is not None:
        raise MappingError(
            f"{where}: {marker!r} cannot map a dict; a dict is a dynamic object, "
            f"use Mapped({{...}}) (e.g. {{'type': 'flattened'}}) to choose another mapping"
        )
    mapping: dict[str, Any] = {"type": "object", "dynamic": True}
    args = get_args(tp)
    if args:
        key, value = args
        key_type = unwrap(key, (), where)[0]
        key_ok = isinstance(key_type, type) and issubclass(key_type, _DICT_KEYS)
        if not (key_ok or get_origin(key_type) is Literal):
            raise _unsupported(where, tp, "dict keys must be str, int, Enum, UUID or Literal")
        if unwrap(value, (), where)[0] not in (Any, object):
            # becomes a dynamic template for the values (see split_templates)
            mapping[VALUES] = _map(value, (), f"{where}[]", stack)
    return mapping


def _merge(mappings: Sequence[dict[str, Any]], tp: Any, where: str) -> dict[str, Any]:
    """One mapping for union members, tuple items or Literal values; they must agree."""
    first = mappings[0]
    if all(m == first for m in mappings):
        return first
    widened = _widen(mappings)
    if widened is not None:
        return widened
    shells = [{k: v for k, v in m.items() if k != "properties"} for m in mappings]
    if all("properties" in m for m in mappings) and all(s == shells[0] for s in shells):
        merged: dict[str, Any] = {}
        for mapping in mappings:
            for name, sub in mapping["properties"].items():
                if name in merged and merged[name] != sub:
                    raise MappingError(
                        f"{where}.{name}: the models of {type_name(tp)} map this field "
                        f"differently ({merged[name]} vs {sub}); make them agree"
                    )
                merged[name] = sub
        return {**shells[0], "properties": merged}
    kinds = ", ".join(sorted({str(m.get("type", "object")) for m in mappings}))
    raise MappingError(
        f"{where}: {type_name(tp)} maps to different Elasticsearch types ({kinds}); use one type, "
        f"or annotate the field with a marker such as Double() or Mapped({{...}})"
    )


def _widen(mappings: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """One numeric mapping for members of one numeric family (IntEnum | int: `long`)."""
    shells = [{k: v for k, v in m.items() if k != "type"} for m in mappings]
    if any(s != shells[0] for s in shells):
        return None
    kinds = {m.get("type") for m in mappings}
    for family in _WIDENING:
        if kinds <= set(family):
            widest = max(kinds, key=family.index)
            return {**mappings[0], "type": widest}
    return None


def _check_vector(tp: Any, where: str) -> None:
    if get_origin(tp) is Union or get_origin(tp) is types.UnionType:
        members = [a for a in get_args(tp) if a is not type(None)]
        tp = members[0] if len(members) == 1 else tp
    items = get_args(tp) if get_origin(tp) in SEQUENCES else ()
    item = unwrap(items[0], (), where)[0] if items else None
    if not (isinstance(item, type) and issubclass(item, int | float)):
        raise MappingError(f"{where}: DenseVector is for list[float], not {type_name(tp)}")


def _with_description(mapping: dict[str, Any], description: str | None) -> dict[str, Any]:
    if not description or mapping.get("type") not in META_TYPES or "meta" in mapping:
        return mapping
    text = description if len(description) <= _META_MAX else description[: _META_MAX - 1] + "…"
    return {**mapping, "meta": {"description": text}}


def _check_complete(model: type[BaseModel], where: str) -> None:
    if not model.__pydantic_complete__:
        raise MappingError(
            f"{where}: {model.__name__} has unresolved forward references; define them and "
            f"call {model.__name__}.model_rebuild() before registering"
        )


def _unique(key: str, props: Mapping[str, Any], where: str) -> str:
    if key in props:
        raise MappingError(f"{where}: another field is already stored as {key!r}; rename one")
    return key


def _unsupported(where: str, tp: Any, fix: str) -> MappingError:
    return MappingError(
        f"{where}: esorm cannot map {type_name(tp)} to Elasticsearch; {fix} "
        f"(supported: {_SUPPORTED})"
    )
