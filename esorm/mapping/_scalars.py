"""Default Elasticsearch field mappings of scalar Python types, as pydantic dumps them to JSON."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import ipaddress
import pathlib
import uuid
from typing import Any

import pydantic
import pydantic_core
from pydantic import networks

# Accepts what pydantic JSON-dumps for datetime ("2024-05-01T12:30:00.123456+02:00") and
# date ("2024-05-01"), plus epoch milliseconds (`ser_json_temporal="milliseconds"`).
DATE_FORMAT = "strict_date_optional_time||epoch_millis"

_INT32 = range(-(2**31), 2**31)

# Any: under TYPE_CHECKING pydantic declares some of these classes as unions.
_KEYWORD_CLASSES: tuple[Any, ...] = (
    str,
    # Decimal: pydantic dumps it as a string; keyword keeps every digit exactly. Annotate
    # with ScaledFloat(...) or Double() for numeric range queries (ES coerces the string).
    decimal.Decimal,
    # time: pydantic dumps "HH:MM:SS[.ffffff][+HH:MM]". A keyword stores and returns it
    # exactly and sorts in time order (zero-padded); a `date` field would cut microseconds
    # in queries and reject the offset form.
    dt.time,
    dt.timedelta,  # ISO 8601 duration text ("P1DT2H")
    uuid.UUID,
    pathlib.PurePath,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
    networks.IPvAnyNetwork,
    networks.IPvAnyInterface,
    networks._BaseUrl,
    networks._BaseMultiHostUrl,
    pydantic_core.Url,
    pydantic_core.MultiHostUrl,
    networks.EmailStr,
    networks.NameEmail,
)
# pydantic's constrained datetimes are marker classes, not datetime subclasses; they dump
# like datetime and date.
_DATE_CLASSES: tuple[Any, ...] = (
    dt.datetime,
    dt.date,
    pydantic.AwareDatetime,
    pydantic.NaiveDatetime,
    pydantic.PastDatetime,
    pydantic.FutureDatetime,
    pydantic.PastDate,
    pydantic.FutureDate,
)
_IP_CLASSES: tuple[Any, ...] = (
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    networks.IPvAnyAddress,
)

_HINTS: dict[type, str] = {
    bytes: "annotate it as Annotated[bytes, Binary()] to store it base64-encoded",
    bytearray: "annotate it as Annotated[bytes, Binary()] to store it base64-encoded",
    pydantic.SecretStr: "pydantic dumps secrets masked ('**********'); store a plain str",
    pydantic.SecretBytes: "pydantic dumps secrets masked ('**********'); store plain bytes",
}


def scalar_mapping(tp: type) -> dict[str, Any] | None:
    """The default mapping of a scalar class, or None when esorm has no default for it."""
    if issubclass(tp, bool):
        return {"type": "boolean"}
    if issubclass(tp, enum.Enum):
        return _enum_mapping(tp)
    if issubclass(tp, int):
        return {"type": "long"}
    if issubclass(tp, float):
        return {"type": "double"}
    if issubclass(tp, _DATE_CLASSES):
        return {"type": "date", "format": DATE_FORMAT}
    if issubclass(tp, _IP_CLASSES):
        return {"type": "ip"}
    if issubclass(tp, _KEYWORD_CLASSES):
        return {"type": "keyword"}
    return None


def unsupported_hint(tp: type) -> str | None:
    """Advice for classes that pydantic handles but that cannot round-trip as they are."""
    for cls, hint in _HINTS.items():
        if issubclass(tp, cls):
            return hint
    return None


def literal_class(value: object) -> type | None:
    """The class whose mapping a `Literal` value takes, or None if it cannot be stored."""
    if isinstance(value, enum.Enum):
        return type(value)
    if isinstance(value, bool | int | str):
        return type(value)
    return None


def _enum_mapping(tp: type[enum.Enum]) -> dict[str, Any] | None:
    values = [member.value for member in tp]
    if issubclass(tp, int):
        fits = all(isinstance(v, int) and v in _INT32 for v in values)
        return {"type": "integer" if fits else "long"}
    if all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        return {"type": "keyword"}
    return None
