"""Which fields may hold values that change in place, so snapshots copy only those deeply."""

from __future__ import annotations

import enum
import ipaddress
import pathlib
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pydantic
from pydantic import BaseModel

from esorm._internal.types import IMMUTABLE_VALUES

_SCALARS: tuple[type, ...] = (
    *IMMUTABLE_VALUES,
    enum.Enum,
    pathlib.PurePath,
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
    # pydantic's constrained datetimes: marker classes whose values are datetimes and dates
    pydantic.AwareDatetime,
    pydantic.NaiveDatetime,
    pydantic.PastDatetime,
    pydantic.FutureDatetime,
    pydantic.PastDate,
    pydantic.FutureDate,
)


def mutable_fields(entity: type[BaseModel]) -> frozenset[str]:
    """Names of fields whose declared type admits values that can change in place.

    Lists, dicts, sets, nested models and anything unknown count as mutable; scalars,
    enums, literals and tuples or frozensets of scalars do not. Used for snapshots of
    freshly validated entities, whose values match their declared types.
    """
    return frozenset(
        name
        for name, info in entity.model_fields.items()
        if not _immutable(info.annotation, depth=0)
    )


def _immutable(annotation: Any, depth: int) -> bool:
    if depth > 10:
        return False
    origin = get_origin(annotation)
    if origin is Annotated:
        return _immutable(get_args(annotation)[0], depth + 1)
    if origin is Literal:
        return True
    if origin in (Union, types.UnionType):
        return all(_immutable(arg, depth + 1) for arg in get_args(annotation))
    if origin in (tuple, frozenset):
        args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        return bool(args) and all(_immutable(arg, depth + 1) for arg in args)
    if isinstance(annotation, typing.NewType):
        return _immutable(annotation.__supertype__, depth + 1)
    if origin is None and isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return bool(annotation.model_config.get("frozen")) and not mutable_fields(annotation)
        return issubclass(annotation, _SCALARS)
    return False
