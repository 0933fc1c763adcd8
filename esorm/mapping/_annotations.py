"""Reading annotations: strip `Annotated`/`NewType`/aliases, find markers, name types."""

from __future__ import annotations

import re
import typing
from collections.abc import Sequence
from typing import Annotated, Any, get_args, get_origin

from pydantic.types import Base64Encoder, EncodedBytes, EncodedStr

from esorm.domain import FieldMarker, Mapped
from esorm.errors import MappingError

# "typing.Literal" -> "Literal" in messages, leaving quoted Literal values alone
_QUALIFIED = re.compile(r"(?<![\w.'\"])(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)")
_PYDANTIC_BASE64 = Mapped({"type": "binary"})  # pydantic's Base64Bytes / Base64Str


def unwrap(
    tp: Any, markers: tuple[FieldMarker, ...], where: str
) -> tuple[Any, tuple[FieldMarker, ...]]:
    """Strip `Annotated`, `NewType` and type aliases, gathering esorm markers on the way."""
    found = list(markers)
    while True:
        if get_origin(tp) is Annotated:
            tp, *meta = get_args(tp)
            found += markers_in(meta)
        elif isinstance(tp, typing.NewType):
            tp = tp.__supertype__
        elif type(tp).__name__ == "TypeAliasType" and hasattr(tp, "__value__"):
            tp = tp.__value__
        else:
            break
    distinct = tuple(dict.fromkeys(found))
    if len(distinct) > 1:
        shown = ", ".join(repr(m) for m in distinct)
        raise MappingError(f"{where}: several mapping markers ({shown}); keep one")
    return tp, distinct


def markers_in(metadata: Sequence[Any]) -> tuple[FieldMarker, ...]:
    found: list[FieldMarker] = []
    for item in metadata:
        if isinstance(item, FieldMarker):
            found.append(item)
        elif isinstance(item, EncodedBytes | EncodedStr) and item.encoder is Base64Encoder:
            found.append(_PYDANTIC_BASE64)
    return tuple(found)


def type_name(tp: Any) -> str:
    if isinstance(tp, type) and not get_args(tp):
        return tp.__name__
    return _QUALIFIED.sub(r"\1", repr(tp))
