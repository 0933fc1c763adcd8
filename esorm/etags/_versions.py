"""esorm's ETags: a document's `_seq_no`/`_primary_term`, bound to its entity type, its
concrete index and its id, in a form clients treat as opaque."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from esorm.etags._tags import EntityTag

_NUMBER = r"(-?(?:0|[1-9][0-9]{0,18}))"
_FORMAT = re.compile(rf"([0-9a-f]{{8}})\.([0-9a-f]{{12}})\.{_NUMBER}\.{_NUMBER}")


@dataclass(frozen=True, slots=True)
class EntityVersion:
    """One version of one document, as its ETag `"<kind>.<place>.<primary_term>.<seq_no>"`
    carries it.

    `kind` digests the entity type, so a tag of another type is told apart; `place`
    digests the concrete index and the id, so a tag never matches another document, nor
    the same id in the index a migration copied it to (sequence numbers restart there).
    The version itself stays readable: it is what the write is guarded with.
    """

    kind: str
    place: str
    primary_term: int
    seq_no: int

    @classmethod
    def of(
        cls, entity: str, index: str, doc_id: str, seq_no: int, primary_term: int
    ) -> EntityVersion:
        """The version of document `doc_id` of entity type `entity` in concrete `index`."""
        return cls(kind_of(entity), place_of(index, doc_id), primary_term, seq_no)

    @classmethod
    def read(cls, tag: EntityTag) -> EntityVersion | None:
        """The version an ETag of esorm's carries; None for any other tag (weak ones too)."""
        match = None if tag.weak else _FORMAT.fullmatch(tag.opaque)
        if match is None:
            return None
        kind, place, term, seq_no = match.groups()
        return cls(kind, place, int(term), int(seq_no))

    @property
    def etag(self) -> EntityTag:
        """The strong ETag of this version."""
        return EntityTag(f"{self.kind}.{self.place}.{self.primary_term}.{self.seq_no}")

    def __str__(self) -> str:
        return str(self.etag)


@functools.lru_cache(maxsize=1024)
def kind_of(entity: str) -> str:
    """The digest naming an entity type (its class name) in its ETags."""
    return hashlib.blake2b(entity.encode(), digest_size=4, person=b"esorm-kind").hexdigest()


def place_of(index: str, doc_id: str) -> str:
    """The digest naming one document in one concrete index in its ETags."""
    data = f"{index}\x00{doc_id}".encode(errors="surrogatepass")
    return hashlib.blake2b(data, digest_size=6, person=b"esorm-place").hexdigest()
