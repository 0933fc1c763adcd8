"""Writes that meet an index blocked for writing: a migration's final step, or its end.

During the final step of a migration the old index is blocked for a moment, then the
alias moves to the new index and the old one stays blocked for good (retired). A write
that meets the block is sent again while its index still takes the entity's writes; once
the index was retired, a change to an entity loaded from it is a conflict (its version
means nothing in the new index), so the usual load-again-and-retry applies and nothing
stale is written, neither into the retired index nor unguarded into the new one.
"""

from __future__ import annotations

from esorm.store import ItemResult, Write

_BLOCK = "cluster_block_exception"


def is_write_block(item: ItemResult) -> bool:
    """True for an item refused because its index is blocked for writing."""
    error = item.get("error")
    return (
        item.get("status") == 403
        and isinstance(error, dict)
        and error.get("type") == _BLOCK
        and "index" in str(error.get("reason", ""))
    )


def retired_item(write: Write, current: str) -> ItemResult:
    """The conflict answered for a write into an index a migration retired."""
    reason = (
        f"[{write.id}]: index [{write.index}] was retired by a migration; the entity's "
        f"documents live in [{current}] now: load it again and retry"
    )
    error = {"type": "index_retired_exception", "reason": reason}
    return {"_index": write.index, "_id": write.id, "status": 409, "error": error}
