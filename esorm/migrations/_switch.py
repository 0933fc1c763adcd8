"""The final step: block writes on the old index, copy what is left, move the alias.

Writers that meet the block wait and send again (the unit of work's flush does, bounded);
after the switch the old index stays blocked (retired), so a change to an entity loaded
from it is refused as a conflict instead of landing where nobody reads.
"""

from __future__ import annotations

import time
from typing import Any

from elasticsearch import AsyncElasticsearch

_BLOCK = "index.blocks.write"


async def block_writes(client: AsyncElasticsearch, index: str, blocked: bool = True) -> None:
    """Block (or unblock) writes to one concrete index."""
    await client.indices.put_settings(index=index, settings={_BLOCK: blocked})


async def move_alias(
    client: AsyncElasticsearch, alias: str, old: str, new: str, *, adopting: bool = False
) -> None:
    """Point `alias` at `new` instead of `old`, in one `_aliases` request, so the name
    never goes missing. Adopting an index that *is* the name removes it in the same
    request (it had to go for the name to become an alias)."""
    actions: list[dict[str, Any]] = [
        {"add": {"index": new, "alias": alias, "is_write_index": True}}
    ]
    if adopting:
        actions.append({"remove_index": {"index": old}})
    else:
        actions.insert(0, {"remove": {"index": old, "alias": alias}})
    await client.indices.update_aliases(actions=actions)


class Stopwatch:
    """Milliseconds since it was started."""

    def __init__(self) -> None:
        self._started = time.perf_counter()

    @property
    def ms(self) -> float:
        """Milliseconds elapsed."""
        return (time.perf_counter() - self._started) * 1000
