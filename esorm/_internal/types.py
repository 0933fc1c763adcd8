"""Facts about Python types and pydantic fields that mapping, queries and snapshots share."""

from __future__ import annotations

import collections
import collections.abc as abc
import datetime
import decimal
import uuid
from typing import Any

from pydantic.fields import FieldInfo

IMMUTABLE_VALUES: frozenset[type] = frozenset(
    {
        str,
        int,
        float,
        bool,
        bytes,
        type(None),
        datetime.datetime,
        datetime.date,
        datetime.time,
        datetime.timedelta,
        decimal.Decimal,
        uuid.UUID,
    }
)
"""Exact types whose values cannot change in place, so a snapshot may share them."""

SEQUENCES: set[Any] = {
    list,
    set,
    frozenset,
    tuple,
    collections.deque,
    abc.Sequence,
    abc.MutableSequence,
    abc.Set,
    abc.MutableSet,
}
MAPPINGS: set[Any] = {
    dict,
    abc.Mapping,
    abc.MutableMapping,
    collections.OrderedDict,
    collections.defaultdict,
}


def stored_name(name: str, info: FieldInfo) -> str:
    """The key under which `model_dump(by_alias=True)` writes field `name`."""
    return info.serialization_alias or info.alias or name
