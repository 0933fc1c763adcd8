"""What stands behind an entity's index name on the server: nothing, an alias, or an index.

The registry's index name is an alias; the documents live in versioned concrete indices
behind it (`posts__v1`, `posts__v2` after a migration). An index created under the plain
name by an earlier esorm version is adopted by the first migration.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

VERSION_MARK = "__v"
"""Between an alias and the version of a concrete index behind it: `posts__v2`."""


class LayoutKind(enum.StrEnum):
    """How an entity's index name exists on the server."""

    MISSING = "missing"
    ALIAS = "alias"
    INDEX = "index"
    """A concrete index under the name itself, from before aliases (adopted by a migration)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """The indices behind one name, and the one writes go to."""

    name: str
    kind: LayoutKind
    write_index: str | None = None
    indices: tuple[str, ...] = ()

    @property
    def version(self) -> int:
        """The version of the write index (0 when missing, 0 for a pre-alias index)."""
        if self.write_index is None:
            return 0
        return version_of(self.name, self.write_index) or 0


def concrete_name(alias: str, version: int) -> str:
    """The concrete index of `alias` at `version`."""
    return f"{alias}{VERSION_MARK}{version}"


def version_of(alias: str, concrete: str) -> int | None:
    """The version a concrete index name carries for `alias`, or None when it is not one."""
    match = re.fullmatch(re.escape(alias + VERSION_MARK) + r"(\d+)", concrete)
    return int(match.group(1)) if match else None


async def layout_of(client: AsyncElasticsearch, name: str) -> Layout:
    """Read what the server holds under `name` (an alias, a plain index, or nothing), in one
    request, so an alias created meanwhile is never mistaken for an index."""
    try:
        response = await client.indices.get(index=name, expand_wildcards="none")
    except NotFoundError:
        return Layout(name, LayoutKind.MISSING)
    found: dict[str, Any] = response.body
    if name in found:
        return Layout(name, LayoutKind.INDEX, name, (name,))
    indices = tuple(sorted(found))
    writers = [
        index
        for index, info in found.items()
        if ((info or {}).get("aliases", {}).get(name) or {}).get("is_write_index")
    ]
    # a single index behind an alias takes writes even without the flag
    write_index = writers[0] if writers else (indices[0] if len(indices) == 1 else None)
    return Layout(name, LayoutKind.ALIAS, write_index, indices)
