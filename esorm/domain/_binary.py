"""Pydantic schema for bytes kept as base64 text in JSON, exact for any byte string."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pydantic_core import core_schema


def binary_core_schema(inner: core_schema.CoreSchema) -> core_schema.CoreSchema:
    """Wrap a bytes schema: JSON dumps give base64, `str` inputs are decoded from base64."""
    return core_schema.no_info_before_validator_function(
        _decode,
        inner,
        serialization=core_schema.plain_serializer_function_ser_schema(
            _encode, when_used="json-unless-none"
        ),
    )


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"not valid base64: {exc}") from None
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_decode(v) for v in value)
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list | tuple | set | frozenset):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value
