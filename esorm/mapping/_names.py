"""Index name rules, checked at registration rather than at the first failed request."""

from __future__ import annotations

import re

from esorm.errors import MappingError

_FORBIDDEN = set('\\/*?"<>| ,#:')
_MAX_BYTES = 255


def check_index_name(name: str, *, owner: str) -> str:
    """Return `name` if Elasticsearch accepts it as an index name, else raise naming `owner`."""
    problem = _problem(name)
    if problem:
        raise MappingError(f"{owner}: invalid index name {name!r}: {problem}")
    return name


def _problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if name != name.lower():
        return "it must be lower case"
    bad = sorted({c for c in name if c in _FORBIDDEN})
    if bad:
        return f"it contains {', '.join(repr(c) for c in bad)}"
    if name[0] in "-_+":
        return "it must not start with '-', '_' or '+'"
    if name in {".", ".."}:
        return "'.' and '..' are reserved"
    if len(name.encode()) > _MAX_BYTES:
        return f"it is {len(name.encode())} bytes long; the limit is {_MAX_BYTES}"
    return None


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def default_index_name(class_name: str) -> str:
    """Snake-case a class name: `BlogPost` -> `blog_post`."""
    return _CAMEL.sub("_", class_name).lower()
