"""Before a commit plans anything: settling the writes an earlier commit left in doubt.

An earlier commit that lost the server mid-way leaves the entries whose writes went out
unanswered marked (`Entry.doubt`). Reading their documents back tells which were
applied, so "already exists" or "version conflict" caused by our own earlier write is
never reported, and nothing applied is written twice.
"""

from __future__ import annotations

from esorm.errors import ConnectionFailedError, TransportFailedError
from esorm.repository import IdentityMap
from esorm.store import DocumentStore
from esorm.uow._outcome import Outcome
from esorm.uow._reconcile import Verdict, judge, settled_item


async def settle_doubts(store: DocumentStore, identity: IdentityMap, outcome: Outcome) -> None:
    """Apply what the server holds for every entry with a write in doubt; count applied
    writes in `outcome`. Entries whose write was not applied are planned as usual.

    Raises:
        TransportFailedError: the documents could not be read back; nothing was sent.
    """
    entries = list(identity.doubtful.values())
    if not entries:
        return
    doubts = [entry.doubt for entry in entries]
    try:
        hits = await store.read_back([doubt.write for doubt in doubts if doubt is not None])
    except ConnectionFailedError as exc:
        raise TransportFailedError(
            f"commit refused, nothing was sent: {len(entries)} writes of an earlier commit "
            f"have an unknown outcome, and reading them back failed: {exc}"
        ) from exc
    for entry, doubt, hit in zip(entries, doubts, hits, strict=True):
        assert doubt is not None
        identity.doubtful.pop(id(entry), None)
        entry.doubt = None
        verdict = judge(doubt.write, hit)
        if verdict not in (Verdict.APPLIED, Verdict.SUPERSEDED):
            continue
        if doubt.write.action == "delete":
            identity.discard(entry)
            outcome.deleted += 1
            continue
        item = settled_item(doubt.write, verdict, hit)
        entry.mark_written(
            item["_seq_no"], item["_primary_term"], doubt.snapshot, item.get("_index"), doubt.writes
        )
        if doubt.write.action == "create":
            outcome.created += 1
        else:
            outcome.updated += 1
